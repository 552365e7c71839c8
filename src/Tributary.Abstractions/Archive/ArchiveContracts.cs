namespace Tributary.Archive;

/// <summary>One record routed to an output partition (its Kafka partition is the grain's).</summary>
[GenerateSerializer, Immutable, Alias("tributary.ArchiveRow")]
public sealed record ArchiveRow
{
    [Id(0)] public required long Offset { get; init; }
    [Id(1)] public required long TimestampMs { get; init; }
    [Id(2)] public byte[]? Key { get; init; }
    [Id(3)] public byte[]? Value { get; init; }
    [Id(4)] public KafkaHeader[]? Headers { get; init; }
    /// <summary>Event time, Unix ms (the Kafka timestamp when it did not parse).</summary>
    [Id(5)] public required long EventTimeMs { get; init; }
    /// <summary>Why the record is dead-lettered; null for good records.</summary>
    [Id(6)] public string? DeadLetterReason { get; init; }
}

/// <summary>Rows of one file of an output partition, optionally followed by sealing (uploading) the file.</summary>
[GenerateSerializer, Immutable, Alias("tributary.ArchiveSegment")]
public sealed record ArchiveSegment
{
    /// <summary>First offset of the file, which names it.</summary>
    [Id(0)] public required long FileFirstOffset { get; init; }
    [Id(1)] public required ArchiveRow[] Rows { get; init; }
    /// <summary>Complete and upload the file after the rows.</summary>
    [Id(2)] public bool Seal { get; init; }
}

/// <summary>The work for one output partition from one delivery, in order.</summary>
[GenerateSerializer, Immutable, Alias("tributary.ArchiveWork")]
public sealed record ArchiveWork([property: Id(0)] ArchiveSegment[] Segments);

/// <summary>What an archive partition did with an <see cref="ArchiveWork"/>.</summary>
[GenerateSerializer, Immutable, Alias("tributary.ArchiveWorkResult")]
public sealed record ArchiveWorkResult
{
    /// <summary>
    /// The grain did not hold the start of the file it was asked to continue (it was deactivated or moved
    /// and lost its buffer): the caller must replay its partition from the durable checkpoint.
    /// </summary>
    [Id(0)] public bool BufferLost { get; init; }
    /// <summary>Files uploaded and recorded in the catalog.</summary>
    [Id(1)] public ArchiveFileEntry[] Sealed { get; init; } = [];
}

/// <summary>One archived file in the manifest (see ArchiveFileInfo in Tributary.Storage for the JSON form).</summary>
[GenerateSerializer, Immutable, Alias("tributary.ArchiveFileEntry")]
public sealed record ArchiveFileEntry
{
    [Id(0)] public required string Topic { get; init; }
    [Id(1)] public required string OutputPartition { get; init; }
    [Id(2)] public required int Partition { get; init; }
    [Id(3)] public required long FirstOffset { get; init; }
    [Id(4)] public required long LastOffset { get; init; }
    [Id(5)] public required long Rows { get; init; }
    [Id(6)] public long DeadLetters { get; init; }
    [Id(7)] public long MinEventTimeMs { get; init; }
    [Id(8)] public long MaxEventTimeMs { get; init; }
    [Id(9)] public long Bytes { get; init; }
    [Id(10)] public required string Key { get; init; }
    [Id(11)] public string? DeadLetterKey { get; init; }
}

/// <summary>Progress of one Kafka partition's archive, for <c>_SUCCESS</c> markers.</summary>
[GenerateSerializer, Immutable, Alias("tributary.ArchiveProgress")]
public sealed record ArchiveProgress
{
    [Id(0)] public required int Partition { get; init; }
    /// <summary>Largest event time archived or buffered, Unix ms.</summary>
    [Id(1)] public required long WatermarkMs { get; init; }
    /// <summary>Output partitions with a file still open.</summary>
    [Id(2)] public required string[] OpenOutputPartitions { get; init; }
}

/// <summary>State of one Kafka partition's archive ingest.</summary>
[GenerateSerializer, Immutable, Alias("tributary.ArchiveIngestStatus")]
public sealed record ArchiveIngestStatus
{
    [Id(0)] public required string Topic { get; init; }
    [Id(1)] public required int Partition { get; init; }
    /// <summary>The offset after the last record routed.</summary>
    [Id(2)] public long NextOffset { get; init; }
    /// <summary>The durable checkpoint: every record below is in an uploaded file.</summary>
    [Id(3)] public long Checkpoint { get; init; }
    [Id(4)] public int OpenFiles { get; init; }
    [Id(5)] public long DuplicatesDropped { get; init; }
    [Id(6)] public long FilesSealed { get; init; }
    /// <summary>Records re-read straight from Kafka to rebuild lost buffers.</summary>
    [Id(7)] public long RecordsReplayed { get; init; }
    [Id(8)] public string? Silo { get; init; }
    /// <summary>When this activation was delivered its first record (wall clock, for rates measured from outside; the archive never decides on it).</summary>
    [Id(9)] public DateTimeOffset? FirstRecordAt { get; init; }
}

/// <summary>
/// Routes one Kafka partition's records to its <see cref="IArchivePartitionGrain"/>s and keeps the sink's
/// durable checkpoint. Key: <c>{topic}/{partition}</c> (TopicPartitionKey).
/// </summary>
[Alias("tributary.IArchiveIngestGrain")]
public interface IArchiveIngestGrain : IGrainWithStringKey
{
    /// <summary>Where this partition's archive stands (read-only: answers while a delivery is being archived).</summary>
    [Alias("GetStatus"), Orleans.Concurrency.AlwaysInterleave]
    ValueTask<ArchiveIngestStatus> GetStatusAsync();

    /// <summary>Seals and uploads every open file now (end of a run, tests, benchmarks), then moves the checkpoint.</summary>
    [Alias("Flush")]
    ValueTask<ArchiveIngestStatus> FlushAsync();
}

/// <summary>
/// Buffers and uploads the files of one output partition of one Kafka partition. Key: <see cref="ArchiveKey"/>.
/// </summary>
[Alias("tributary.IArchivePartitionGrain")]
public interface IArchivePartitionGrain : IGrainWithStringKey
{
    /// <summary>Appends rows (dropping offsets it already holds) and seals files as the work says.</summary>
    [Alias("Apply")]
    ValueTask<ArchiveWorkResult> ApplyAsync(ArchiveWork work);
}

/// <summary>The manifest of one topic's archive. Key: the topic.</summary>
[Alias("tributary.IArchiveCatalogGrain")]
public interface IArchiveCatalogGrain : IGrainWithStringKey
{
    /// <summary>Indexes an uploaded file whose manifest object is written (idempotent: a re-upload replaces the entry).</summary>
    [Alias("AddFile")]
    ValueTask AddFileAsync(ArchiveFileEntry file);

    /// <summary>The files of one Kafka partition, ordered by first offset.</summary>
    [Alias("GetFiles")]
    ValueTask<ArchiveFileEntry[]> GetFilesAsync(int partition);

    /// <summary>Per output partition, the last offset uploaded for a Kafka partition (marks whose offset is at least <paramref name="fromOffset"/>).</summary>
    [Alias("GetUploadedThrough")]
    ValueTask<Dictionary<string, long>> GetUploadedThroughAsync(int partition, long fromOffset);

    /// <summary>Progress of one Kafka partition; writes <c>_SUCCESS</c> markers whose late window has passed.</summary>
    [Alias("ReportProgress")]
    ValueTask ReportProgressAsync(ArchiveProgress progress);
}
