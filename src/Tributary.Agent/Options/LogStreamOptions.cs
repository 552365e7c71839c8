namespace Tributary.Agent.Options;

/// <summary>How a stream's files are framed into records.</summary>
public enum ReaderKind
{
    /// <summary>UTF-8 text, one record per line.</summary>
    Text,

    /// <summary>4-byte big-endian length, then the payload.</summary>
    Binary,
}

/// <summary>What happens to a text line longer than <see cref="LogStreamOptions.MaxLineLength"/>.</summary>
public enum OverlongLinePolicy
{
    /// <summary>Shipped as several records of at most the maximum length.</summary>
    Split,

    /// <summary>Written to the quarantine file, not shipped.</summary>
    Quarantine,
}

/// <summary>When a batch's watermark is written relative to sending the next batch.</summary>
public enum WatermarkMode
{
    /// <summary>
    /// The next batch is sent only after the previous batch's watermark is on disk: a crash re-sends at most
    /// one batch. Every batch waits for an fsync.
    /// </summary>
    PerBatch,

    /// <summary>
    /// Watermarks are written by a background task (newest first, coalesced) while the next batches are sent:
    /// no batch waits for an fsync; a crash re-sends what was acknowledged since the last watermark write.
    /// </summary>
    Background,
}

/// <summary>Where a new stream starts when it has no watermark yet.</summary>
public enum StartPosition
{
    /// <summary>From the beginning of the live file.</summary>
    Beginning,

    /// <summary>From the end of the live file (only new records).</summary>
    End,
}

/// <summary>
/// One log stream: a live file (<see cref="Directory"/> + <see cref="Pattern"/>) and its rotated
/// predecessors (<see cref="RotatedPattern"/>), read as one sequence and shipped to <see cref="Topic"/>.
/// </summary>
public sealed class LogStreamOptions
{
    /// <summary>Stream name: watermark and quarantine files are named after it (default: the conf.d file name).</summary>
    public string? Name { get; set; }

    /// <summary>Directory of the log files.</summary>
    public string? Directory { get; set; }

    /// <summary>File name (or glob with * and ?) of the live file; when several files match, the most recently modified one is live.</summary>
    public string? Pattern { get; set; }

    /// <summary>Glob of rotated files in the same directory (default: <c>{Pattern}.*</c>).</summary>
    public string? RotatedPattern { get; set; }

    /// <summary>How files are framed.</summary>
    public ReaderKind Reader { get; set; } = ReaderKind.Text;

    /// <summary>Longest text line in bytes (without the newline).</summary>
    public int MaxLineLength { get; set; } = 64 * 1024;

    /// <summary>What happens to longer lines.</summary>
    public OverlongLinePolicy OverlongLines { get; set; } = OverlongLinePolicy.Split;

    /// <summary>Largest binary payload in bytes; a larger length prefix is a malformed frame.</summary>
    public int MaxRecordBytes { get; set; } = 1024 * 1024;

    /// <summary>Target topic.</summary>
    public string? Topic { get; set; }

    /// <summary>How records are spread over the topic's partitions.</summary>
    public PartitionerOptions Partitioner { get; set; } = new();

    /// <summary>Records per batch at most.</summary>
    public int BatchMaxRecords { get; set; } = 10_000;

    /// <summary>Payload bytes per batch at most.</summary>
    public int BatchMaxBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>How long a batch may wait for more records before it is sent (0: send what was read as soon as the file has no more; records arriving while a batch is in flight form the next one).</summary>
    public int BatchMaxDelayMs { get; set; }

    /// <summary>When watermarks are written (see <see cref="WatermarkMode"/>).</summary>
    public WatermarkMode Watermarks { get; set; } = WatermarkMode.PerBatch;

    /// <summary>Where the stream starts without a watermark.</summary>
    public StartPosition StartAt { get; set; } = StartPosition.Beginning;

    /// <summary>
    /// Rotate-wait: after a rename rotation the old file stays open and is read again whenever it grows, until it
    /// has not grown for this long (writers that still hold it open, like Fluent Bit's <c>Rotate_Wait</c>); its
    /// position is part of the watermark meanwhile. 0 finishes the old file as soon as the new one appears.
    /// </summary>
    public int RotateWaitMs { get; set; } = 5000;

    /// <summary>How often the files are checked when no change notification arrives.</summary>
    public int PollIntervalMs { get; set; } = 200;

    /// <summary>librdkafka producer settings overriding the agent's.</summary>
    public Dictionary<string, string> Kafka { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Headers added to every message of the stream (Kubernetes discovery fills namespace, pod and container).</summary>
    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.Ordinal);

    /// <summary>A deep copy.</summary>
    public LogStreamOptions Clone()
    {
        var copy = (LogStreamOptions)MemberwiseClone();
        copy.Partitioner = Partitioner.Clone();
        copy.Kafka = new Dictionary<string, string>(Kafka, StringComparer.Ordinal);
        copy.Headers = new Dictionary<string, string>(Headers, StringComparer.Ordinal);
        return copy;
    }
}

/// <summary>Partitioner kinds.</summary>
public enum PartitionerKind
{
    /// <summary>Java-compatible murmur2 of a key read from a top-level JSON field (the rest of Tributary agrees).</summary>
    Murmur2,

    /// <summary>Each record to the next partition.</summary>
    RoundRobin,

    /// <summary>Every record to one partition.</summary>
    Single,

    /// <summary>Round-robin over a fixed list of partitions.</summary>
    Fixed,

    /// <summary>Round-robin over the partitions whose leader is in the agent's zone; all partitions when there are none.</summary>
    Locality,
}

/// <summary>Partitioner settings.</summary>
public sealed class PartitionerOptions
{
    /// <summary>The kind.</summary>
    public PartitionerKind Type { get; set; } = PartitionerKind.RoundRobin;

    /// <summary>Murmur2: top-level JSON field holding the key.</summary>
    public string? KeyField { get; set; }

    /// <summary>Single: the partition.</summary>
    public int Partition { get; set; }

    /// <summary>Fixed: the partitions.</summary>
    public List<int> Partitions { get; set; } = [];

    /// <summary>How often partition counts and leaders are refreshed.</summary>
    public int MetadataRefreshSeconds { get; set; } = 30;

    /// <summary>A copy.</summary>
    public PartitionerOptions Clone()
    {
        var copy = (PartitionerOptions)MemberwiseClone();
        copy.Partitions = [.. Partitions];
        return copy;
    }
}
