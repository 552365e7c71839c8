using Microsoft.Extensions.DependencyInjection;
using Orleans.Streams;
using Orleans.Streams.Core;
using Tributary.Streaming.Kafka;

namespace Tributary.Grains.Streaming;

/// <summary>Durable state every partition consumer keeps: how far it has applied its partition.</summary>
[GenerateSerializer, Alias("tributary.PartitionConsumerState")]
public class PartitionConsumerState
{
    /// <summary>The next offset to apply; everything below is applied (and durable once written).</summary>
    [Id(0)] public long NextOffset { get; set; }

    /// <summary>Replayed records dropped because they were already applied.</summary>
    [Id(1)] public long DuplicatesDropped { get; set; }
}

/// <summary>
/// Base of the grains that consume one Kafka partition (key <c>{topic}/{partition}</c>) exactly once.
/// Records arrive in offset order through an implicit subscription; records below the applied offset
/// (replays after a crash or a queue move) are dropped; state is written every
/// <see cref="PersistInterval"/> (and on deactivation), and only a written offset is reported to the
/// provider, which commits it to Kafka. Applying and persisting together make the effect exactly-once:
/// after a crash the grain reloads the last written state and Kafka replays from at most that offset.
/// </summary>
public abstract class PartitionConsumerGrain<TState> : Grain, IStreamSubscriptionObserver, IAsyncBatchObserver<KafkaRecord>
    where TState : PartitionConsumerState, new()
{
    private readonly IPersistentState<TState> _state;
    private IKafkaCheckpointer? _checkpointer;
    private long _unpersisted;
    private long _lastPersistTicks;

    /// <summary>Creates the grain over its persistent state.</summary>
    protected PartitionConsumerGrain(IPersistentState<TState> state)
    {
        _state = state;
    }

    /// <summary>The consumed topic.</summary>
    protected string Topic { get; private set; } = string.Empty;

    /// <summary>The consumed partition.</summary>
    protected int Partition { get; private set; }

    /// <summary>The state; mutate it only inside <see cref="ApplyAsync"/>.</summary>
    protected TState State => _state.State;

    /// <summary>How often applied state is written (and its offset checkpointed). Zero: after every batch.</summary>
    protected virtual TimeSpan PersistInterval => TimeSpan.FromSeconds(1);

    /// <summary>Applies records not applied before, in offset order, to <see cref="State"/>.</summary>
    protected abstract ValueTask ApplyAsync(ReadOnlyMemory<KafkaRecord> records);

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (Topic, Partition) = TopicPartitionKey.Parse(this.GetPrimaryKeyString());
        _lastPersistTicks = Environment.TickCount64;
        this.RegisterGrainTimer(static (grain, _) => grain.PersistIfDueAsync(force: true), this,
            new GrainTimerCreationOptions(PersistIntervalOrDefault, PersistIntervalOrDefault) { KeepAlive = false, Interleave = false });
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await PersistIfDueAsync(force: true);
    }

    /// <inheritdoc />
    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory)
    {
        _checkpointer = ServiceProvider.GetKeyedService<IKafkaCheckpointer>(handleFactory.ProviderName);
        await handleFactory.Create<KafkaRecord>().ResumeAsync(this);
    }

    /// <inheritdoc />
    public async Task OnNextAsync(IList<SequentialItem<KafkaRecord>> items)
    {
        var state = _state.State;
        var records = new KafkaRecord[items.Count];
        var fresh = 0;
        foreach (var item in items)
        {
            var record = item.Item;
            if (record.Offset < state.NextOffset)
            {
                state.DuplicatesDropped++;
                continue;
            }

            records[fresh++] = record;
        }

        if (fresh > 0)
        {
            await ApplyAsync(records.AsMemory(0, fresh));
            state.NextOffset = records[fresh - 1].Offset + 1;
            _unpersisted += fresh;
        }

        await PersistIfDueAsync(force: false);
    }

    /// <inheritdoc />
    public Task OnCompletedAsync() => Task.CompletedTask;

    /// <inheritdoc />
    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;

    private TimeSpan PersistIntervalOrDefault => PersistInterval > TimeSpan.Zero ? PersistInterval : TimeSpan.FromSeconds(1);

    private async Task PersistIfDueAsync(bool force)
    {
        if (_unpersisted == 0)
        {
            return;
        }

        if (!force && Environment.TickCount64 - _lastPersistTicks < (long)PersistInterval.TotalMilliseconds)
        {
            return;
        }

        // Write before checkpointing: the committed offset must never pass what a restart can reload.
        await _state.WriteStateAsync();
        _unpersisted = 0;
        _lastPersistTicks = Environment.TickCount64;
        _checkpointer?.Checkpoint(Topic, Partition, _state.State.NextOffset);
    }
}
