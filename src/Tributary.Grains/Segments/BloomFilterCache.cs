using Microsoft.Extensions.Options;
using Tributary.Bitmaps.Bloom;

namespace Tributary.Grains.Segments;

/// <summary>
/// The query brokers' decoded Bloom filters of sealed segments, shared by every broker activation of a silo (a
/// singleton), bounded by <see cref="SegmentsOptions.BloomCacheBytes"/>: the least recently used filters are evicted
/// first, and an evicted filter is decoded again from the timeline's bytes when a query next needs it. A sealed
/// segment's filter never changes, so a key maps to one filter for its lifetime.
/// </summary>
public sealed class BloomFilterCache
{
    private readonly object _gate = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _recency = new();
    private readonly long _capacityBytes;
    private long _bytes;

    /// <summary>Creates a cache bounded by the silo's segments options.</summary>
    public BloomFilterCache(IOptions<SegmentsOptions> options)
        : this(options.Value.BloomCacheBytes)
    {
    }

    /// <summary>Creates a cache holding at most <paramref name="capacityBytes"/> bytes of filters.</summary>
    public BloomFilterCache(long capacityBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacityBytes);
        _capacityBytes = capacityBytes;
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

    /// <summary>The filter of segment <paramref name="key"/>, decoded from <paramref name="serialized"/> when not held.</summary>
    public BlockedBloomFilter GetOrAdd(string key, byte[] serialized)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(serialized);
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var hit))
            {
                _recency.Remove(hit);
                _recency.AddFirst(hit);
                return hit.Value.Filter;
            }
        }

        // Decode outside the lock: two brokers racing on one key decode twice, and the first one in wins.
        var filter = BlockedBloomFilter.Read(serialized);
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
