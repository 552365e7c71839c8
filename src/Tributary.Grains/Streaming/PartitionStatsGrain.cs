using System.IO.Hashing;

namespace Tributary.Grains.Streaming;

/// <summary>How far <see cref="PartitionStatsGrain"/> has applied its partition (the base of its state, kept under its stored alias).</summary>
[GenerateSerializer, Alias("tributary.PartitionConsumerState")]
public class PartitionConsumerState
{
    /// <summary>The next offset to apply; everything below is applied (and durable once written).</summary>
    [Id(0)] public long NextOffset { get; set; }

    /// <summary>Replayed records dropped because they were already applied.</summary>
    [Id(1)] public long DuplicatesDropped { get; set; }
}

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
/// <remarks>
/// The simplest <see cref="PartitionSinkGrain"/>: its checkpoint is <see cref="PartitionConsumerState.NextOffset"/> in
/// grain state, written (with the counts) after every delivery that had fresh records and before it is acknowledged, so
/// the pulling agent never moves past what a new activation can reload. It does not replay gaps: it exists to count
/// them (<see cref="PartitionStatsState.OffsetGaps"/>), which would expose a provider that skipped records.
/// </remarks>
[ImplicitStreamSubscription(StreamNamespace)]
public sealed class PartitionStatsGrain(
    [PersistentState("partition-stats", "tributary")] IPersistentState<PartitionStatsState> state,
    ILocalSiloDetails silo,
    TimeProvider time)
    : PartitionSinkGrain(time), IPartitionStatsGrain
{
    /// <summary>The stream namespace this grain consumes.</summary>
    public const string StreamNamespace = "tributary.partition-stats";

    private bool _reread;
    private long _writtenNext = -1;

    /// <inheritdoc />
    protected override string SinkName => "stats";

    /// <inheritdoc />
    protected override string SinkStreamNamespace => StreamNamespace;

    /// <inheritdoc />
    protected override bool ReplaysGaps => false;

    /// <inheritdoc />
    protected override async ValueTask<long?> LoadAsync(long? firstDelivered)
    {
        if (_reread)
        {
            // Memory is ahead of storage (a write failed): a retry must not see those records as duplicates.
            await state.ReadStateAsync();
            _reread = false;
        }

        _writtenNext = state.State.NextOffset;
        return state.State.NextOffset;
    }

    /// <inheritdoc />
    protected override ValueTask RouteAsync(IReadOnlyList<KafkaRecord> records)
    {
        var s = state.State;
        var expected = s.Records == 0 ? -1 : s.NextOffset;
        foreach (var record in records)
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

        s.NextOffset = records[^1].Offset + 1;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override async ValueTask<long> MakeDurableAsync(bool force)
    {
        // Write before acknowledging and before checkpointing: neither the agent's cursor nor the
        // committed offset may pass what a new activation can reload.
        if (state.State.NextOffset != _writtenNext)
        {
            await state.WriteStateAsync();
            _writtenNext = state.State.NextOffset;
        }

        return state.State.NextOffset;
    }

    /// <inheritdoc />
    protected override void OnDuplicatesDropped(int count) => state.State.DuplicatesDropped += count;

    /// <inheritdoc />
    protected override void Forget(Exception error) => _reread = true;

    /// <inheritdoc />
    public ValueTask<PartitionStats> GetStatsAsync() => ValueTask.FromResult(new PartitionStats
    {
        Topic = Topic,
        Partition = Partition,
        Records = state.State.Records,
        Bytes = state.State.Bytes,
        NextOffset = state.State.NextOffset,
        DuplicatesDropped = state.State.DuplicatesDropped,
        OffsetGaps = state.State.OffsetGaps,
        ValueChecksum = state.State.ValueChecksum,
        Silo = silo.SiloAddress.ToString(),
    });
}
