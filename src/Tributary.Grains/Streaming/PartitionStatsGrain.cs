using System.IO.Hashing;

namespace Tributary.Grains.Streaming;

/// <summary>State of <see cref="PartitionStatsGrain"/>.</summary>
[GenerateSerializer, Alias("tributary.PartitionStatsState")]
public sealed class PartitionStatsState : PartitionConsumerState
{
    [Id(0)] public long Records { get; set; }
    [Id(1)] public long Bytes { get; set; }
    [Id(2)] public long OffsetGaps { get; set; }
    [Id(3)] public ulong ValueChecksum { get; set; }
}

/// <summary>
/// Counts one partition's records exactly once (demo, stream benchmark, provider tests). Subscribes
/// implicitly to <see cref="StreamNamespace"/>: a Kafka provider feeding it sets
/// <c>KafkaStreamOptions.StreamNamespace</c> to that value.
/// </summary>
[ImplicitStreamSubscription(StreamNamespace)]
public sealed class PartitionStatsGrain(
    [PersistentState("partition-stats", "tributary")] IPersistentState<PartitionStatsState> state,
    ILocalSiloDetails silo)
    : PartitionConsumerGrain<PartitionStatsState>(state), IPartitionStatsGrain
{
    /// <summary>The stream namespace this grain consumes.</summary>
    public const string StreamNamespace = "tributary.partition-stats";

    /// <inheritdoc />
    protected override ValueTask ApplyAsync(ReadOnlyMemory<KafkaRecord> records)
    {
        var s = State;
        var expected = s.Records == 0 ? -1 : s.NextOffset;
        foreach (var record in records.Span)
        {
            if (expected >= 0 && record.Offset != expected)
            {
                s.OffsetGaps++;
            }

            expected = record.Offset + 1;
            s.Records++;
            var value = record.Value ?? [];
            s.Bytes += value.Length;
            s.ValueChecksum += XxHash64.HashToUInt64(value);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<PartitionStats> GetStatsAsync() => ValueTask.FromResult(new PartitionStats
    {
        Topic = Topic,
        Partition = Partition,
        Records = State.Records,
        Bytes = State.Bytes,
        NextOffset = State.NextOffset,
        DuplicatesDropped = State.DuplicatesDropped,
        OffsetGaps = State.OffsetGaps,
        ValueChecksum = State.ValueChecksum,
        Silo = silo.SiloAddress.ToString(),
    });
}
