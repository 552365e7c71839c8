namespace Tributary.Segments;

/// <summary>
/// Events for one segment, in offset order, as the segment sink read them from one Kafka partition. The values are
/// the raw JSON event bytes (already validated by the sink); the segment parses them with the datasource spec.
/// </summary>
[GenerateSerializer, Immutable, Alias("tributary.SegmentAppendBatch")]
public sealed record SegmentAppendBatch
{
    /// <summary>Kafka offset of each event, ascending.</summary>
    [Id(0)] public long[] Offsets { get; init; } = [];

    /// <summary>The JSON event of each offset.</summary>
    [Id(1)] public byte[][] Events { get; init; } = [];

    /// <summary>The sink's event-time watermark (largest event time read from the partition), Unix ms.</summary>
    [Id(2)] public long WatermarkMs { get; init; } = long.MinValue;

    /// <summary>
    /// The largest offset this sender sent the segment before this batch (in the sender's current run), or -1 when it
    /// knows of none. A segment that has applied less lost events with a dead activation: it refuses the whole batch,
    /// so it never applies an offset past a gap (which its offset-based replay filter would then hide for good).
    /// </summary>
    [Id(3)] public long PreviousSent { get; init; } = -1;
}

/// <summary>What a segment did with a batch and how far it is durable.</summary>
[GenerateSerializer, Immutable, Alias("tributary.SegmentAppendResult")]
public sealed record SegmentAppendResult
{
    /// <summary>Events appended.</summary>
    [Id(0)] public int Appended { get; init; }

    /// <summary>Events dropped because their offset was already applied (a replay).</summary>
    [Id(1)] public int Duplicates { get; init; }

    /// <summary>Offsets refused (the segment is sealed, or the event did not parse), with the reason of each.</summary>
    [Id(2)] public SegmentRejection[] Rejected { get; init; } = [];

    /// <summary>Largest offset whose event is durable in the segment (persisted open state or sealed object); -1 for none.</summary>
    [Id(3)] public long PersistedOffset { get; init; } = -1;

    /// <summary>Smallest offset applied but not yet durable, or null when everything applied is durable.</summary>
    [Id(4)] public long? FirstUnpersistedOffset { get; init; }

    /// <summary>
    /// Largest offset the segment had applied before this call; a sender that sent more than that lost events with
    /// a dead activation and must replay from its checkpoint.
    /// </summary>
    [Id(5)] public long PreviousMaxOffset { get; init; } = -1;

    /// <summary>
    /// True when the segment refused the batch unapplied because it had applied less than
    /// <see cref="SegmentAppendBatch.PreviousSent"/>; the sender must replay from its checkpoint.
    /// </summary>
    [Id(6)] public bool Refused { get; init; }
}

/// <summary>An event a segment refused.</summary>
[GenerateSerializer, Immutable, Alias("tributary.SegmentRejection")]
public sealed record SegmentRejection([property: Id(0)] long Offset, [property: Id(1)] string Reason);

/// <summary>Lifecycle state of a segment.</summary>
public enum SegmentState
{
    /// <summary>Receiving events, held in memory (open state persisted periodically).</summary>
    Open = 0,

    /// <summary>Immutable, serialized to the object store with its Bloom filter next to it, registered with both locations.</summary>
    Sealed = 1,
}

/// <summary>A segment's state as the grain reports it.</summary>
[GenerateSerializer, Immutable, Alias("tributary.SegmentStatus")]
public sealed record SegmentStatus
{
    /// <summary>Grain key (see <c>Tributary.Segments.SegmentKey</c>).</summary>
    [Id(0)] public string Key { get; init; } = string.Empty;

    /// <summary>Open or sealed.</summary>
    [Id(1)] public SegmentState State { get; init; }

    /// <summary>Rows after rollup.</summary>
    [Id(2)] public long RowCount { get; init; }

    /// <summary>Events appended (before rollup).</summary>
    [Id(3)] public long EventCount { get; init; }

    /// <summary>Largest offset applied.</summary>
    [Id(4)] public long MaxOffsetApplied { get; init; } = -1;

    /// <summary>Largest offset durable.</summary>
    [Id(5)] public long PersistedOffset { get; init; } = -1;

    /// <summary>Replayed events dropped by offset since activation.</summary>
    [Id(6)] public long DuplicatesDropped { get; init; }

    /// <summary>Object-store key of the sealed segment, if sealed.</summary>
    [Id(7)] public string? ObjectKey { get; init; }

    /// <summary>Whether the segment was reloaded from durable state or the object store by this activation.</summary>
    [Id(8)] public bool Reloaded { get; init; }
}

/// <summary>One segment of a datasource's timeline.</summary>
[GenerateSerializer, Immutable, Alias("tributary.SegmentTimelineEntry")]
public sealed record SegmentTimelineEntry
{
    /// <summary>Grain key (see <c>Tributary.Segments.SegmentKey</c>).</summary>
    [Id(0)] public string Key { get; init; } = string.Empty;

    /// <summary>Interval start, Unix ms (inclusive).</summary>
    [Id(1)] public long StartMs { get; init; }

    /// <summary>Interval end, Unix ms (exclusive).</summary>
    [Id(2)] public long EndMs { get; init; }

    /// <summary>Kafka partition.</summary>
    [Id(3)] public int Partition { get; init; }

    /// <summary>Open or sealed.</summary>
    [Id(4)] public SegmentState State { get; init; }

    /// <summary>Rows after rollup (as of the last report).</summary>
    [Id(5)] public long RowCount { get; init; }

    /// <summary>Events (as of the last report).</summary>
    [Id(6)] public long EventCount { get; init; }

    /// <summary>
    /// Legacy: the serialized Bloom filter inline, as catalogs stored it before Bloom filters became objects of their
    /// own (<see cref="BloomObjectKey"/>). Never sent now; read only when a catalog migrates its old-format state.
    /// </summary>
    [Id(7)] public byte[]? BloomFilter { get; init; }

    /// <summary>Object-store key of the sealed segment.</summary>
    [Id(8)] public string? ObjectKey { get; init; }

    /// <summary>Serialized size of the sealed segment, bytes.</summary>
    [Id(9)] public long SizeBytes { get; init; }

    /// <summary>
    /// Version of the segment: 0 for the live segments built from Kafka, the backfill's version (Unix ms when it started,
    /// as Druid's versions are times) for segments rebuilt from the archive. The timeline serves, per hour, only the
    /// segments of the hour's published version.
    /// </summary>
    [Id(10)] public long Version { get; init; }

    /// <summary>
    /// Object-store key of the sealed segment's Bloom filter of partition-key values (<c>{prefix}/{segmentKey}/bloom.tbf</c>),
    /// or null (open segments, or none written): the broker loads it lazily to prune, and never prunes without it.
    /// </summary>
    [Id(11)] public string? BloomObjectKey { get; init; }
}

/// <summary>
/// Swaps the segments of one backfill version into a datasource's timeline for an interval of whole hours, atomically
/// (one catalog state write): afterwards every hour of the interval is served from <see cref="Version"/>'s segments
/// only, and the segments of lower versions there are overshadowed.
/// </summary>
[GenerateSerializer, Immutable, Alias("tributary.SegmentVersionPublish")]
public sealed record SegmentVersionPublish
{
    /// <summary>Interval start, Unix ms, aligned to an hour (inclusive).</summary>
    [Id(0)] public long StartMs { get; init; }

    /// <summary>Interval end, Unix ms, aligned to an hour (exclusive).</summary>
    [Id(1)] public long EndMs { get; init; }

    /// <summary>The version to serve; must be above the version each hour serves now.</summary>
    [Id(2)] public long Version { get; init; }

    /// <summary>The keys of the version's segments; each must be registered, sealed, at this version and inside the interval.</summary>
    [Id(3)] public string[] Keys { get; init; } = [];
}

/// <summary>What a <see cref="SegmentVersionPublish"/> did.</summary>
[GenerateSerializer, Immutable, Alias("tributary.SegmentVersionPublished")]
public sealed record SegmentVersionPublished
{
    /// <summary>Segments of the new version now served.</summary>
    [Id(0)] public int Published { get; init; }

    /// <summary>Segments of lower versions in the interval that are no longer served.</summary>
    [Id(1)] public int Overshadowed { get; init; }

    /// <summary>The timeline's version after the swap.</summary>
    [Id(2)] public long TimelineVersion { get; init; }
}

/// <summary>What <see cref="IDatasourceCatalogGrain.ApplyRetentionAsync"/> did.</summary>
[GenerateSerializer, Immutable, Alias("tributary.SegmentRetentionApplied")]
public sealed record SegmentRetentionApplied
{
    /// <summary>Segments dropped from the timeline and deleted from the store.</summary>
    [Id(0)] public int Dropped { get; init; }

    /// <summary>Segments left in the timeline (of every version).</summary>
    [Id(1)] public int Remaining { get; init; }

    /// <summary>Segments ending at or before this time (Unix ms) were dropped; null without a retention.</summary>
    [Id(2)] public long? CutoffMs { get; init; }
}

/// <summary>A datasource's timeline, with a version that changes whenever an entry changes state.</summary>
[GenerateSerializer, Immutable, Alias("tributary.DatasourceTimeline")]
public sealed record DatasourceTimeline
{
    /// <summary>The datasource.</summary>
    [Id(0)] public string Datasource { get; init; } = string.Empty;

    /// <summary>Bumped when a segment is added or sealed (row counts do not bump it).</summary>
    [Id(1)] public long Version { get; init; }

    /// <summary>Segments ordered by start then partition.</summary>
    [Id(2)] public SegmentTimelineEntry[] Segments { get; init; } = [];
}

/// <summary>A query answer: HTTP status and Druid's JSON body (result or error).</summary>
[GenerateSerializer, Immutable, Alias("tributary.QueryResponse")]
public sealed record QueryResponse
{
    /// <summary>200, or the Druid error's status (400 bad query, 504 timeout, 500 other).</summary>
    [Id(0)] public int StatusCode { get; init; } = 200;

    /// <summary>UTF-8 JSON: the Druid result (with <c>explain</c>: an object holding <c>result</c> and <c>explain</c>) or the error.</summary>
    [Id(1)] public byte[] Body { get; init; } = [];

    /// <summary>The pruning report as JSON when explain was asked for, else null.</summary>
    [Id(2)] public string? Explain { get; init; }
}

/// <summary>Progress and counters of one partition's segment sink.</summary>
[GenerateSerializer, Immutable, Alias("tributary.SegmentIngestStatus")]
public sealed record SegmentIngestStatus
{
    /// <summary>Topic.</summary>
    [Id(0)] public string Topic { get; init; } = string.Empty;

    /// <summary>Partition.</summary>
    [Id(1)] public int Partition { get; init; }

    /// <summary>Durable checkpoint: every offset below it is durable in a segment or the dead-letter topic.</summary>
    [Id(2)] public long Checkpoint { get; init; }

    /// <summary>Next offset expected.</summary>
    [Id(3)] public long NextOffset { get; init; }

    /// <summary>Events sent to segments (durable count).</summary>
    [Id(4)] public long Routed { get; init; }

    /// <summary>Malformed events dead-lettered.</summary>
    [Id(5)] public long Malformed { get; init; }

    /// <summary>Events later than the late window (or too early) dead-lettered.</summary>
    [Id(6)] public long Late { get; init; }

    /// <summary>Event-time watermark, Unix ms.</summary>
    [Id(7)] public long WatermarkMs { get; init; }

    /// <summary>Replayed records skipped by offset since activation.</summary>
    [Id(8)] public long DuplicatesDropped { get; init; }
}
