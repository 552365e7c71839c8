namespace Tributary;

/// <summary>
/// The per-partition consumer used by the demo and the stream benchmark: it counts what it consumed
/// from one Kafka partition, exactly once, keeping its checkpoint durable.
/// Key: <see cref="TopicPartitionKey"/> (<c>{topic}/{partition}</c>).
/// </summary>
[Alias("tributary.IPartitionStatsGrain")]
public interface IPartitionStatsGrain : IGrainWithStringKey
{
    /// <summary>What this partition's consumer has applied so far; answered between the turns of a delivery (it only reads).</summary>
    [Alias("GetStats"), Orleans.Concurrency.AlwaysInterleave]
    ValueTask<PartitionStats> GetStatsAsync();
}

/// <summary>Counters of one partition consumer.</summary>
[GenerateSerializer, Immutable, Alias("tributary.PartitionStats")]
public sealed record PartitionStats
{
    [Id(0)] public required string Topic { get; init; }
    [Id(1)] public required int Partition { get; init; }
    /// <summary>Records applied exactly once.</summary>
    [Id(2)] public long Records { get; init; }
    /// <summary>Bytes of record values applied.</summary>
    [Id(3)] public long Bytes { get; init; }
    /// <summary>The next offset this consumer expects: everything below it is applied and durable.</summary>
    [Id(4)] public long NextOffset { get; init; }
    /// <summary>Replayed records dropped because their offset was below the durable checkpoint.</summary>
    [Id(5)] public long DuplicatesDropped { get; init; }
    /// <summary>Records that arrived with an offset gap or out of order (should stay 0; gaps are legal after compaction).</summary>
    [Id(6)] public long OffsetGaps { get; init; }
    /// <summary>Order-independent checksum of the applied values (sum of XxHash64), for exactly-once checks.</summary>
    [Id(7)] public ulong ValueChecksum { get; init; }
    /// <summary>Silo currently hosting the consumer.</summary>
    [Id(8)] public string? Silo { get; init; }
}
