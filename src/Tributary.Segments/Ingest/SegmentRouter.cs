using System.Globalization;
using Tributary.Segments.Schema;

namespace Tributary.Segments.Ingest;

/// <summary>One event the router refused, for the dead-letter topic.</summary>
/// <param name="Offset">Kafka offset of the event.</param>
/// <param name="Reason">Why, naming the field or the times compared.</param>
/// <param name="Late">Counted as late (or too early) rather than malformed.</param>
public readonly record struct SegmentDeadLetter(long Offset, string Reason, bool Late);

/// <summary>The events of one batch bound for one segment, in offset order.</summary>
public sealed class SegmentRoute
{
    internal SegmentRoute(string key) => Key = key;

    /// <summary>The segment's grain key.</summary>
    public string Key { get; }

    /// <summary>The events' Kafka offsets.</summary>
    public List<long> Offsets { get; } = [];

    /// <summary>The raw events, parallel to <see cref="Offsets"/>.</summary>
    public List<byte[]> Events { get; } = [];
}

/// <summary>What <see cref="SegmentRouter"/> decided for one batch: the events per segment and the refused ones.</summary>
public sealed class SegmentBatch
{
    private readonly Dictionary<string, SegmentRoute> _byKey = new(StringComparer.Ordinal);

    /// <summary>Target segments in the order the batch first reached them.</summary>
    public List<SegmentRoute> Routes { get; } = [];

    /// <summary>Refused events in offset order (a host may add the segments' own rejections after them).</summary>
    public List<SegmentDeadLetter> DeadLetters { get; } = [];

    /// <summary>The first offset of the batch that was not a dropped duplicate; null when every record was.</summary>
    public long? FirstOffset { get; internal set; }

    /// <summary>The watermark just before <see cref="FirstOffset"/>: a replay from that offset starts with it.</summary>
    public long WatermarkBefore { get; internal set; } = long.MinValue;

    /// <summary>The watermark after the batch (sent with every append, so segments seal by it).</summary>
    public long WatermarkAfter { get; internal set; } = long.MinValue;

    internal SegmentRoute Route(string key, out bool created)
    {
        created = !_byKey.TryGetValue(key, out var route);
        if (created)
        {
            route = new SegmentRoute(key);
            _byKey[key] = route;
            Routes.Add(route);
        }

        return route!;
    }
}

/// <summary>
/// The deterministic routing and admission of the segment sink for one Kafka partition (the counterpart of the
/// archive's <c>ArchiveRouter</c>): given its events in offset order it drops replays below <see cref="NextOffset"/>,
/// parses each event with the datasource spec, refuses malformed ones and ones later than the late window behind the
/// partition's event-time watermark, routes the rest by event time to their segment (one per segment granularity,
/// usually an hour), advances the watermark, and says which segments the watermark has closed (segment end + late
/// window) so the host seals them.
/// </summary>
/// <remarks>
/// Every decision depends only on the events, on the <see cref="NextOffset"/> and <see cref="WatermarkMs"/> it was
/// created with, and, for early rejection only, on the clock passed in: a router created from a checkpoint and its
/// watermark makes the same decisions for the same events as the router that passed that checkpoint. Not thread-safe.
/// </remarks>
public sealed class SegmentRouter
{
    private readonly DatasourceSpec? _spec;
    private readonly string _topic;
    private readonly Func<long, string> _segmentKey;
    private readonly RowParser? _parser;
    private readonly ParsedRow? _scratch;
    private readonly IDictionary<string, long> _openSegments;
    private readonly long _closeAfterMs;
    private long _lastStart = long.MinValue;
    private string _lastKey = string.Empty;

    /// <summary>
    /// Creates the router of <paramref name="topic"/>'s partition for <paramref name="spec"/> (null when no datasource
    /// reads the topic: every event is refused), resuming at <paramref name="nextOffset"/> with the watermark
    /// <paramref name="watermarkMs"/> (<see cref="long.MinValue"/>: none yet).
    /// </summary>
    /// <param name="spec">The datasource, or null.</param>
    /// <param name="topic">The Kafka topic (named in refusals when there is no datasource).</param>
    /// <param name="segmentKey">The segment grain key of a segment start (Unix ms).</param>
    /// <param name="nextOffset">Offsets below this are replays and dropped.</param>
    /// <param name="watermarkMs">Largest accepted event time before <paramref name="nextOffset"/>.</param>
    /// <param name="openSegments">
    /// The host's durable record of segments routed to and not sealed yet (key to the watermark at which they close);
    /// the router adds to it as it opens segments and removes from it in <see cref="Sealed"/>.
    /// </param>
    public SegmentRouter(DatasourceSpec? spec, string topic, Func<long, string> segmentKey, long nextOffset, long watermarkMs, IDictionary<string, long>? openSegments = null)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(segmentKey);
        _spec = spec;
        _topic = topic;
        _segmentKey = segmentKey;
        _openSegments = openSegments ?? new Dictionary<string, long>(StringComparer.Ordinal);
        if (spec is not null)
        {
            _parser = new RowParser(spec);
            _scratch = new ParsedRow(spec);
            _closeAfterMs = spec.Granularity.Segment.Milliseconds + (long)spec.LateWindow.TotalMilliseconds;
        }

        NextOffset = nextOffset;
        WatermarkMs = watermarkMs;
    }

    /// <summary>The offset after the last event routed.</summary>
    public long NextOffset { get; private set; }

    /// <summary>Largest accepted event time, Unix ms; <see cref="long.MinValue"/> before any.</summary>
    public long WatermarkMs { get; private set; }

    /// <summary>Replays dropped because they were below <see cref="NextOffset"/>.</summary>
    public long DuplicatesDropped { get; private set; }

    /// <summary>Segments routed to and not sealed yet: key to the watermark at which they close.</summary>
    public IEnumerable<KeyValuePair<string, long>> OpenSegments => _openSegments;

    /// <summary>Starts a batch.</summary>
    public SegmentBatch Begin() => new() { WatermarkBefore = WatermarkMs, WatermarkAfter = WatermarkMs };

    /// <summary>
    /// Routes one event (offsets must increase) into <paramref name="batch"/>, at the clock <paramref name="nowMs"/>
    /// (Unix ms; used only for early rejection). Returns false when it was a replay and was dropped.
    /// </summary>
    public bool Route(long offset, byte[]? value, long nowMs, SegmentBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (offset < NextOffset)
        {
            DuplicatesDropped++;
            return false;
        }

        if (batch.FirstOffset is null)
        {
            batch.FirstOffset = offset;
            batch.WatermarkBefore = WatermarkMs;
        }

        NextOffset = offset + 1;
        var reason = Admit(value, nowMs, out var late);
        if (reason is not null)
        {
            batch.DeadLetters.Add(new SegmentDeadLetter(offset, reason, late));
        }
        else
        {
            var ts = _scratch!.TimestampMs;
            WatermarkMs = Math.Max(WatermarkMs, ts);
            var start = _spec!.SegmentStart(ts);
            if (start != _lastStart)
            {
                _lastKey = _segmentKey(start);
                _lastStart = start;
            }

            var route = batch.Route(_lastKey, out var created);
            if (created)
            {
                _openSegments.TryAdd(_lastKey, start + _closeAfterMs);
            }

            route.Offsets.Add(offset);
            route.Events.Add(value!);
        }

        batch.WatermarkAfter = WatermarkMs;
        return true;
    }

    /// <summary>The open segments the watermark has closed (their end plus the late window is at or below it): seal them.</summary>
    public List<string> DueForSeal()
    {
        if (WatermarkMs == long.MinValue)
        {
            return [];
        }

        var watermark = WatermarkMs;
        return _openSegments.Where(kv => kv.Value <= watermark).Select(kv => kv.Key).ToList();
    }

    /// <summary>Forgets a segment the host sealed.</summary>
    public void Sealed(string key) => _openSegments.Remove(key);

    /// <summary>Why the event is refused (null when it is accepted; then the scratch row holds it).</summary>
    private string? Admit(byte[]? value, long nowMs, out bool late)
    {
        late = false;
        if (_spec is null)
        {
            return $"no datasource reads topic '{_topic}'";
        }

        if (value is null || value.Length == 0)
        {
            return "empty record value";
        }

        if (!_parser!.TryParse(value, _scratch!, out var error))
        {
            return error ?? "malformed event";
        }

        var ts = _scratch!.TimestampMs;
        late = true;
        if (WatermarkMs != long.MinValue && _spec.Admit(ts, WatermarkMs) == EventAdmission.TooLate)
        {
            return Invariant($"event time {Iso(ts)} is later than the late window ({_spec.LateWindow}) behind the watermark {Iso(WatermarkMs)}");
        }

        if (_spec.Admit(ts, nowMs) == EventAdmission.TooEarly)
        {
            return Invariant($"event time {Iso(ts)} is more than {_spec.EarlyRejection} ahead of the clock {Iso(nowMs)}");
        }

        late = false;
        return null;
    }

    private static string Iso(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
