namespace Tributary.SqlIngest;

/// <summary>Where one Kafka partition's SQL sink stands.</summary>
[GenerateSerializer, Immutable, Alias("tributary.SqlIngestStatus")]
public sealed record SqlIngestStatus
{
    [Id(0)] public required string Topic { get; init; }
    [Id(1)] public required int Partition { get; init; }
    /// <summary>The offset after the last record routed by this activation.</summary>
    [Id(2)] public long NextOffset { get; init; }
    /// <summary>The offset committed with the rows in the offsets table: every record below is in the table, filtered or dead-lettered.</summary>
    [Id(3)] public long Checkpoint { get; init; }
    /// <summary>Rows written by this activation.</summary>
    [Id(4)] public long RowsWritten { get; init; }
    /// <summary>Records the row transform found malformed (dead-lettered) by this activation.</summary>
    [Id(5)] public long Malformed { get; init; }
    /// <summary>Rows the table refused (too long, wrong type; dead-lettered) by this activation.</summary>
    [Id(6)] public long Rejected { get; init; }
    /// <summary>Records filtered out by this activation, per reason.</summary>
    [Id(7)] public IReadOnlyDictionary<string, long> Filtered { get; init; } = new Dictionary<string, long>();
    /// <summary>Transactions committed by this activation.</summary>
    [Id(8)] public long Transactions { get; init; }
    /// <summary>Transactions retried after a deadlock or lock wait timeout.</summary>
    [Id(9)] public long Retries { get; init; }
    /// <summary>Records dropped as replays (below the next offset).</summary>
    [Id(10)] public long DuplicatesDropped { get; init; }
    [Id(11)] public string? Silo { get; init; }
    /// <summary>Failed attempts of this activation (database unavailable, …); each one forgot memory and resumes from the checkpoint.</summary>
    [Id(12)] public long Failures { get; init; }
    /// <summary>The last failure's message, if any.</summary>
    [Id(13)] public string? LastError { get; init; }
    /// <summary>When this activation was delivered its first record (wall clock, for rates measured from outside).</summary>
    [Id(14)] public DateTimeOffset? FirstRecordAt { get; init; }
}

/// <summary>
/// The SQL sink of one Kafka partition: rows and the partition's offset in one transaction. Key:
/// <c>{topic}/{partition}</c> (TopicPartitionKey).
/// </summary>
[Alias("tributary.ISqlIngestGrain")]
public interface ISqlIngestGrain : IGrainWithStringKey
{
    /// <summary>Where this partition's sink stands (read-only: answers while a delivery is being written).</summary>
    [Alias("GetStatus"), Orleans.Concurrency.AlwaysInterleave]
    ValueTask<SqlIngestStatus> GetStatusAsync();

    /// <summary>Writes every routed record now (end of a run, tests, benchmarks), in one transaction with the offset.</summary>
    [Alias("Flush")]
    ValueTask<SqlIngestStatus> FlushAsync();
}
