using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using Tributary.Archive;
using Tributary.Grains.Streaming;
using Tributary.Storage.Archive;

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

    /// <summary>
    /// Offsets of timing-dependent cuts (idle, flush, deactivation) above <see cref="Checkpoint"/>, written before their
    /// files are uploaded: a replay from the checkpoint makes the same cuts, so a re-upload writes the same objects.
    /// </summary>
    [Id(4)] public List<long> Cuts { get; set; } = [];
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
    TimeProvider time,
    ILogger<ArchiveIngestGrain> logger)
    : PartitionSinkGrain(time), IArchiveIngestGrain
{
    /// <summary>The stream namespace this grain consumes: the archive's Kafka stream provider sets <c>StreamNamespace</c> to it.</summary>
    public const string StreamNamespace = "tributary.archive";

    private readonly List<ArchiveAction> _actions = [];
    private ArchiveRouter? _router;
    private long _replayed;
    private long _progressSentAtCheckpoint = -1;
    private DateTimeOffset? _firstRecordAt;
    private DateTimeOffset _lastDeliveryAt;

    /// <inheritdoc />
    protected override string SinkName => "archive";

    /// <inheritdoc />
    protected override string SinkStreamNamespace => StreamNamespace;

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        _lastDeliveryAt = Time.GetUtcNow();
        var idle = options.Value.IdleTimeout;
        // Checked at a quarter of the timeout, so the cut comes between 1 and 1.25 timeouts after the last record.
        // Not a keep-alive: an activation with nothing open may be collected.
        var period = idle / 4;
        this.RegisterGrainTimer(IdleTickAsync, new GrainTimerCreationOptions(period, period) { Interleave = false, KeepAlive = false });
    }

    /// <inheritdoc />
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Flush on shutdown: a cut that depends on timing, made safe by the durable upload marks.
        if (_router is null || _router.OpenFiles.Count == 0)
        {
            return;
        }

        if (reason.ReasonCode == DeactivationReasonCode.ShuttingDown)
        {
            // The silo is stopping: the output partition and catalog grains this flush calls are being deactivated
            // with it, so the calls would fail half done. Nothing is lost by not flushing: the open files are above
            // the checkpoint, and the next owner replays them from Kafka (the upload marks keep that exactly-once).
            ArchiveLog.FlushSkippedOnShutdown(logger, Topic, Partition, state.State.Checkpoint);
            return;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            // A non-graceful stop (killed, or declared dead) deactivates with a cancelled token while a new activation
            // may already own the partition elsewhere. A timing-dependent cut uploaded late by this zombie would
            // overwrite the new owner's file of the same name with other rows; the new owner replays instead.
            ArchiveLog.FlushSkipped(logger, Topic, Partition, state.State.Checkpoint, reason.ToString());
            return;
        }

        try
        {
            await CutAsync();
        }
        catch (Exception ex)
        {
            ArchiveLog.FlushOnDeactivateFailed(logger, Topic, Partition, state.State.Checkpoint, ex);
        }
    }

    /// <inheritdoc />
    public ValueTask<ArchiveIngestStatus> GetStatusAsync() => ValueTask.FromResult(Status());

    /// <inheritdoc />
    public async ValueTask<ArchiveIngestStatus> FlushAsync()
    {
        if (!state.State.Started)
        {
            return Status();
        }

        await RunAsync(async () =>
        {
            var fresh = !IsLoaded && DeliveredNext == 0;
            await EnsureLoadedAsync(null);
            if (fresh)
            {
                // A new activation does not know how far the pulling agent delivered to the previous one:
                // archive everything Kafka holds (later deliveries of it are dropped as duplicates).
                await ReplayAsync(NextOffset, long.MaxValue);
            }
            else if (DeliveredNext > NextOffset)
            {
                await ReplayAsync(NextOffset, DeliveredNext);
            }

            await CutAsync();
        });
        return Status();
    }

    /// <inheritdoc />
    protected override void OnDelivering(IReadOnlyList<KafkaRecord> records)
    {
        _lastDeliveryAt = Time.GetUtcNow();
        _firstRecordAt ??= _lastDeliveryAt;
    }

    /// <summary>
    /// The idle cut: when no delivery came for <see cref="ArchiveOptions.IdleTimeout"/> and files are open, seals them
    /// (recorded, <see cref="CutAsync"/>), uploads them and moves the checkpoint, so the tail of a partition whose traffic
    /// stopped is archived and committed. After a failure with no delivery since, it first rebuilds memory from the
    /// checkpoint up to what was delivered.
    /// </summary>
    private async Task IdleTickAsync(CancellationToken cancellationToken)
    {
        var idle = options.Value.IdleTimeout;
        if (!state.State.Started || Time.GetUtcNow() - _lastDeliveryAt < idle)
        {
            return;
        }

        if (IsLoaded ? _router is not { OpenFiles.Count: > 0 } : DeliveredNext == 0)
        {
            return;
        }

        try
        {
            await RunAsync(async () =>
            {
                if (!IsLoaded)
                {
                    await EnsureLoadedAsync(null);
                    if (DeliveredNext > NextOffset)
                    {
                        await ReplayAsync(NextOffset, DeliveredNext);
                    }
                }

                if (await CutAsync() is { } at)
                {
                    ArchiveLog.IdleCut(logger, Topic, Partition, at, idle);
                }
            });
        }
        catch (Exception ex)
        {
            // The next tick tries again (memory was forgotten; it replays from the checkpoint).
            ArchiveLog.IdleCutFailed(logger, Topic, Partition, state.State.Checkpoint, ex);
        }
    }

    /// <summary>
    /// A timing-dependent cut at the router's next offset: records it in state first (a replay from the checkpoint
    /// makes the same cut, so a re-upload after a crash writes the same objects), then seals and uploads every open
    /// file, writes the checkpoint and reports it for the Kafka commit. Returns the cut's offset, null when nothing was open.
    /// </summary>
    private async Task<long?> CutAsync()
    {
        var router = _router!;
        if (router.OpenFiles.Count == 0)
        {
            await PersistAsync(force: true);
            return null;
        }

        var at = router.NextOffset;
        var s = state.State;
        if (!s.Cuts.Contains(at))
        {
            s.Cuts.Add(at);
            await state.WriteStateAsync();
        }

        router.Cut(_actions);
        await ApplyAsync();
        await PersistAsync(force: true);
        return at;
    }

    /// <summary>
    /// A lost buffer, a dead silo, S3 errors past the SDK's retries: memory is forgotten and the work runs again,
    /// replaying from the checkpoint. After three attempts the failure propagates: the pulling agent redelivers later,
    /// and the redelivery replays from the checkpoint.
    /// </summary>
    protected override bool ShouldRetry(Exception error, int attempt) => attempt < 3;

    /// <inheritdoc />
    protected override Exception Surface(Exception error)
        => error is BufferLostException ? new InvalidOperationException(error.Message) : error; // only framework exception types cross grain boundaries

    /// <inheritdoc />
    protected override void Forget(Exception error)
    {
        ArchiveLog.Resetting(logger, Topic, Partition, state.State.Checkpoint, error is BufferLostException ? null : error);
        _router = null;
        _actions.Clear();
    }

    /// <inheritdoc />
    protected override void OnReplayed(long from, long to, long count)
    {
        _replayed += count;
        ArchiveLog.Replayed(logger, Topic, Partition, from, to, count);
    }

    private ArchiveIngestStatus Status() => new()
    {
        Topic = Topic,
        Partition = Partition,
        NextOffset = _router?.NextOffset ?? state.State.Checkpoint,
        Checkpoint = state.State.Checkpoint,
        OpenFiles = _router?.OpenFiles.Count ?? 0,
        DuplicatesDropped = DuplicatesDropped + (_router?.DuplicatesDropped ?? 0),
        FilesSealed = state.State.FilesSealed,
        RecordsReplayed = _replayed,
        Silo = silo.SiloAddress.ToString(),
        FirstRecordAt = _firstRecordAt,
    };

    /// <inheritdoc />
    protected override async ValueTask<long?> LoadAsync(long? firstDelivered)
    {
        var s = state.State;
        if (s.Started)
        {
            _router = new ArchiveRouter(Topic, Partition, options.Value, s.UploadedThrough, s.Checkpoint, s.Cuts);
            return s.Checkpoint;
        }

        if (firstDelivered is not { } first)
        {
            return null;
        }

        // First run of this partition (or a restart from nothing): whatever the catalog holds is already archived.
        // Start where the provider starts (committed offset or earliest), and make that the durable starting point
        // before anything is buffered.
        var marks = await GrainFactory.GetGrain<IArchiveCatalogGrain>(Topic).GetUploadedThroughAsync(Partition, 0);
        _router = new ArchiveRouter(Topic, Partition, options.Value, marks, first);
        s.Started = true;
        s.Checkpoint = first;
        s.UploadedThrough = _router.DurableMarks();
        await state.WriteStateAsync();
        return first;
    }

    /// <inheritdoc />
    protected override async ValueTask RouteAsync(IReadOnlyList<KafkaRecord> records)
    {
        var router = _router!;
        foreach (var record in records)
        {
            router.Route(record.ToArchiveRecord(), _actions);
        }

        await ApplyAsync();
    }

    /// <inheritdoc />
    protected override async ValueTask<long> MakeDurableAsync(bool force)
    {
        await WriteCheckpointAsync();
        return state.State.Checkpoint;
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
        var calls = work.Select(kv => GrainFactory.GetGrain<IArchivePartitionGrain>(ArchiveKey.Format(Topic, kv.Key, Partition))
            .ApplyAsync(new ArchiveWork([.. kv.Value])).AsTask()).ToList();
        var results = await Task.WhenAll(calls);
        state.State.FilesSealed += results.Sum(r => r.Sealed.Length);
        if (results.Any(r => r.BufferLost))
        {
            throw new BufferLostException($"an archive partition of {Topic}[{Partition}] lost its buffer");
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

    private async Task WriteCheckpointAsync()
    {
        var router = _router!;
        var s = state.State;
        var checkpoint = router.Checkpoint;
        var marks = router.DurableMarks();
        if (s.Started && checkpoint == s.Checkpoint && marks.Count == s.UploadedThrough.Count && s.Cuts.All(c => c > checkpoint)
            && marks.All(kv => s.UploadedThrough.TryGetValue(kv.Key, out var v) && v == kv.Value))
        {
            return;
        }

        s.Started = true;
        s.Checkpoint = checkpoint;
        s.UploadedThrough = marks;
        // A replay starts at the checkpoint, past these cuts: they are no longer needed.
        s.Cuts.RemoveAll(c => c <= checkpoint);
        await state.WriteStateAsync();
        if (_progressSentAtCheckpoint != checkpoint && router.WatermarkMs != long.MinValue)
        {
            _progressSentAtCheckpoint = checkpoint;
            await GrainFactory.GetGrain<IArchiveCatalogGrain>(Topic).ReportProgressAsync(new ArchiveProgress
            {
                Partition = Partition,
                WatermarkMs = router.WatermarkMs,
                OpenOutputPartitions = [.. router.OpenFiles.Select(f => f.OutputPartition)],
            });
        }
    }

    private sealed class BufferLostException(string message) : Exception(message);
}
