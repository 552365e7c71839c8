using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tributary.Storage;
using Tributary.Tracker;

namespace Tributary.Grains.Tracker;

/// <summary>Durable state of <see cref="ShardSnapshotGrain"/>: the outcome of the last snapshot.</summary>
[GenerateSerializer, Alias("tributary.ShardSnapshotGrainState")]
public sealed class ShardSnapshotGrainState
{
    [Id(0)] public ShardSnapshotStatus? Last { get; set; }
}

/// <summary>
/// One MySQL shard's snapshotter (key <c>{cluster}/{shard}</c>, see <see cref="ShardKey"/>). Runs
/// <see cref="ShardSnapshotter"/> in the background, off the grain scheduler, daily from a reminder at
/// <see cref="TrackerOptions.DailyAtUtc"/> and on demand; progress is answered from memory, the last
/// outcome is durable. A silo that dies mid-snapshot leaves <c>progress.json</c> behind, and the next run
/// for the same date resumes from it chunk by chunk (when the replica position allows).
/// </summary>
public sealed partial class ShardSnapshotGrain : Grain, IShardSnapshotGrain, IRemindable
{
    /// <summary>Name of the daily reminder.</summary>
    public const string ReminderName = "tracker-daily";

    private readonly IPersistentState<ShardSnapshotGrainState> _state;
    private readonly TrackerOptions _options;
    private readonly IServiceProvider _services;
    private readonly ILogger<ShardSnapshotGrain> _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private string _cluster = string.Empty;
    private int _shard;
    private Task? _running;
    private volatile SnapshotProgress? _progress;
    private DateOnly? _runningDate;
    private DateTimeOffset? _startedAt;
    private DateTimeOffset? _nextScheduledAt;

    /// <summary>Creates the grain; <see cref="IObjectStore"/> is resolved when a snapshot starts.</summary>
    public ShardSnapshotGrain(
        [PersistentState("shard-snapshot", "tributary")] IPersistentState<ShardSnapshotGrainState> state,
        IOptions<TrackerOptions> options,
        IServiceProvider services,
        TimeProvider time,
        ILogger<ShardSnapshotGrain> logger)
    {
        _state = state;
        _options = options.Value;
        _services = services;
        _logger = logger;
        _time = time;
    }

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_cluster, _shard) = ShardKey.Parse(this.GetPrimaryKeyString());
        if (_options.ScheduleEnabled)
        {
            var now = _time.GetUtcNow();
            var next = NextRun(now, TimeOnly.ParseExact(_options.DailyAtUtc, "HH:mm", CultureInfo.InvariantCulture));
            await this.RegisterOrUpdateReminder(ReminderName, next - now, TimeSpan.FromDays(1));
            _nextScheduledAt = next;
        }
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<ShardSnapshotStatus> StartSnapshotAsync(DateOnly? date = null)
    {
        if (_running is null)
        {
            var day = date ?? DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime);
            _runningDate = day;
            _startedAt = _time.GetUtcNow();
            _progress = null;
            _running = RunAsync(day);
        }

        return Task.FromResult(Status());
    }

    /// <inheritdoc />
    public Task<ShardSnapshotStatus> GetStatusAsync() => Task.FromResult(Status());

    /// <inheritdoc />
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        _nextScheduledAt = status.CurrentTickTime.ToUniversalTime() + TimeSpan.FromDays(1);
        var today = DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime);

        // Reminders can fire late or twice: a date already snapshotted is not done again.
        if (_running is null && !(_state.State.Last is { State: ShardSnapshotState.Succeeded } last && last.Date == today))
        {
            await StartSnapshotAsync(today);
        }
    }

    /// <summary>The next <paramref name="at"/> (UTC) strictly after <paramref name="now"/>.</summary>
    public static DateTimeOffset NextRun(DateTimeOffset now, TimeOnly at)
    {
        var utc = now.ToUniversalTime();
        var candidate = new DateTimeOffset(DateOnly.FromDateTime(utc.UtcDateTime), at, TimeSpan.Zero);
        return candidate > utc ? candidate : candidate.AddDays(1);
    }

    private async Task RunAsync(DateOnly date)
    {
        // Keep the activation while the snapshot runs (idle collection would cancel it).
        DelayDeactivation(TimeSpan.FromHours(12));
        LogStarting(_logger, _cluster, _shard, date);
        ShardSnapshotStatus outcome;
        try
        {
            var store = _services.GetKeyedService<IObjectStore>(ObjectStoreKeys.Tracker)
                ?? throw new InvalidOperationException($"no IObjectStore keyed '{ObjectStoreKeys.Tracker}' is registered in the silo (Tributary:Tracker:Store): Tracker writes its snapshots through it.");
            var snapshotter = new ShardSnapshotter(
                ShardTopology.Resolve(_options, _cluster, _shard), store, _services.GetService<ILogger<ShardSnapshotter>>(), _time);
            var metrics = _services.GetService<TrackerMetrics>();
            metrics?.Report(_cluster, _shard, 0, 0, 0, 0, null);
            var progress = new LatestProgress(p =>
            {
                _progress = p;
                metrics?.Report(p.Cluster, p.Shard, p.RowsDone, p.RowsEstimated, p.ChunksDone, p.ChunksTotal, p.Eta);
            });

            // The snapshot is I/O and CPU on the thread pool; only its outcome comes back to the grain.
            var result = await Task.Run(() => snapshotter.RunAsync(date, progress, _stopping.Token));
            outcome = Status() with
            {
                State = ShardSnapshotState.Succeeded,
                Phase = "done",
                Replica = result.Position.Replica,
                ChunksTotal = result.Chunks,
                ChunksDone = result.Chunks,
                RowsDone = result.Rows,
                RowsEstimated = result.Rows,
                Eta = null,
                FinishedAt = _time.GetUtcNow(),
                LastSnapshotId = result.SnapshotId,
                LastGtid = result.Position.GtidSlavePos,
                LastError = null,
            };
            LogDone(_logger, _cluster, _shard, date, result.Rows, result.Position.Replica);
        }
        catch (Exception ex)
        {
            LogFailed(_logger, ex, _cluster, _shard, date);
            outcome = Status() with { State = ShardSnapshotState.Failed, FinishedAt = _time.GetUtcNow(), LastError = ex.Message };
        }

        _services.GetService<TrackerMetrics>()?.Finished(_cluster, _shard, outcome.RowsDone, outcome.ChunksDone, outcome.ChunksTotal);
        _running = null;
        _state.State.Last = outcome;
        await _state.WriteStateAsync();
    }

    private ShardSnapshotStatus Status()
    {
        var last = _state.State.Last;
        var progress = _progress;
        if (_running is null)
        {
            return (last ?? new ShardSnapshotStatus { Cluster = _cluster, Shard = _shard }) with { NextScheduledAt = _nextScheduledAt };
        }

        return new ShardSnapshotStatus
        {
            Cluster = _cluster,
            Shard = _shard,
            State = ShardSnapshotState.Running,
            Phase = progress?.Phase ?? "starting",
            Replica = progress?.Replica,
            ChunksTotal = progress?.ChunksTotal ?? 0,
            ChunksDone = progress?.ChunksDone ?? 0,
            RowsDone = progress?.RowsDone ?? 0,
            RowsEstimated = progress?.RowsEstimated ?? 0,
            Eta = progress?.Eta,
            Date = _runningDate,
            StartedAt = _startedAt,
            LastSnapshotId = last?.LastSnapshotId,
            LastGtid = last?.LastGtid,
            NextScheduledAt = _nextScheduledAt,
        };
    }

    [LoggerMessage(3001, LogLevel.Information, "Shard {Cluster}/{Shard}: snapshot for {Date} starting")]
    private static partial void LogStarting(ILogger logger, string cluster, int shard, DateOnly date);

    [LoggerMessage(3002, LogLevel.Information, "Shard {Cluster}/{Shard}: snapshot for {Date} done, {Rows} rows from {Replica}")]
    private static partial void LogDone(ILogger logger, string cluster, int shard, DateOnly date, long rows, string replica);

    [LoggerMessage(3003, LogLevel.Error, "Shard {Cluster}/{Shard}: snapshot for {Date} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string cluster, int shard, DateOnly date);

    // Progress<T> would post to a captured context; the grain only needs the latest value.
    private sealed class LatestProgress(Action<SnapshotProgress> set) : IProgress<SnapshotProgress>
    {
        public void Report(SnapshotProgress value) => set(value);
    }
}
