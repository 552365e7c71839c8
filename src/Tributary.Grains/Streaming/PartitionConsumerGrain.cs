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
/// (replays after a crash or a queue move) are dropped. Each delivery is acknowledged only after the
/// state it produced is written, and only a written offset is reported to the provider, which commits
/// it to Kafka. Applying and persisting together make the effect exactly-once: if the grain's silo dies
/// mid-delivery, the pulling agent redelivers the unacknowledged batch to the next activation, which
/// reloads the last written state; if the agent's silo dies, Kafka replays from at most that offset.
/// (Acknowledging before the write would lose data: the agent never rewinds what it delivered.)
/// </summary>
public abstract class PartitionConsumerGrain<TState> : Grain, IStreamSubscriptionObserver, IAsyncBatchObserver<KafkaRecord>
    where TState : PartitionConsumerState, new()
{
    private readonly IPersistentState<TState> _state;
    private IKafkaCheckpointer? _checkpointer;

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

    /// <summary>Applies records not applied before, in offset order, to <see cref="State"/>.</summary>
    protected abstract ValueTask ApplyAsync(ReadOnlyMemory<KafkaRecord> records);

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (Topic, Partition) = TopicPartitionKey.Parse(this.GetPrimaryKeyString());
        return Task.CompletedTask;
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

        if (fresh == 0)
        {
            return;
        }

        await ApplyAsync(records.AsMemory(0, fresh));
        state.NextOffset = records[fresh - 1].Offset + 1;

        // Write before acknowledging and before checkpointing: neither the agent's cursor nor the
        // committed offset may pass what a new activation can reload.
        try
        {
            await _state.WriteStateAsync();
        }
        catch
        {
            // Memory is now ahead of storage: a retry must not see these records as duplicates, so
            // let the retry reach a fresh activation that reloads the written state.
            DeactivateOnIdle();
            throw;
        }

        _checkpointer?.Checkpoint(Topic, Partition, state.NextOffset);
    }

    /// <inheritdoc />
    public Task OnCompletedAsync() => Task.CompletedTask;

    /// <inheritdoc />
    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}
