using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Streams;
using Orleans.Streams.Core;
using Tributary.Grains.Segments;
using Tributary.Grains.Telemetry;
using Tributary.Kafka;
using Tributary.Streaming.Kafka;

namespace Tributary.Grains.Streaming;

/// <summary>
/// Base of the grains that sink one Kafka partition exactly once (key <c>{topic}/{partition}</c>): the segment sink,
/// the archive sink, the partition statistics, and any sink to come (a SQL sink that commits its offset with its rows).
/// It owns the plumbing every sink needs: the implicit subscription to the partition's stream, dropping replays,
/// replaying a range straight from Kafka after a lost activation, the persist tick, the Kafka offset commit, recovery
/// after a failure and dead-letter acknowledgements. A sink writes only what is its own: where its durable checkpoint
/// lives (<see cref="LoadAsync"/>), what it does with records (<see cref="RouteAsync"/>), and how it makes them durable
/// and how far that reached (<see cref="MakeDurableAsync"/>).
/// </summary>
/// <remarks>
/// The exactly-once rules it enforces, with the sink's checkpoint C (every offset below C is durable in the sink) and
/// the next offset N (every offset below N has been routed by this activation; C &lt;= N):
/// <list type="bullet">
/// <item>Offsets below N are dropped before the sink sees them (replays after a crash, a queue moving between silos,
/// or a lagging Kafka commit): N starts at the checkpoint <see cref="LoadAsync"/> returns, and the sink is given each
/// offset at most once per activation, in increasing order.</item>
/// <item>The checkpoint only advances to an offset the sink reports durable (<see cref="MakeDurableAsync"/>), and only
/// that offset is committed to Kafka, after the sink reported it: a new owner of the queue never starts past a record
/// that is not durable, and Kafka's consumer-group tools show the true lag.</item>
/// <item>A delivery that starts past N (records went to an activation that is gone, or the pulling agent moved on after
/// acknowledging what this sink had not made durable) is preceded by a replay of [N, first delivered) straight from Kafka
/// (<see cref="KafkaRangeReader"/>, consumer group <see cref="PartitionSinkNames.ReplayConsumerGroup"/>), so
/// the sink sees every offset from its checkpoint on without a gap. (<see cref="ReplaysGaps"/> turns this off for a sink
/// that counts gaps instead.)</item>
/// <item>A failure anywhere forgets memory (<see cref="Forget"/>): the next attempt (<see cref="ShouldRetry"/>), delivery
/// or persist tick reloads the checkpoint and replays from it, so memory is never ahead of what a new activation can
/// reload. After a failed delivery, the persist tick replays from the checkpoint to the end of the partition when no
/// delivery comes (it may have been the last one).</item>
/// <item>Dead letters sent with <see cref="SendDeadLetter"/> are acknowledged before the sink's next durable write
/// (<see cref="DeadLettersAcknowledgedAsync"/>), so the sink never records one as sent that Kafka did not take.</item>
/// </list>
/// A delivery is acknowledged to the pulling agent when <see cref="MakeDurableAsync"/> returns, which may be before the
/// sink made it durable (segments persist on their own schedule); the gap replay above is what keeps that safe.
/// </remarks>
public abstract class PartitionSinkGrain : Grain, IStreamSubscriptionObserver, IAsyncBatchObserver<KafkaRecord>
{
    private const int ReplayChunk = 5_000;
    private readonly List<Task> _unacknowledged = [];
    private string? _provider;
    private IKafkaCheckpointer? _checkpointer;
    private DeadLetterProducer? _deadLetters;
    private long _next;
    private long _committed;
    private long _deliveredNext;
    private bool _loaded;
    private bool _recover;
    private KeyValuePair<string, object?>[] _tags = [];
    private GrainLogScope? _logScope;
    private ILogger? _scopeLogger;

    /// <summary>Creates the sink; <paramref name="time"/> is the silo's clock (Orleans registers one).</summary>
    protected PartitionSinkGrain(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        Time = time;
    }

    /// <summary>The sink's name in replay consumer groups (<c>segments</c>, <c>archive</c>, …).</summary>
    protected abstract string SinkName { get; }

    /// <summary>The stream namespace the sink subscribes to implicitly (finds its Kafka provider before any delivery).</summary>
    protected abstract string SinkStreamNamespace { get; }

    /// <summary>How often the persist tick runs (<see cref="MakeDurableAsync"/> with force, and recovery); null: never.</summary>
    protected virtual TimeSpan? PersistInterval => null;

    /// <summary>Whether a delivery past <see cref="NextOffset"/> is preceded by a replay of the gap from Kafka (default true).</summary>
    protected virtual bool ReplaysGaps => true;

    /// <summary>The consumed topic.</summary>
    protected string Topic { get; private set; } = string.Empty;

    /// <summary>The consumed partition.</summary>
    protected int Partition { get; private set; }

    /// <summary>The silo's clock.</summary>
    protected TimeProvider Time { get; }

    /// <summary>Whether the checkpoint is loaded and memory matches it plus what was routed since.</summary>
    protected bool IsLoaded => _loaded;

    /// <summary>Whether a stream subscription has told the sink its provider.</summary>
    protected bool IsSubscribed => _provider is not null;

    /// <summary>The next offset the sink will be given; every offset below it was routed by this activation (or was durable before).</summary>
    protected long NextOffset => _next;

    /// <summary>One past the largest offset the stream delivered to this activation (0 before any).</summary>
    protected long DeliveredNext => _deliveredNext;

    /// <summary>Records dropped by this activation because they were below <see cref="NextOffset"/>.</summary>
    protected long DuplicatesDropped { get; private set; }

    /// <summary>
    /// Loads the sink's durable checkpoint and prepares memory to route from it; returns it (the first offset not yet
    /// durable). <paramref name="firstDelivered"/> is the first offset of the delivery that caused the load (null for a
    /// tick or a flush): a sink that never ran starts there (the provider's committed offset, or the earliest), and
    /// returns null when it never ran and nothing was delivered.
    /// </summary>
    protected abstract ValueTask<long?> LoadAsync(long? firstDelivered);

    /// <summary>Routes records not routed before (offsets increase, none below <see cref="NextOffset"/>): the sink's own work.</summary>
    protected abstract ValueTask RouteAsync(IReadOnlyList<KafkaRecord> records);

    /// <summary>
    /// Makes routed records durable and returns the sink's checkpoint: every offset below it is durable. After a delivery
    /// <paramref name="force"/> is false and the sink may defer (throttle); the persist tick, flushes and shutdown pass
    /// true. A sink that keeps its checkpoint with its data (one transaction) writes both here.
    /// </summary>
    protected abstract ValueTask<long> MakeDurableAsync(bool force);

    /// <summary>Forgets memory after a failure (<paramref name="error"/>); the next load starts from the durable checkpoint.</summary>
    protected abstract void Forget(Exception error);

    /// <summary>Whether attempt <paramref name="attempt"/> (from 1), which failed with <paramref name="error"/>, is retried right away (after <see cref="Forget"/>).</summary>
    protected virtual bool ShouldRetry(Exception error, int attempt) => false;

    /// <summary>The exception a failure that is not retried surfaces as (only framework exception types cross grain boundaries).</summary>
    protected virtual Exception Surface(Exception error) => error;

    /// <summary>Called with each delivery once the checkpoint is loaded, before any replay.</summary>
    protected virtual void OnDelivering(IReadOnlyList<KafkaRecord> records)
    {
    }

    /// <summary>Called after <paramref name="count"/> records of [<paramref name="from"/>, <paramref name="to"/>) were replayed from Kafka.</summary>
    protected virtual void OnReplayed(long from, long to, long count)
    {
    }

    /// <summary>Called when <paramref name="count"/> records below <see cref="NextOffset"/> were dropped.</summary>
    protected virtual void OnDuplicatesDropped(int count)
    {
    }

    /// <summary>Called when a persist tick failed (memory is already forgotten).</summary>
    protected virtual void OnPersistTickFailed(Exception error)
    {
    }

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (Topic, Partition) = TopicPartitionKey.Parse(this.GetPrimaryKeyString());
        _tags = TributaryMetrics.SinkTags(SinkName, Topic, Partition);
        TributaryMetrics.InitializeSink(_tags);
        _logScope = new GrainLogScope(this.GetPrimaryKeyString(), Partition, SinkName);
        _scopeLogger = ServiceProvider.GetService<ILoggerFactory>()?.CreateLogger<PartitionSinkGrain>();
        if (PersistInterval is { } interval)
        {
            this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions(interval, interval) { Interleave = false, KeepAlive = true });
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory)
    {
        _provider = handleFactory.ProviderName;
        _checkpointer = ServiceProvider.GetKeyedService<IKafkaCheckpointer>(handleFactory.ProviderName);
        await handleFactory.Create<KafkaRecord>().ResumeAsync(this);
    }

    /// <inheritdoc />
    public async Task OnNextAsync(IList<SequentialItem<KafkaRecord>> items)
    {
        if (items.Count == 0)
        {
            return;
        }

        var records = new KafkaRecord[items.Count];
        for (var i = 0; i < records.Length; i++)
        {
            records[i] = items[i].Item;
        }

        await RunAsync(async () =>
        {
            var first = records[0].Offset;
            await EnsureLoadedAsync(first);
            OnDelivering(records);
            if (ReplaysGaps && first > _next)
            {
                await ReplayAsync(_next, first);
            }

            _deliveredNext = Math.Max(_deliveredNext, records[^1].Offset + 1);
            if (first < _committed)
            {
                // A redelivery from below the durable checkpoint: the queue's reader started at a group offset that lags it
                // (an owner stopped before its commit reached Kafka). Report the checkpoint again so this silo commits it.
                _checkpointer?.Checkpoint(Topic, Partition, _committed);
            }

            await RouteFreshAsync(records);
            await PersistAsync(force: false);
        });
    }

    /// <inheritdoc />
    public Task OnCompletedAsync() => Task.CompletedTask;

    /// <inheritdoc />
    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;

    /// <summary>
    /// Runs <paramref name="work"/>; on failure forgets memory and, while <see cref="ShouldRetry"/> says so, runs it
    /// again (it reloads the checkpoint and replays from it). A failure that is not retried propagates
    /// (<see cref="Surface"/>): for a delivery, the pulling agent redelivers later and the redelivery replays.
    /// </summary>
    protected async Task RunAsync(Func<Task> work)
    {
        ArgumentNullException.ThrowIfNull(work);

        // Everything the sink logs while it works (its own log lines, the loader's, the replay's) carries its key and partition.
        using var scope = _scopeLogger is null || _logScope is null ? null : _logScope.Begin(_scopeLogger);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await work();
                return;
            }
            catch (Exception ex)
            {
                _loaded = false;
                _recover = true;
                _unacknowledged.Clear();
                Forget(ex);
                if (ShouldRetry(ex, attempt))
                {
                    TributaryMetrics.IngestRetries.Add(1, _tags);
                }
                else
                {
                    var surfaced = Surface(ex);
                    if (ReferenceEquals(surfaced, ex))
                    {
                        throw;
                    }

                    throw surfaced;
                }
            }
        }
    }

    /// <summary>Loads the checkpoint unless loaded; false when the sink never ran and <paramref name="firstDelivered"/> is null.</summary>
    protected async ValueTask<bool> EnsureLoadedAsync(long? firstDelivered)
    {
        if (_loaded)
        {
            return true;
        }

        if (await LoadAsync(firstDelivered) is not { } checkpoint)
        {
            return false;
        }

        _next = checkpoint;
        _committed = checkpoint;
        if (checkpoint > 0)
        {
            // The previous owner may have died between making this durable and committing it to Kafka: commit it now, or the
            // group's offset lags until new records arrive (lag tools and a cold restart would see work that is done).
            _checkpointer?.Checkpoint(Topic, Partition, checkpoint);
        }

        _loaded = true;
        _recover = false;
        return true;
    }

    /// <summary>Makes routed records durable (<see cref="MakeDurableAsync"/>) and commits the checkpoint it reached to Kafka.</summary>
    protected async Task PersistAsync(bool force)
    {
        if (!_loaded)
        {
            return;
        }

        var durable = await MakeDurableAsync(force);
        if (durable > _committed)
        {
            // Only a durable checkpoint reaches Kafka, so a new owner of the queue never starts past a record that is not.
            _committed = durable;
            _checkpointer?.Checkpoint(Topic, Partition, durable);
        }
    }

    /// <summary>
    /// The persist tick's work, also for an explicit flush: makes everything routed durable; after a failure with no
    /// delivery since, first reloads the checkpoint and replays from it to the current end of the partition.
    /// </summary>
    protected Task PersistNowAsync() => RunAsync(async () =>
    {
        if (!_loaded)
        {
            if (!_recover || !IsSubscribed || !await EnsureLoadedAsync(null))
            {
                return;
            }

            await ReplayAsync(_next, long.MaxValue);
        }

        await PersistAsync(force: true);
    });

    /// <summary>Re-reads [<paramref name="from"/>, <paramref name="to"/>) of the partition straight from Kafka (<see cref="long.MaxValue"/>: to its current end) and routes what is fresh.</summary>
    protected async Task ReplayAsync(long from, long to)
    {
        long count = 0;
        using var reader = KafkaRangeReader.Open(KafkaOptions(), PartitionSinkNames.ReplayConsumerGroup(SinkName, Topic, Partition), Topic, Partition, from, to, KafkaRecords.FromConsumeResult);
        var done = false;
        while (!done)
        {
            (var chunk, done) = await reader.ReadChunkAsync(ReplayChunk);
            if (chunk.Count > 0)
            {
                await RouteFreshAsync(chunk);
            }

            count += chunk.Count;
        }

        TributaryMetrics.IngestReplayed.Add(count, _tags);

        OnReplayed(from, to, count);
    }

    /// <summary>Sends a dead letter of <paramref name="record"/> to <paramref name="deadLetterTopic"/>; acknowledged by <see cref="DeadLettersAcknowledgedAsync"/>.</summary>
    protected void SendDeadLetter(string deadLetterTopic, KafkaRecord record, string reason)
    {
        ArgumentNullException.ThrowIfNull(record);
        _deadLetters ??= ServiceProvider.GetRequiredService<DeadLetterProducer>();
        _unacknowledged.Add(_deadLetters.SendAsync(deadLetterTopic, Topic, Partition, record.Offset, record.Key, record.Value, reason));
        CountDeadLetters(1);
    }

    /// <summary>Counts <paramref name="count"/> records this sink dead-lettered on its own (not through <see cref="SendDeadLetter"/>).</summary>
    protected void CountDeadLetters(long count) => TributaryMetrics.IngestDeadLetters.Add(count, _tags);

    /// <summary>Completes once Kafka acknowledged every dead letter sent so far; await it before recording them as sent.</summary>
    protected async Task DeadLettersAcknowledgedAsync()
    {
        if (_unacknowledged.Count > 0)
        {
            // One Kafka round trip per durable write instead of per delivery.
            await Task.WhenAll(_unacknowledged);
            _unacknowledged.Clear();
        }
    }

    /// <summary>Drops records below <see cref="NextOffset"/>, advances it, and routes the rest.</summary>
    private async Task RouteFreshAsync(IReadOnlyList<KafkaRecord> records)
    {
        List<KafkaRecord>? fresh = null;
        var dropped = 0;
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            if (record.Offset < _next)
            {
                if (dropped++ == 0)
                {
                    fresh = [.. records.Take(i)];
                }

                continue;
            }

            _next = record.Offset + 1;
            fresh?.Add(record);
        }

        if (dropped > 0)
        {
            DuplicatesDropped += dropped;
            TributaryMetrics.IngestDuplicates.Add(dropped, _tags);
            OnDuplicatesDropped(dropped);
        }

        var routed = fresh ?? records;
        if (routed.Count > 0)
        {
            await RouteAsync(routed);
            TributaryMetrics.IngestRecords.Add(routed.Count, _tags);
        }
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        try
        {
            await PersistNowAsync();
        }
        catch (Exception ex)
        {
            OnPersistTickFailed(ex);
        }
    }

    /// <summary>The options of the Kafka provider feeding this sink (found by namespace and topic when no delivery named it yet).</summary>
    private KafkaStreamOptions KafkaOptions()
    {
        if (_provider is not null)
        {
            return ServiceProvider.GetRequiredKeyedService<KafkaProviderRuntime>(_provider).Options;
        }

        return ServiceProvider.GetKeyedServices<KafkaProviderRuntime>(KeyedService.AnyKey)
            .Select(r => r.Options)
            .FirstOrDefault(o => o.StreamNamespace == SinkStreamNamespace && o.Topics.Contains(Topic, StringComparer.Ordinal))
            ?? throw new InvalidOperationException($"no Kafka stream provider with StreamNamespace '{SinkStreamNamespace}' consumes topic '{Topic}'");
    }
}
