using Tributary.Kafka;
using Tributary.Storage.Archive;

namespace Tributary.Unified;

/// <summary>Where each partition starts.</summary>
public sealed record UnifiedStart
{
    private UnifiedStart()
    {
    }

    /// <summary>Per partition the first offset to yield (partitions not listed start at the beginning).</summary>
    public IReadOnlyDictionary<int, long>? Offsets { get; private init; }

    /// <summary>Start at the first offset whose time (Kafka timestamp, or event time with <see cref="ByEventTime"/>) is at or after this, Unix ms.</summary>
    public long? TimeMs { get; private init; }

    /// <summary>Whether <see cref="TimeMs"/> is compared with the event time instead of the Kafka timestamp.</summary>
    public bool ByEventTime { get; private init; }

    /// <summary>The earliest offset kept anywhere (archive or Kafka).</summary>
    public static UnifiedStart Beginning { get; } = new();

    /// <summary>From these offsets per partition.</summary>
    public static UnifiedStart FromOffsets(IReadOnlyDictionary<int, long> offsets) => new() { Offsets = new Dictionary<int, long>(offsets) };

    /// <summary>From saved positions (resume): no gap and no duplicate after the records the positions came from.</summary>
    public static UnifiedStart FromPositions(IEnumerable<UnifiedPosition> positions) => FromOffsets(positions.ToDictionary(p => p.Partition, p => p.NextOffset));

    /// <summary>
    /// From the first offset per partition whose Kafka timestamp (or event time when <paramref name="byEventTime"/>) is at or after
    /// <paramref name="time"/>. When no record of a partition is at or after it, the partition starts at its end and yields what
    /// arrives later.
    /// </summary>
    public static UnifiedStart FromTime(DateTimeOffset time, bool byEventTime = false) => new() { TimeMs = time.ToUnixTimeMilliseconds(), ByEventTime = byEventTime };
}

/// <summary>Where each partition ends (the stream ends when every partition has ended); null in the options means never (follow live).</summary>
public sealed record UnifiedUntil
{
    private UnifiedUntil()
    {
    }

    /// <summary>Per partition the offset to stop before.</summary>
    public IReadOnlyDictionary<int, long>? Offsets { get; private init; }

    /// <summary>Stop before the first record whose Kafka timestamp is at or after this, Unix ms.</summary>
    public long? TimeMs { get; private init; }

    /// <summary>Stop at each partition's end (high watermark) as it was when the stream opened.</summary>
    public bool Latest { get; private init; }

    /// <summary>Up to each partition's high watermark when the stream opens.</summary>
    public static UnifiedUntil LatestAtOpen { get; } = new() { Latest = true };

    /// <summary>Before these offsets per partition (a partition not listed follows live).</summary>
    public static UnifiedUntil BeforeOffsets(IReadOnlyDictionary<int, long> offsets) => new() { Offsets = new Dictionary<int, long>(offsets) };

    /// <summary>Before the first record whose Kafka timestamp is at or after <paramref name="time"/>.</summary>
    public static UnifiedUntil BeforeTime(DateTimeOffset time) => new() { TimeMs = time.ToUnixTimeMilliseconds() };
}

/// <summary>Settings of a <see cref="UnifiedSource"/>.</summary>
public sealed class UnifiedSourceOptions
{
    /// <summary>The Kafka topic (also the archive's top-level folder).</summary>
    public string Topic { get; set; } = string.Empty;

    /// <summary>The partitions to read; null or empty for all of the topic's partitions.</summary>
    public IReadOnlyList<int>? Partitions { get; set; }

    /// <summary>Kafka connection (bootstrap servers, librdkafka settings; the consumer settings apply).</summary>
    public KafkaClientOptions Kafka { get; set; } = new();

    /// <summary>
    /// The archive's layout as the archiver wrote it (<c>Tributary:Archive</c>: <c>Format</c>, <c>Fields</c>, <c>EventTime</c>): the
    /// live side is parsed with the same schema and event time, so records look the same on both sides.
    /// </summary>
    public ArchiveOptions Archive { get; set; } = new();

    /// <summary>
    /// The archiver's consumer group (its stream provider's <c>ConsumerGroup</c>), optional. The archiver commits an offset only
    /// after every offset below it is in uploaded files with their manifest objects, so a hole in the archive below the committed
    /// offset is one Kafka left (transaction marker, compaction) and is passed over. Without it, the archive phase of a
    /// partition ends at the first hole and Kafka decides from there.
    /// </summary>
    public string? ArchiveConsumerGroup { get; set; }

    /// <summary>Where each partition starts. Default: the beginning.</summary>
    public UnifiedStart Start { get; set; } = UnifiedStart.Beginning;

    /// <summary>Where each partition ends; null (default) follows live Kafka forever.</summary>
    public UnifiedUntil? Until { get; set; }

    /// <summary>
    /// How long a partition may wait for the archive to catch up when Kafka's log start is already past the next offset before the
    /// stream fails with a <see cref="UnifiedSourceGapException"/> naming the partition and the missing range. Default 5 minutes.
    /// </summary>
    public TimeSpan CatchUpDeadline { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the manifest is listed again while a partition waits for the archive. Default 2 s.</summary>
    public TimeSpan ManifestPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Archive files downloaded ahead of the merge, per partition. Default 2.</summary>
    public int PrefetchFiles { get; set; } = 2;

    /// <summary>Records buffered between the partition readers and the consumer (bounds memory with the prefetch). Default 16,384.</summary>
    public int BufferRecords { get; set; } = 16_384;

    /// <summary>Consumer group librdkafka requires for the live consumer; it never commits. Default <c>tributary-unified-source</c>.</summary>
    public string GroupId { get; set; } = "tributary-unified-source";

    /// <summary>Per-partition event-time watermarks: out-of-orderness bound and idle timeout (see <see cref="UnifiedSource.Watermarks"/>).</summary>
    public WatermarkOptions Watermarks { get; set; } = new();

    /// <summary>
    /// Watermark alignment with the other readers of a job, used when the source is given an <see cref="IWatermarkAlignment"/>:
    /// the reader id, the allowed drift ahead of the job's global minimum, and how reports are coalesced.
    /// </summary>
    public AlignmentOptions Alignment { get; set; } = new();

    /// <summary>
    /// The archive's notification topic (the archiver's <c>Tributary:Archive:NotificationTopic</c>), optional. When set, a partition
    /// waiting for the archive to catch up learns of new files from the announcements on this topic and lists the manifest again only
    /// when one of its files was announced, or every <see cref="ManifestPollInterval"/> as the fallback when the topic is silent.
    /// </summary>
    public string? NotificationTopic { get; set; }

    /// <summary>The clock of idleness and alignment reports (a fake one in tests). Default the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The problems with these options, each naming its option; empty when valid.</summary>
    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Topic))
        {
            yield return "UnifiedSourceOptions.Topic is required.";
        }

        if (string.IsNullOrWhiteSpace(Kafka.BootstrapServers))
        {
            yield return "UnifiedSourceOptions.Kafka.BootstrapServers is required.";
        }

        foreach (var problem in ArchiveOptionsValidator.Collect(Archive, "UnifiedSourceOptions.Archive"))
        {
            yield return problem;
        }

        if (Partitions is { } partitions)
        {
            for (var i = 0; i < partitions.Count; i++)
            {
                if (partitions[i] < 0)
                {
                    yield return $"UnifiedSourceOptions.Partitions[{i}] must not be negative (was {partitions[i]}).";
                }
            }

            if (partitions.Distinct().Count() != partitions.Count)
            {
                yield return "UnifiedSourceOptions.Partitions lists a partition twice.";
            }
        }

        if (Start.Offsets is { } offsets && offsets.FirstOrDefault(o => o.Value < 0) is { Value: < 0 } bad)
        {
            yield return $"UnifiedSourceOptions.Start offset of partition {bad.Key} must not be negative (was {bad.Value}).";
        }

        if (CatchUpDeadline < TimeSpan.Zero)
        {
            yield return $"UnifiedSourceOptions.CatchUpDeadline must not be negative (was {CatchUpDeadline}).";
        }

        if (ManifestPollInterval <= TimeSpan.Zero)
        {
            yield return $"UnifiedSourceOptions.ManifestPollInterval must be positive (was {ManifestPollInterval}).";
        }

        if (PrefetchFiles is < 0 or > 64)
        {
            yield return $"UnifiedSourceOptions.PrefetchFiles must be between 0 and 64 (was {PrefetchFiles}).";
        }

        if (BufferRecords < 1)
        {
            yield return $"UnifiedSourceOptions.BufferRecords must be positive (was {BufferRecords}).";
        }

        if (Watermarks.OutOfOrderness < TimeSpan.Zero)
        {
            yield return $"UnifiedSourceOptions.Watermarks.OutOfOrderness must not be negative (was {Watermarks.OutOfOrderness}).";
        }

        if (Watermarks.IdleTimeout is { } idle && idle <= TimeSpan.Zero)
        {
            yield return $"UnifiedSourceOptions.Watermarks.IdleTimeout must be positive when set (was {idle}).";
        }

        if (Alignment.MaxDrift < TimeSpan.Zero)
        {
            yield return $"UnifiedSourceOptions.Alignment.MaxDrift must not be negative (was {Alignment.MaxDrift}).";
        }

        if (Alignment.ReportInterval <= TimeSpan.Zero)
        {
            yield return $"UnifiedSourceOptions.Alignment.ReportInterval must be positive (was {Alignment.ReportInterval}).";
        }

        if (Alignment.MinChange < TimeSpan.Zero)
        {
            yield return $"UnifiedSourceOptions.Alignment.MinChange must not be negative (was {Alignment.MinChange}).";
        }

        if (NotificationTopic is not null && string.IsNullOrWhiteSpace(NotificationTopic))
        {
            yield return "UnifiedSourceOptions.NotificationTopic must not be blank when set (null lists the manifest only).";
        }
    }
}

/// <summary>
/// Offsets of a partition are in neither the archive nor Kafka: Kafka's log start passed them before the archive had them, and
/// the archive did not catch up within <see cref="UnifiedSourceOptions.CatchUpDeadline"/>.
/// </summary>
public sealed class UnifiedSourceGapException(string topic, int partition, long firstMissing, long lastMissing, long logStart, TimeSpan waited)
    : Exception($"{topic}[{partition}]: offsets {firstMissing}..{lastMissing} are in neither the archive nor Kafka (Kafka's log start is {logStart}; waited {waited.TotalSeconds:0.#} s for the archive to catch up)")
{
    /// <summary>Topic.</summary>
    public string Topic { get; } = topic;

    /// <summary>Partition.</summary>
    public int Partition { get; } = partition;

    /// <summary>First missing offset.</summary>
    public long FirstMissing { get; } = firstMissing;

    /// <summary>Last missing offset (inclusive).</summary>
    public long LastMissing { get; } = lastMissing;
}
