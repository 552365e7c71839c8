using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using Orleans.Streams;
using Orleans.Streams.Core;
using Tributary.Archive;
using Tributary.Grains.Streaming;
using Tributary.Kafka;
using Tributary.Storage.Archive;
using Tributary.Streaming.Kafka;

namespace Tributary.Grains.Archive;

/// <summary>Durable state of <see cref="ArchiveIngestGrain"/>.</summary>
[GenerateSerializer, Alias("tributary.ArchiveIngestState")]
public sealed class ArchiveIngestState
{
    /// <summary>Whether the state was ever written.</summary>
    [Id(0)] public bool Started { get; set; }

    /// <summary>Every record below this offset is in an uploaded, catalogued file (or was a dropped duplicate).</summary>
    [Id(1)] public long Checkpoint { get; set; }

    /// <summary>Per output partition, the last offset uploaded, for marks a replay from <see cref="Checkpoint"/> still needs.</summary>
    [Id(2)] public Dictionary<string, long> UploadedThrough { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Files this partition's sink sealed.</summary>
    [Id(3)] public long FilesSealed { get; set; }
}

/// <summary>
/// The archive sink's consumer of one Kafka partition (key <c>{topic}/{partition}</c>), subscribed implicitly
/// to <see cref="StreamNamespace"/>. It runs the deterministic <see cref="ArchiveRouter"/>, sends each output
/// partition's rows and cuts to its <see cref="IArchivePartitionGrain"/>, and moves the checkpoint (state,
/// then the provider's Kafka commit) only after the files below it are uploaded and catalogued.
/// </summary>
/// <remarks>
/// Buffers live in memory, so a delivery the pulling agent acknowledged is only durable once uploaded. When
/// buffers are lost (this activation or an archive partition's died) the grain re-reads its partition from
/// the checkpoint straight from Kafka, up to the first record it is given: the router, fed the same records
/// with the same durable marks, rebuilds the same files, and marks drop what was already uploaded.
/// <para>
/// Placed on the silo that first calls it (<see cref="PreferLocalPlacementAttribute"/>): normally the silo whose
/// pulling agent reads the partition, so a delivery never crosses silos, and its archive partitions (also
/// local) build and upload the files in the same process. The archive's load follows the queue balancer.
/// </para>
/// </remarks>
[ImplicitStreamSubscription(StreamNamespace)]
[PreferLocalPlacement]
public sealed class ArchiveIngestGrain(
    [PersistentState("archive-ingest", "tributary")] IPersistentState<ArchiveIngestState> state,
    IOptions<ArchiveOptions> options,
    ILocalSiloDetails silo,
    ILogger<ArchiveIngestGrain> logger)
    : Grain, IArchiveIngestGrain, IStreamSubscriptionObserver, IAsyncBatchObserver<KafkaRecord>
{
    /// <summary>The stream namespace this grain consumes: the archive's Kafka stream provider sets <c>StreamNamespace</c> to it.</summary>
    public const string StreamNamespace = "tributary.archive";

    private const int ReplayChunk = 5_000;
    private readonly List<ArchiveAction> _actions = [];
    private ArchiveRouter? _router;
    private string? _provider;
    private IKafkaCheckpointer? _checkpointer;
    private string _topic = string.Empty;
    private int _partition;
    private long _replayed;
    private long _progressSentAtCheckpoint = -1;
    private long _deliveredNext;
    private DateTimeOffset? _firstRecordAt;

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_topic, _partition) = TopicPartitionKey.Parse(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Flush on shutdown: a cut that depends on timing, made safe by the durable upload marks.
        if (_router is null || _router.OpenFiles.Count == 0)
        {
            return;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            // A non-graceful stop (killed, or declared dead) deactivates with a cancelled token while a new activation
            // may already own the partition elsewhere. A timing-dependent cut uploaded late by this zombie would
            // overwrite the new owner's file of the same name with other rows; the new owner replays instead.
            ArchiveLog.FlushSkipped(logger, _topic, _partition, state.State.Checkpoint, reason.ToString());
            return;
        }

        try
        {
            _router.SealAll(_actions);
            await ApplyAsync();
            await PersistAsync();
        }
        catch (Exception ex)
        {
            ArchiveLog.FlushOnDeactivateFailed(logger, _topic, _partition, state.State.Checkpoint, ex);
        }
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

        _firstRecordAt ??= DateTimeOffset.UtcNow;
        await WithRecoveryAsync(async () =>
        {
            var router = await RouterAsync();
            var first = items[0].Item.Offset;
            if (!state.State.Started)
            {
                // First run of this partition: start where the provider starts (committed offset or earliest),
                // and make that the durable starting point before anything is buffered.
                _router = router = new ArchiveRouter(_topic, _partition, options.Value, router.UploadedThrough, first);
                state.State.Started = true;
                state.State.Checkpoint = first;
                state.State.UploadedThrough = router.DurableMarks();
                await state.WriteStateAsync();
            }
            else if (first > router.NextOffset)
            {
                // Records between the checkpoint and this delivery went to buffers that are gone.
                await ReplayFromKafkaAsync(router.NextOffset, first);
            }

            foreach (var item in items)
            {
                router.Route(item.Item.ToArchiveRecord(), _actions);
            }

            _deliveredNext = Math.Max(_deliveredNext, items[^1].Item.Offset + 1);
            await ApplyAsync();
            await PersistAsync();
        });
    }

    /// <inheritdoc />
    public Task OnCompletedAsync() => Task.CompletedTask;

    /// <inheritdoc />
    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;

    /// <inheritdoc />
    public ValueTask<ArchiveIngestStatus> GetStatusAsync() => ValueTask.FromResult(Status());

    /// <inheritdoc />
    public async ValueTask<ArchiveIngestStatus> FlushAsync()
    {
        if (!state.State.Started)
        {
            return Status();
        }

        await WithRecoveryAsync(async () =>
        {
            var fresh = _router is null && _deliveredNext == 0;
            var router = await RouterAsync();
            if (fresh)
            {
                // A new activation does not know how far the pulling agent delivered to the previous one:
                // archive everything Kafka holds (later deliveries of it are dropped as duplicates).
                await ReplayFromKafkaAsync(router.NextOffset, long.MaxValue);
            }
            else if (_deliveredNext > router.NextOffset)
            {
                await ReplayFromKafkaAsync(router.NextOffset, _deliveredNext);
            }

            router.SealAll(_actions);
            await ApplyAsync();
            await PersistAsync();
        });
        return Status();
    }

    /// <summary>
    /// Runs <paramref name="work"/>; on failure (a lost buffer, a dead silo, S3 errors past the SDK's retries)
    /// forgets memory and runs it again, replaying from the checkpoint. After three attempts the failure
    /// propagates: the pulling agent redelivers later, and the redelivery replays from the checkpoint.
    /// </summary>
    private async Task WithRecoveryAsync(Func<Task> work)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await work();
                return;
            }
            catch (Exception ex)
            {
                var lost = ex is BufferLostException;
                ArchiveLog.Resetting(logger, _topic, _partition, state.State.Checkpoint, lost ? null : ex);
                _router = null;
                _actions.Clear();
                if (attempt >= 3)
                {
                    // Only framework exception types cross grain boundaries.
                    throw lost ? new InvalidOperationException(ex.Message) : ex;
                }
            }
        }
    }

    private ArchiveIngestStatus Status() => new()
    {
        Topic = _topic,
        Partition = _partition,
        NextOffset = _router?.NextOffset ?? state.State.Checkpoint,
        Checkpoint = state.State.Checkpoint,
        OpenFiles = _router?.OpenFiles.Count ?? 0,
        DuplicatesDropped = _router?.DuplicatesDropped ?? 0,
        FilesSealed = state.State.FilesSealed,
        RecordsReplayed = _replayed,
        Silo = silo.SiloAddress.ToString(),
        FirstRecordAt = _firstRecordAt,
    };

    private async ValueTask<ArchiveRouter> RouterAsync()
    {
        if (_router is not null)
        {
            return _router;
        }

        var s = state.State;
        IReadOnlyDictionary<string, long> marks = s.UploadedThrough;
        if (!s.Started)
        {
            // No state (first run, or a restart from nothing): whatever the catalog holds is already archived.
            marks = await GrainFactory.GetGrain<IArchiveCatalogGrain>(_topic).GetUploadedThroughAsync(_partition, 0);
        }

        _router = new ArchiveRouter(_topic, _partition, options.Value, marks, s.Checkpoint);
        return _router;
    }

    /// <summary>Sends the routed actions to the archive partitions (in parallel across output partitions, in order within one).</summary>
    private async Task ApplyAsync()
    {
        if (_actions.Count == 0)
        {
            return;
        }

        var work = new Dictionary<string, List<ArchiveSegment>>(StringComparer.Ordinal);
        var rows = new Dictionary<string, (long First, List<ArchiveRow> Rows)>(StringComparer.Ordinal);
        foreach (var action in _actions)
        {
            if (!rows.TryGetValue(action.OutputPartition, out var current) || current.First != action.FileFirstOffset)
            {
                Close(action.OutputPartition, seal: false);
                current = (action.FileFirstOffset, []);
                rows[action.OutputPartition] = current;
            }

            if (action.Kind == ArchiveActionKind.Append)
            {
                current.Rows.Add(action.Record!.ToRow());
            }
            else
            {
                Close(action.OutputPartition, seal: true);
            }
        }

        foreach (var output in rows.Keys.ToList())
        {
            Close(output, seal: false);
        }

        _actions.Clear();
        var calls = work.Select(kv => GrainFactory.GetGrain<IArchivePartitionGrain>(ArchiveKey.Format(_topic, kv.Key, _partition))
            .ApplyAsync(new ArchiveWork([.. kv.Value])).AsTask()).ToList();
        var results = await Task.WhenAll(calls);
        state.State.FilesSealed += results.Sum(r => r.Sealed.Length);
        if (results.Any(r => r.BufferLost))
        {
            throw new BufferLostException($"an archive partition of {_topic}[{_partition}] lost its buffer");
        }

        void Close(string output, bool seal)
        {
            if (!rows.Remove(output, out var pending))
            {
                return;
            }

            if (pending.Rows.Count == 0 && !seal)
            {
                return;
            }

            if (!work.TryGetValue(output, out var segments))
            {
                work[output] = segments = [];
            }

            segments.Add(new ArchiveSegment { FileFirstOffset = pending.First, Rows = [.. pending.Rows], Seal = seal });
        }
    }

    private async Task PersistAsync()
    {
        var router = _router!;
        var s = state.State;
        var checkpoint = router.Checkpoint;
        var marks = router.DurableMarks();
        if (s.Started && checkpoint == s.Checkpoint && marks.Count == s.UploadedThrough.Count
            && marks.All(kv => s.UploadedThrough.TryGetValue(kv.Key, out var v) && v == kv.Value))
        {
            return;
        }

        s.Started = true;
        s.Checkpoint = checkpoint;
        s.UploadedThrough = marks;
        await state.WriteStateAsync();

        // Only a written checkpoint reaches Kafka, so a new owner of the queue never starts past an unuploaded record.
        _checkpointer?.Checkpoint(_topic, _partition, checkpoint);
        if (_progressSentAtCheckpoint != checkpoint && router.WatermarkMs != long.MinValue)
        {
            _progressSentAtCheckpoint = checkpoint;
            await GrainFactory.GetGrain<IArchiveCatalogGrain>(_topic).ReportProgressAsync(new ArchiveProgress
            {
                Partition = _partition,
                WatermarkMs = router.WatermarkMs,
                OpenOutputPartitions = [.. router.OpenFiles.Select(f => f.OutputPartition)],
            });
        }
    }

    /// <summary>Re-reads [<paramref name="from"/>, <paramref name="to"/>) of the partition straight from Kafka and routes it.</summary>
    private async Task ReplayFromKafkaAsync(long from, long to)
    {
        var kafka = KafkaOptions();
        var router = _router!;
        long count = 0;
        using var reader = KafkaRangeReader.Open(kafka, PartitionSinkNames.ReplayConsumerGroup("archive", _topic, _partition), _topic, _partition, from, to, KafkaRecords.FromConsumeResult);
        var done = false;
        while (!done)
        {
            (var records, done) = await reader.ReadChunkAsync(ReplayChunk);
            foreach (var record in records)
            {
                router.Route(record.ToArchiveRecord(), _actions);
            }

            count += records.Count;
            await ApplyAsync();
        }

        _replayed += count;
        ArchiveLog.Replayed(logger, _topic, _partition, from, to, count);
    }

    /// <summary>The options of the Kafka provider feeding this grain (found by namespace and topic when no delivery named it yet).</summary>
    private KafkaStreamOptions KafkaOptions()
    {
        if (_provider is not null)
        {
            return ServiceProvider.GetRequiredKeyedService<KafkaProviderRuntime>(_provider).Options;
        }

        return ServiceProvider.GetKeyedServices<KafkaProviderRuntime>(KeyedService.AnyKey)
            .Select(r => r.Options)
            .FirstOrDefault(o => o.StreamNamespace == StreamNamespace && o.Topics.Contains(_topic, StringComparer.Ordinal))
            ?? throw new InvalidOperationException($"no Kafka stream provider with StreamNamespace '{StreamNamespace}' consumes topic '{_topic}'");
    }

    private sealed class BufferLostException(string message) : Exception(message);
}
