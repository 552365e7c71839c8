using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tributary.Grains.Telemetry;
using Tributary.Query;
using Tributary.Segments;
using Tributary.Segments.Format;
using Tributary.Segments.Ingest;
using Tributary.Segments.Schema;
using Tributary.Storage;

namespace Tributary.Grains.Segments;

/// <summary>Durable state of <see cref="SegmentGrain"/>.</summary>
[GenerateSerializer, Alias("tributary.SegmentGrainState")]
public sealed class SegmentGrainState
{
    /// <summary>Whether the segment is sealed.</summary>
    [Id(0)] public bool Sealed { get; set; }

    /// <summary>Object keys of the persisted open-state chunks, in offset order.</summary>
    [Id(1)] public List<string> Chunks { get; set; } = [];

    /// <summary>Largest offset whose event is durable here; -1 for none.</summary>
    [Id(2)] public long PersistedOffset { get; set; } = -1;

    /// <summary>Object key of the sealed segment.</summary>
    [Id(3)] public string? ObjectKey { get; set; }

    /// <summary>Rows when sealed.</summary>
    [Id(4)] public long RowCount { get; set; }

    /// <summary>Events when sealed.</summary>
    [Id(5)] public long EventCount { get; set; }

    /// <summary>Sealed size, bytes.</summary>
    [Id(6)] public long SizeBytes { get; set; }

    /// <summary>Object key of the sealed segment's Bloom filter; null for segments sealed before filters became objects (written on their next activation).</summary>
    [Id(7)] public string? BloomKey { get; set; }
}

/// <summary>
/// One segment (<see cref="SegmentKey"/>): an <see cref="OpenSegment"/> in memory while open; its raw events are
/// persisted in offset-named chunks to the object store (and listed in grain state with the offset they reach), so a
/// new activation rebuilds exactly what was durable and drops replays by offset. Sealing writes the immutable segment
/// to the object store with its Bloom filter as an object next to it, registers both locations (never the filter's
/// bytes) in the <see cref="IDatasourceCatalogGrain"/>, and deletes the chunks; a sealed segment loads lazily on its
/// first query after activation. A loaded sealed segment holds a
/// lease of the silo's <see cref="SegmentMemoryBudget"/>: when the budget evicts it (least recently queried first) the
/// grain drops the segment, keeps its small state, and reloads from the object store on its next query.
/// </summary>
/// <remarks>
/// Chunk format: <see cref="EventChunk"/>. Chunk names (<see cref="SegmentObjectKey.Chunk"/>) carry their first and
/// last offsets and a unique suffix; a chunk uploaded by a write that then failed is never listed, so never read.
/// </remarks>
public sealed class SegmentGrain : Grain, ISegmentGrain
{
    private readonly IPersistentState<SegmentGrainState> _state;
    private readonly DatasourceRegistry _registry;
    private readonly IObjectStore _store;
    private readonly ISegmentQueryExecutor _executor;
    private readonly SegmentMemoryBudget _budget;
    private readonly SegmentsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SegmentGrain> _logger;
    private readonly List<(long Offset, byte[] Event)> _pending = [];
    private string _key = string.Empty;
    private DatasourceSpec? _spec;
    private SegmentId _id;
    private OpenSegment? _open;
    private SealedSegment? _sealed;
    private SegmentMemoryBudget.Lease? _lease;
    private TaskScheduler? _scheduler;
    private RowParser? _parser;
    private ParsedRow? _scratch;
    private long _maxApplied = -1;
    private long _version;
    private long _duplicates;
    private bool _reloaded;
    private bool _registered;
    private TributaryMetrics.SegmentGauge? _gauge;
    private KeyValuePair<string, object?>[] _tags = [];
    private GrainLogScope? _logScope;
    private bool _dropped;

    /// <summary>Creates the grain.</summary>
    public SegmentGrain(
        [PersistentState("segment", "tributary")] IPersistentState<SegmentGrainState> state,
        DatasourceRegistry registry,
        [FromKeyedServices(ObjectStoreKeys.Segments)] IObjectStore store,
        ISegmentQueryExecutor executor,
        SegmentMemoryBudget budget,
        IOptions<SegmentsOptions> options,
        TimeProvider time,
        ILogger<SegmentGrain> logger)
    {
        _state = state;
        _registry = registry;
        _store = store;
        _executor = executor;
        _budget = budget;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    private long EndMs => _id.IntervalStartMs + QueryPlanner.HourMillis;

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = this.GetPrimaryKeyString();

        // The activation's scheduler: the budget evicts from other grains' turns, and the unload must run on this one.
        _scheduler = TaskScheduler.Current;
        var (datasource, hour, partition, version) = SegmentKey.ParseVersioned(_key);
        _version = version;
        _spec = _registry.Find(datasource) ?? throw new InvalidOperationException($"Segment {_key}: no datasource spec named '{datasource}'.");
        _id = new SegmentId(datasource, hour, partition);
        _tags = [new("datasource", datasource)];
        _logScope = new GrainLogScope(_key, partition);
        using var scope = _logScope.Begin(_logger);
        var s = _state.State;
        _maxApplied = s.PersistedOffset;
        SegmentLog.Activated(_logger, _key, s.PersistedOffset, s.Chunks.Count);
        if (Expired())
        {
            // Past retention: whatever is left of it (a drop interrupted midway, a late activation) goes, and it never
            // registers again, so the catalog's retention cannot be undone by an activation.
            await DropCoreAsync(cancellationToken);
            return;
        }

        if (!s.Sealed)
        {
            _open = new OpenSegment(_spec, _id);
            _parser = new RowParser(_spec);
            _scratch = new ParsedRow(_spec);
            if (s.Chunks.Count > 0)
            {
                await ReloadChunksAsync(cancellationToken);
            }

            this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions(_options.PersistInterval, _options.PersistInterval) { Interleave = false, KeepAlive = false });
        }
        else
        {
            if (s.BloomKey is null)
            {
                // Sealed before Bloom filters were objects of their own: write it once, so brokers can prune this segment.
                await WriteBloomAsync(await LoadSealedAsync(cancellationToken), cancellationToken);
                await _state.WriteStateAsync(cancellationToken);
            }

            // A crash between the sealed state write and the catalog registration is repaired here.
            await RegisterAsync();
        }

        // Tracked once activated: an activation that failed never deactivates, so would never be untracked.
        _gauge = TributaryMetrics.TrackSegment(datasource);
        PublishGauge();
    }

    /// <inheritdoc />
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        try
        {
            // Not while the silo stops: its grains deactivate together, grain-based storage (memory storage) among
            // them, so the write would fail after uploading an orphan chunk. Nothing is lost: the sink's checkpoint
            // never passes an unpersisted offset, so the next activation replays these events from Kafka.
            if (_pending.Count > 0 && reason.ReasonCode != DeactivationReasonCode.ShuttingDown)
            {
                await PersistPendingAsync();
            }
        }
        catch (Exception ex)
        {
            SegmentLog.PersistOnDeactivateFailed(_logger, _key, ex);
        }
        finally
        {
            _gauge?.Dispose();
            _open?.Dispose();
            _lease?.Dispose();
            _lease = null;
            _sealed?.Dispose();
            _sealed = null;
        }
    }

    /// <inheritdoc />
    public async ValueTask<SegmentAppendResult> AppendAsync(SegmentAppendBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var scope = _logScope?.Begin(_logger);
        var previous = _maxApplied;
        if (batch.PreviousSent > _maxApplied)
        {
            // Events the sender sent an earlier activation were lost with it: applying this batch would leave a gap
            // that the replay could never fill (offsets at or below the maximum are dropped as duplicates).
            SegmentLog.Refused(_logger, _key, batch.PreviousSent, _maxApplied);
            return Result(0, 0, null, previous) with { Refused = true };
        }

        var appended = 0;
        var duplicates = 0;
        List<SegmentRejection>? rejected = null;
        for (var i = 0; i < batch.Offsets.Length; i++)
        {
            var offset = batch.Offsets[i];
            if (offset <= _maxApplied)
            {
                duplicates++;
                continue;
            }

            _maxApplied = offset;
            if (_open is null)
            {
                (rejected ??= []).Add(new SegmentRejection(offset, _dropped ? $"segment {_key} is past retention and was dropped" : $"segment {_key} is sealed"));
                continue;
            }

            if (_open.TryAppend(batch.Events[i], _parser!, _scratch!, out var error))
            {
                _pending.Add((offset, batch.Events[i]));
                appended++;
            }
            else
            {
                (rejected ??= []).Add(new SegmentRejection(offset, error ?? "rejected by the segment"));
            }
        }

        _duplicates += duplicates;
        SegmentLog.Appended(_logger, _key, batch.Offsets.Length > 0 ? batch.Offsets[0] : -1, batch.Offsets.Length > 0 ? batch.Offsets[^1] : -1, batch.Offsets.Length, previous, appended, duplicates);
        if (!_registered && appended > 0)
        {
            await RegisterAsync();
        }

        if (_open is not null && batch.WatermarkMs >= EndMs + (long)_spec!.LateWindow.TotalMilliseconds)
        {
            await SealCoreAsync();
        }
        else if (_pending.Count >= _options.PersistEveryEvents || (_pending.Count == 0 && _maxApplied > _state.State.PersistedOffset))
        {
            // Rejected-only progress is persisted too, so the sink's checkpoint can pass it.
            await PersistPendingAsync();
        }

        PublishGauge();
        return Result(appended, duplicates, rejected, previous);
    }

    /// <inheritdoc />
    public async ValueTask<SegmentAppendResult> PersistAsync()
    {
        using var scope = _logScope?.Begin(_logger);
        if (_open is not null && _maxApplied > _state.State.PersistedOffset)
        {
            await PersistPendingAsync();
        }

        return Result(0, 0, null, _maxApplied);
    }

    /// <inheritdoc />
    public async ValueTask<SegmentStatus> SealAsync()
    {
        using var scope = _logScope?.Begin(_logger);
        if (_open is not null)
        {
            await SealCoreAsync();
        }

        return Status();
    }

    /// <inheritdoc />
    public async ValueTask DropAsync()
    {
        if (!_dropped)
        {
            if (_open is { EventCount: > 0 } && !Expired())
            {
                throw new InvalidOperationException($"Segment {_key} is open and holds {_open.EventCount} events: only sealed segments (or those past retention) are dropped.");
            }

            await DropCoreAsync(CancellationToken.None);
        }

        DeactivateOnIdle();
    }

    /// <inheritdoc />
    public async ValueTask<byte[]> QueryAsync(byte[] queryJson, CancellationToken cancellationToken = default)
    {
        var query = QueryParser.Parse(queryJson);
        var limits = QueryLimits.Resolve(query.Context, _options.Limits);
        if (_dropped)
        {
            // A broker that read the timeline just before retention dropped this segment: it holds nothing now.
            using var empty = new OpenSegment(_spec!, _id);
            return PartialResultCodec.Serialize(_executor.Execute(query, empty, limits, cancellationToken));
        }

        ISegment segment = _open is not null ? _open : await LoadSealedAsync(cancellationToken);
        _lease?.Touch();

        // Synchronous from here to the end of the turn, so an unload queued by the budget cannot run mid-query.
        var partial = _executor.Execute(query, segment, limits, cancellationToken);
        return PartialResultCodec.Serialize(partial);
    }

    /// <inheritdoc />
    public ValueTask<SegmentStatus> GetStatusAsync() => ValueTask.FromResult(Status());

    private SegmentStatus Status() => new()
    {
        Key = _key,
        State = _open is null ? SegmentState.Sealed : SegmentState.Open,
        RowCount = _open?.RowCount ?? _state.State.RowCount,
        EventCount = _open?.EventCount ?? _state.State.EventCount,
        MaxOffsetApplied = _maxApplied,
        PersistedOffset = _state.State.PersistedOffset,
        DuplicatesDropped = _duplicates,
        ObjectKey = _state.State.ObjectKey,
        Reloaded = _reloaded,
    };

    private SegmentAppendResult Result(int appended, int duplicates, List<SegmentRejection>? rejected, long previous) => new()
    {
        Appended = appended,
        Duplicates = duplicates,
        Rejected = rejected is null ? [] : [.. rejected],
        PersistedOffset = _state.State.PersistedOffset,
        FirstUnpersistedOffset = _maxApplied > _state.State.PersistedOffset ? (_pending.Count > 0 ? _pending[0].Offset : _state.State.PersistedOffset + 1) : null,
        PreviousMaxOffset = previous,
    };

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        if (_open is null)
        {
            return;
        }

        using var scope = _logScope?.Begin(_logger);

        // A backfilled segment (version above 0) is built long after its hour: the wall clock would seal it mid-build.
        // It seals by the watermark of what it is sent, or when the backfill asks.
        var sealAt = EndMs + (long)_spec!.LateWindow.TotalMilliseconds + (long)_options.SealGrace.TotalMilliseconds;
        if (_version == 0 && _time.GetUtcNow().ToUnixTimeMilliseconds() >= sealAt)
        {
            await SealCoreAsync();
        }
        else if (_pending.Count > 0)
        {
            await PersistPendingAsync();
        }
    }

    private void PublishGauge()
        => _gauge?.Publish(
            _open is not null ? "open" : _sealed is not null ? "sealed" : "unloaded",
            _open?.MemoryUsage ?? _sealed?.SizeInBytes ?? 0);

    private async Task PersistPendingAsync()
    {
        var started = Stopwatch.GetTimestamp();
        var s = _state.State;
        if (_pending.Count > 0)
        {
            var buffer = EventChunk.Write(_pending);

            // Unique per write: two activations of one segment (briefly possible after a silo failure) never
            // overwrite each other's chunk; only the chunks listed in the winning state write are ever read.
            var name = SegmentObjectKey.Chunk(_options.KeyPrefix, _key, _pending[0].Offset, _pending[^1].Offset, Guid.NewGuid());
            await _store.PutAsync(name, buffer);
            s.Chunks.Add(name);
            var persisted = s.PersistedOffset;
            s.PersistedOffset = _maxApplied;
            try
            {
                await _state.WriteStateAsync();
            }
            catch
            {
                s.Chunks.Remove(name);
                s.PersistedOffset = persisted;
                throw;
            }

            SegmentLog.Persisted(_logger, _key, s.PersistedOffset, _pending.Count, name);
        }
        else
        {
            s.PersistedOffset = _maxApplied;
            await _state.WriteStateAsync();
        }

        _pending.Clear();
        TributaryMetrics.SegmentPersistDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, _tags);
    }

    private async Task ReloadChunksAsync(CancellationToken cancellationToken)
    {
        var s = _state.State;
        var reloaded = -1L;
        foreach (var name in s.Chunks)
        {
            await using var stream = await _store.OpenReadAsync(name, cancellationToken)
                ?? throw new InvalidOperationException($"Segment {_key}: persisted chunk '{name}' is missing from the object store.");
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy, cancellationToken);
            reloaded = Reload(name, copy.GetBuffer().AsSpan(0, (int)copy.Length), s.PersistedOffset, reloaded);
        }

        _reloaded = true;
        _registered = true;
        SegmentLog.Reloaded(_logger, _key, _open!.EventCount, s.Chunks.Count, s.PersistedOffset);
    }

    /// <summary>Applies the events of one chunk above <paramref name="reloaded"/> and up to <paramref name="persisted"/>; returns the last offset applied.</summary>
    private long Reload(string name, ReadOnlySpan<byte> chunk, long persisted, long reloaded)
    {
        var reader = new EventChunk.Reader(chunk);
        try
        {
            while (reader.TryRead(out var offset, out var eventBytes))
            {
                if (offset <= persisted && offset > reloaded)
                {
                    _open!.TryAppend(eventBytes, _parser!, _scratch!, out _);
                    reloaded = offset;
                }
            }
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"Segment {_key}: persisted chunk '{name}': {e.Message}", e);
        }

        return reloaded;
    }

    private async Task SealCoreAsync()
    {
        var started = Stopwatch.GetTimestamp();
        var open = _open!;
        var s = _state.State;
        var objectKey = SegmentObjectKey.Sealed(_options.KeyPrefix, _key);
        var sealedSegment = await SegmentObjects.SealToAsync(_store, objectKey, open);
        try
        {
            // Before the state write: a sealed state always names a Bloom object that exists.
            await WriteBloomAsync(sealedSegment, CancellationToken.None);
        }
        catch
        {
            sealedSegment.Dispose();
            throw;
        }

        var chunks = s.Chunks.ToList();
        s.Sealed = true;
        s.ObjectKey = objectKey;
        s.Chunks.Clear();
        s.PersistedOffset = _maxApplied;
        s.RowCount = open.RowCount;
        s.EventCount = open.EventCount;
        s.SizeBytes = sealedSegment.SizeInBytes;
        try
        {
            await _state.WriteStateAsync();
        }
        catch
        {
            sealedSegment.Dispose();
            throw;
        }

        _pending.Clear();
        Hold(sealedSegment);
        _open = null;
        open.Dispose();
        await RegisterAsync();
        foreach (var chunk in chunks)
        {
            await _store.DeleteAsync(chunk);
        }

        TributaryMetrics.SegmentSealDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, _tags);
        PublishGauge();
        SegmentLog.Sealed(_logger, _key, s.RowCount, s.EventCount, s.SizeBytes, objectKey);
    }

    private async ValueTask<SealedSegment> LoadSealedAsync(CancellationToken cancellationToken)
    {
        if (_sealed is not null)
        {
            return _sealed;
        }

        var started = Stopwatch.GetTimestamp();
        var key = _state.State.ObjectKey!;
        var loaded = await SegmentObjects.LoadAsync(_store, key, cancellationToken)
            ?? throw new InvalidOperationException($"Segment {_key}: sealed object '{key}' is missing from the object store.");
        if (_sealed is not null)
        {
            // A query that interleaved (another load finished first): keep that one.
            loaded.Dispose();
            return _sealed;
        }

        Hold(loaded);
        _reloaded = true;
        TributaryMetrics.SegmentLoadDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, _tags);
        PublishGauge();
        return loaded;
    }

    /// <summary>Keeps <paramref name="segment"/> loaded under a lease of the silo's memory budget.</summary>
    private void Hold(SealedSegment segment)
    {
        _sealed = segment;
        _lease?.Dispose();
        var scheduler = _scheduler ?? TaskScheduler.Current;
        SegmentMemoryBudget.Lease? lease = null;
        lease = _budget.Loaded(segment.SizeInBytes, () => _ = Task.Factory.StartNew(() => Unload(lease!), CancellationToken.None, TaskCreationOptions.None, scheduler));
        _lease = lease;
    }

    /// <summary>Drops the sealed segment the budget evicted (on the grain's scheduler, between turns of this grain).</summary>
    private void Unload(SegmentMemoryBudget.Lease lease)
    {
        if (!ReferenceEquals(_lease, lease) || _sealed is null)
        {
            // Reloaded since (a newer lease) or already gone with the activation.
            return;
        }

        _lease = null;
        lease.Dispose();
        _sealed.Dispose();
        _sealed = null;
        PublishGauge();
        SegmentLog.Unloaded(_logger, _key, lease.Bytes);
    }

    private bool Expired() =>
        _options.Retention is { } retention && EndMs <= _time.GetUtcNow().ToUnixTimeMilliseconds() - (long)retention.TotalMilliseconds;

    /// <summary>Deletes every object of the segment and its grain state; afterwards it holds nothing and takes no events.</summary>
    private async Task DropCoreAsync(CancellationToken cancellationToken)
    {
        var s = _state.State;
        var objects = new List<string>(s.Chunks) { SegmentObjectKey.Sealed(_options.KeyPrefix, _key), SegmentObjectKey.Bloom(_options.KeyPrefix, _key) };
        objects.AddRange(new[] { s.ObjectKey, s.BloomKey }.OfType<string>());
        foreach (var key in objects.Distinct(StringComparer.Ordinal))
        {
            await _store.DeleteAsync(key, cancellationToken);
        }

        if (_state.RecordExists)
        {
            await _state.ClearStateAsync(cancellationToken);
        }

        _open?.Dispose();
        _open = null;
        _sealed?.Dispose();
        _sealed = null;
        _pending.Clear();
        _dropped = true;
        SegmentLog.Dropped(_logger, _key, objects.Count);
    }

    private async Task WriteBloomAsync(SealedSegment segment, CancellationToken cancellationToken)
    {
        var bloomKey = SegmentObjectKey.Bloom(_options.KeyPrefix, _key);
        await SegmentObjects.WriteBloomAsync(_store, bloomKey, segment, cancellationToken);
        _state.State.BloomKey = bloomKey;
    }

    private async Task RegisterAsync()
    {
        var s = _state.State;
        await GrainFactory.GetGrain<IDatasourceCatalogGrain>(_id.Datasource).RegisterAsync(new SegmentTimelineEntry
        {
            Key = _key,
            StartMs = _id.IntervalStartMs,
            EndMs = EndMs,
            Partition = _id.Partition,
            State = s.Sealed ? SegmentState.Sealed : SegmentState.Open,
            RowCount = _open?.RowCount ?? s.RowCount,
            EventCount = _open?.EventCount ?? s.EventCount,
            BloomObjectKey = s.Sealed ? s.BloomKey : null,
            ObjectKey = s.ObjectKey,
            SizeBytes = s.SizeBytes,
            Version = _version,
        });
        _registered = true;
    }
}
