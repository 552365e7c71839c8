using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tributary.Grains.Streaming;
using Tributary.Segments;
using Tributary.Segments.Ingest;
using Tributary.Segments.Schema;

namespace Tributary.Grains.Segments;

/// <summary>Durable state of <see cref="SegmentIngestGrain"/>.</summary>
[GenerateSerializer, Alias("tributary.SegmentIngestState")]
public sealed class SegmentIngestState
{
    /// <summary>Whether the state was ever written.</summary>
    [Id(0)] public bool Started { get; set; }

    /// <summary>Every record below this offset is durable in a segment or the dead-letter topic (or was a dropped replay).</summary>
    [Id(1)] public long Checkpoint { get; set; }

    /// <summary>The event-time watermark just before <see cref="Checkpoint"/>, so a replay from there decides lateness identically.</summary>
    [Id(2)] public long WatermarkMs { get; set; } = long.MinValue;

    /// <summary>Largest offset already dead-lettered (a replay does not send it twice).</summary>
    [Id(3)] public long DeadLetteredThrough { get; set; } = -1;

    /// <summary>Malformed events dead-lettered.</summary>
    [Id(4)] public long Malformed { get; set; }

    /// <summary>Late (or too early) events dead-lettered.</summary>
    [Id(5)] public long Late { get; set; }

    /// <summary>Segments this sink wrote that it has not sealed yet: key to the Unix ms at which they seal.</summary>
    [Id(6)] public Dictionary<string, long> OpenSegments { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The segment sink of one Kafka partition (key <c>{topic}/{partition}</c>), subscribed implicitly to
/// <see cref="StreamNamespace"/>. It parses each event with its datasource spec, dead-letters malformed events and
/// events later than the late window (behind the partition's event-time watermark) with the reason as a header,
/// routes the rest by event time to <see cref="ISegmentGrain"/> (datasource, hour, partition), seals segments when the
/// watermark passes their hour plus the late window, and moves its checkpoint (state, then the provider's Kafka
/// commit) only past offsets every target segment has persisted.
/// </summary>
/// <remarks>
/// Exactly once: segments drop replays by offset and the sink skips dead letters at or below
/// <see cref="SegmentIngestState.DeadLetteredThrough"/>. When a segment reports it has applied less than the sink sent
/// it (its activation died before persisting), or the stream resumes past the checkpoint, the sink re-reads its
/// partition from the checkpoint straight from Kafka.
/// </remarks>
[ImplicitStreamSubscription(StreamNamespace)]
public sealed class SegmentIngestGrain : PartitionSinkGrain, ISegmentIngestGrain
{
    /// <summary>The stream namespace this grain consumes: the segment sink's Kafka stream provider sets <c>StreamNamespace</c> to it.</summary>
    public const string StreamNamespace = "tributary.segments";

    private const int MaxLostRetries = 3;
    private readonly IPersistentState<SegmentIngestState> _state;
    private readonly DatasourceRegistry _registry;
    private readonly SegmentsOptions _options;
    private readonly ILogger<SegmentIngestGrain> _logger;
    private readonly Dictionary<string, Tracked> _tracked = new(StringComparer.Ordinal);
    private readonly List<(long Offset, long WatermarkBefore)> _marks = [];
    private DatasourceSpec? _spec;
    private SegmentRouter? _router;
    private bool _reread;
    private long _routed;
    private long _lastCheckpointWriteMs;

    /// <summary>Creates the grain.</summary>
    public SegmentIngestGrain(
        [PersistentState("segment-ingest", "tributary")] IPersistentState<SegmentIngestState> state,
        DatasourceRegistry registry,
        IOptions<SegmentsOptions> options,
        TimeProvider time,
        ILogger<SegmentIngestGrain> logger)
        : base(time)
    {
        _state = state;
        _registry = registry;
        _options = options.Value;
        _logger = logger;
    }

    /// <inheritdoc />
    protected override string SinkName => "segments";

    /// <inheritdoc />
    protected override string SinkStreamNamespace => StreamNamespace;

    /// <inheritdoc />
    protected override TimeSpan? PersistInterval => _options.PersistInterval;

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        _spec = _registry.FindByTopic(Topic);
        if (_spec is null)
        {
            SegmentLog.NoDatasource(_logger, Topic, Partition);
        }
    }

    /// <inheritdoc />
    public ValueTask<SegmentIngestStatus> GetStatusAsync() => ValueTask.FromResult(Status());

    /// <inheritdoc />
    public async ValueTask<SegmentIngestStatus> FlushAsync()
    {
        // Persists pending segments and checkpoints; when a segment lost events with a dead activation, re-reads the
        // partition from the checkpoint to its current end right away (the stream may have nothing more to deliver).
        await PersistNowAsync();
        return Status();
    }

    private SegmentIngestStatus Status() => new()
    {
        Topic = Topic,
        Partition = Partition,
        Checkpoint = _state.State.Checkpoint,
        NextOffset = IsLoaded ? _router!.NextOffset : _state.State.Checkpoint,
        Routed = _routed,
        Malformed = _state.State.Malformed,
        Late = _state.State.Late,
        WatermarkMs = IsLoaded ? _router!.WatermarkMs : _state.State.WatermarkMs,
        DuplicatesDropped = DuplicatesDropped + (_router?.DuplicatesDropped ?? 0),
    };

    /// <inheritdoc />
    protected override bool ShouldRetry(Exception error, int attempt) => error is SegmentLostException && attempt < MaxLostRetries;

    /// <inheritdoc />
    protected override void Forget(Exception error)
    {
        // A segment lost events with a dead activation (replay from the checkpoint, then this delivery), or memory is
        // ahead of what is durable: the next attempt, delivery or tick replays from the checkpoint.
        SegmentLog.Resetting(_logger, Topic, Partition, _state.State.Checkpoint, error);
        _reread = true;
        _tracked.Clear();
        _marks.Clear();
    }

    /// <inheritdoc />
    protected override void OnPersistTickFailed(Exception error) => SegmentLog.PersistTickFailed(_logger, Topic, Partition, error);

    /// <inheritdoc />
    protected override void OnDelivering(IReadOnlyList<KafkaRecord> records)
        => SegmentLog.SinkDelivered(_logger, Topic, Partition, records[0].Offset, records[^1].Offset, records.Count, NextOffset);

    /// <inheritdoc />
    protected override void OnReplayed(long from, long to, long count) => SegmentLog.Replayed(_logger, Topic, Partition, from, to, count);

    /// <inheritdoc />
    protected override async ValueTask<long?> LoadAsync(long? firstDelivered)
    {
        if (_reread)
        {
            // Memory may be ahead of what is durable (counters, dead letters whose send failed): start from storage.
            await _state.ReadStateAsync();
            _reread = false;
        }

        var s = _state.State;
        if (!s.Started)
        {
            if (firstDelivered is null)
            {
                return null;
            }

            // First run of this partition: start where the provider starts (committed offset or earliest).
            s.Started = true;
            s.Checkpoint = firstDelivered.Value;
            await _state.WriteStateAsync();
        }

        _router = new SegmentRouter(_spec, Topic, start => SegmentKey.Format(_spec!.Name, start, Partition), s.Checkpoint, s.WatermarkMs, s.OpenSegments);
        SegmentLog.SinkLoaded(_logger, Topic, Partition, s.Checkpoint, firstDelivered ?? -1);
        _marks.Clear();
        _marks.Add((s.Checkpoint, s.WatermarkMs));
        return s.Checkpoint;
    }

    /// <inheritdoc />
    protected override async ValueTask<long> MakeDurableAsync(bool force)
    {
        if (force)
        {
            await FlushCoreAsync();
        }
        else
        {
            await CheckpointAsync(force: false);
        }

        return _state.State.Checkpoint;
    }

    /// <inheritdoc />
    protected override async ValueTask RouteAsync(IReadOnlyList<KafkaRecord> records)
    {
        var router = _router!;
        var batch = router.Begin();
        var now = Time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var record in records)
        {
            router.Route(record.Offset, record.Value, now, batch);
        }

        if (batch.FirstOffset is { } first)
        {
            _marks.Add((first, batch.WatermarkBefore));
        }

        string? lost = null;
        if (batch.Routes.Count > 0)
        {
            var calls = batch.Routes.Select(r => GrainFactory.GetGrain<ISegmentGrain>(r.Key).AppendAsync(new SegmentAppendBatch
            {
                Offsets = [.. r.Offsets],
                Events = [.. r.Events],
                WatermarkMs = batch.WatermarkAfter,
                PreviousSent = _tracked.TryGetValue(r.Key, out var known) ? known.LastSent : -1,
            }).AsTask()).ToList();
            var results = await Task.WhenAll(calls);
            for (var i = 0; i < batch.Routes.Count; i++)
            {
                var result = results[i];
                var route = batch.Routes[i];

                // Every segment's answer is taken (its rejections dead-lettered) before a loss is acted on: a replay
                // would not reject those offsets again.
                lost ??= Track(route.Key, result, route.Offsets[^1]);
                _routed += result.Appended;
                foreach (var rejection in result.Rejected)
                {
                    batch.DeadLetters.Add(new SegmentDeadLetter(rejection.Offset, rejection.Reason, rejection.Reason.Contains("sealed", StringComparison.Ordinal)));
                }
            }
        }

        SendDeadLetters(records, batch.DeadLetters);
        if (lost is not null)
        {
            throw new SegmentLostException(lost);
        }

        await SealPassedAsync();
    }

    /// <summary>Records what a segment answered; returns why the segment lost events, or null when it did not.</summary>
    private string? Track(string key, SegmentAppendResult result, long lastSent)
    {
        _tracked.TryGetValue(key, out var known);
        if (result.Refused || (known is not null && known.LastSent > result.PreviousMaxOffset))
        {
            return $"segment {key} applied only through offset {result.PreviousMaxOffset} but was sent offset {known?.LastSent ?? lastSent}";
        }

        _tracked[key] = new Tracked(Math.Max(lastSent, known?.LastSent ?? -1), result.FirstUnpersistedOffset);
        return null;
    }

    private void SendDeadLetters(IReadOnlyList<KafkaRecord> records, List<SegmentDeadLetter> deadLetters)
    {
        var s = _state.State;
        var fresh = deadLetters.Where(d => d.Offset > s.DeadLetteredThrough).OrderBy(d => d.Offset).ToList();
        if (fresh.Count == 0)
        {
            return;
        }

        // Acknowledgements are awaited before the next state write (the checkpoint), not here: one Kafka round trip per
        // checkpoint instead of per delivery. The checkpoint and DeadLetteredThrough are written together after them.
        var byOffset = new Dictionary<long, KafkaRecord>(records.Count);
        foreach (var record in records)
        {
            byOffset.TryAdd(record.Offset, record);
        }

        var topic = _options.DeadLetterTopic.Replace("{datasource}", _spec?.Name ?? Topic, StringComparison.Ordinal);
        foreach (var d in fresh)
        {
            SendDeadLetter(topic, byOffset[d.Offset], d.Reason);
        }

        foreach (var d in fresh)
        {
            if (d.Late)
            {
                s.Late++;
            }
            else
            {
                s.Malformed++;
            }
        }

        s.DeadLetteredThrough = fresh[^1].Offset;
    }

    /// <summary>Writes the state once every dead letter sent so far is acknowledged (so the state never claims one that failed).</summary>
    private async Task WriteStateAsync()
    {
        await DeadLettersAcknowledgedAsync();
        await _state.WriteStateAsync();
    }

    private async Task SealPassedAsync()
    {
        var due = _router!.DueForSeal();
        if (due.Count == 0)
        {
            return;
        }

        await Task.WhenAll(due.Select(k => GrainFactory.GetGrain<ISegmentGrain>(k).SealAsync().AsTask()));
        foreach (var key in due)
        {
            _router.Sealed(key);
            _tracked.Remove(key);
        }
    }

    private async Task FlushCoreAsync()
    {

        var pending = _tracked.Where(kv => kv.Value.FirstUnpersisted is not null).Select(kv => kv.Key).ToList();
        var results = await Task.WhenAll(pending.Select(k => GrainFactory.GetGrain<ISegmentGrain>(k).PersistAsync().AsTask()));
        for (var i = 0; i < pending.Count; i++)
        {
            var known = _tracked[pending[i]];
            if (results[i].PersistedOffset < known.LastSent)
            {
                throw new SegmentLostException($"segment {pending[i]} persisted only through offset {results[i].PersistedOffset} but was sent offset {known.LastSent}");
            }

            _tracked[pending[i]] = known with { FirstUnpersisted = results[i].FirstUnpersistedOffset };
        }

        await CheckpointAsync(force: true);
    }

    private async Task CheckpointAsync(bool force)
    {
        var safe = _router!.NextOffset;
        foreach (var t in _tracked.Values)
        {
            if (t.FirstUnpersisted is { } f && f < safe)
            {
                safe = f;
            }
        }

        long checkpoint;
        long watermark;
        if (safe == _router!.NextOffset)
        {
            checkpoint = _router!.NextOffset;
            watermark = _router!.WatermarkMs;
            _marks.Clear();
            _marks.Add((checkpoint, watermark));
        }
        else
        {
            while (_marks.Count > 1 && _marks[1].Offset <= safe)
            {
                _marks.RemoveAt(0);
            }

            (checkpoint, watermark) = _marks[0];
        }

        var s = _state.State;
        var nowMs = Time.GetUtcNow().ToUnixTimeMilliseconds();
        if (checkpoint <= s.Checkpoint || (!force && nowMs - _lastCheckpointWriteMs < 1000))
        {
            return;
        }

        s.Checkpoint = checkpoint;
        s.WatermarkMs = watermark;
        foreach (var key in _tracked.Where(kv => kv.Value.FirstUnpersisted is null).Select(kv => kv.Key).ToList())
        {
            _tracked.Remove(key);
        }

        await WriteStateAsync();
        SegmentLog.SinkCheckpoint(_logger, Topic, Partition, checkpoint, _router!.NextOffset);
        _lastCheckpointWriteMs = nowMs;
    }

    private sealed record Tracked(long LastSent, long? FirstUnpersisted);

    private sealed class SegmentLostException(string message) : Exception(message);
}
