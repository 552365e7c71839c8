using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tributary.Bitmaps.Bloom;
using Tributary.Storage;

namespace Tributary.Grains.Segments;

/// <summary>
/// The query brokers' decoded Bloom filters of sealed segments, shared by every broker activation of a silo (a
/// singleton), bounded by <see cref="SegmentsOptions.BloomCacheBytes"/>: the least recently used filters are evicted
/// first, and an evicted filter is read again from its object (<see cref="Tributary.Segments.SegmentTimelineEntry.BloomObjectKey"/>)
/// when a query next needs it. A sealed segment's filter never changes, so a key maps to one filter for its lifetime.
/// </summary>
public sealed class BloomFilterCache
{
    private readonly object _gate = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _recency = new();
    private readonly long _capacityBytes;
    private readonly IObjectStore _store;
    private readonly ILogger _logger;
    private long _bytes;
    private long _loads;

    /// <summary>Creates a cache bounded by the silo's segments options, reading from the segments' object store.</summary>
    public BloomFilterCache(IOptions<SegmentsOptions> options, [FromKeyedServices(ObjectStoreKeys.Segments)] IObjectStore store, ILogger<BloomFilterCache> logger)
        : this(options.Value.BloomCacheBytes, store, logger)
    {
    }

    /// <summary>Creates a cache holding at most <paramref name="capacityBytes"/> bytes of filters read from <paramref name="store"/>.</summary>
    public BloomFilterCache(long capacityBytes, IObjectStore store, ILogger? logger = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacityBytes);
        ArgumentNullException.ThrowIfNull(store);
        _capacityBytes = capacityBytes;
        _store = store;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Bytes of filters held.</summary>
    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Filters held.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Filters read from the object store so far (misses).</summary>
    public long Loads => Interlocked.Read(ref _loads);

    /// <summary>
    /// The filter of segment <paramref name="key"/>, read from <paramref name="objectKey"/> when not held; null when the
    /// object is missing or unreadable (logged with its key), which the broker takes as "cannot prune": a missing
    /// filter costs a scan, never a wrong answer. A null is not cached, so a filter written later is found.
    /// </summary>
    public async ValueTask<BlockedBloomFilter?> GetOrLoadAsync(string key, string objectKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(objectKey);
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var hit))
            {
                _recency.Remove(hit);
                _recency.AddFirst(hit);
                return hit.Value.Filter;
            }
        }

        // Read outside the lock: two brokers racing on one key read twice, and the first one in wins.
        Interlocked.Increment(ref _loads);
        BlockedBloomFilter filter;
        try
        {
            await using var stream = await _store.OpenReadAsync(objectKey, cancellationToken);
            if (stream is null)
            {
                SegmentLog.BloomMissing(_logger, key, objectKey);
                return null;
            }

            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy, cancellationToken);
            filter = BlockedBloomFilter.Read(copy.GetBuffer().AsSpan(0, (int)copy.Length));
        }
        catch (BloomFilterFormatException e)
        {
            SegmentLog.BloomUnreadable(_logger, key, $"{_store.Location}{objectKey}", e);
            return null;
        }

        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var raced))
            {
                return raced.Value.Filter;
            }

            var node = _recency.AddFirst(new Entry(key, filter, filter.SizeInBytes));
            _entries.Add(key, node);
            _bytes += filter.SizeInBytes;
            while (_bytes > _capacityBytes && _recency.Last is { } oldest && oldest != node)
            {
                _recency.RemoveLast();
                _entries.Remove(oldest.Value.Key);
                _bytes -= oldest.Value.Bytes;
            }

            return filter;
        }
    }

    private sealed record Entry(string Key, BlockedBloomFilter Filter, long Bytes);
}
