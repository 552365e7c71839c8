using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MySqlConnector;
using Parquet;
using Tributary.Storage;

namespace Tributary.Tracker;

/// <summary>
/// Snapshots one shard, consistently, from a replica: pauses the replica's SQL thread, opens N
/// <c>START TRANSACTION WITH CONSISTENT SNAPSHOT</c> sessions, records the GTID and binlog position,
/// resumes the SQL thread, then dumps every table in primary-key chunks over the N sessions into Parquet
/// parts in an <see cref="IObjectStore"/>, each chunk recorded in <c>progress.json</c> so a later run
/// at the same position resumes chunk by chunk. A replica that is promoted or disappears mid-snapshot is
/// dropped and the shard's snapshot restarts on another replica. A primary is never read.
/// </summary>
/// <remarks>
/// This class orchestrates; the parts are <see cref="ConsistentSession"/> (opening the sessions at one position),
/// <see cref="ChunkDumper"/> (chunk to Parquet part) and <see cref="SnapshotProgressStore"/> (progress.json).
/// </remarks>
public sealed partial class ShardSnapshotter
{
    private readonly ShardTopology _topology;
    private readonly IObjectStore _store;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ParquetOptions _parquetOptions;
    private readonly SnapshotProgressStore _progress;

    /// <summary>Creates a snapshotter for one shard writing to <paramref name="store"/>.</summary>
    public ShardSnapshotter(ShardTopology topology, IObjectStore store, ILogger<ShardSnapshotter>? logger = null, TimeProvider? time = null)
    {
        _topology = topology ?? throw new ArgumentNullException(nameof(topology));
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _progress = new SnapshotProgressStore(_store, _logger);
        _parquetOptions = TableLayout.ParquetOptionsFor(topology.Options);
    }

    /// <summary>Called after each chunk is durable (part uploaded and progress written); used by tests and progress views.</summary>
    public Func<ChunkPlan, ChunkRecord, CancellationToken, ValueTask>? ChunkCompleted { get; set; }

    /// <summary>Runs (or resumes) the snapshot of the shard for <paramref name="date"/>.</summary>
    public async Task<SnapshotResult> RunAsync(DateOnly date, IProgress<SnapshotProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var excluded = new List<MySqlEndpoint>();
        var failed = new List<string>();
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Report(progress, "probing", null, 0, 0, 0, 0, 0, stopwatch.Elapsed);
            var probes = await ReplicaSelector.ProbeAsync(_topology, cancellationToken).ConfigureAwait(false);
            foreach (var probe in probes)
            {
                LogProbe(_logger, _topology.Cluster, _topology.Shard, probe.Endpoint.ToString(), probe.Role, probe.Reason);
            }

            var eligible = ReplicaSelector.Eligible(probes, excluded);
            if (eligible.Count == 0)
            {
                throw new NoReplicaAvailableException(
                    $"shard {_topology.Cluster}/{_topology.Shard} has no eligible replica: "
                    + string.Join("; ", probes.Select(p => $"{p.Endpoint} {p.Role} ({p.Reason})"))
                    + (failed.Count > 0 ? "; failed mid-snapshot: " + string.Join(", ", failed) : string.Empty));
            }

            var replica = eligible[0];
            try
            {
                var result = await RunOnReplicaAsync(replica, date, progress, stopwatch, restart: failed.Count > 0, cancellationToken).ConfigureAwait(false);
                return result with { FailedReplicas = failed };
            }
            catch (ReplicaLostException ex)
            {
                LogReplicaLost(_logger, ex, _topology.Cluster, _topology.Shard, replica.ToString());
                excluded.Add(replica);
                failed.Add($"{replica}: {ex.Message}");
            }
        }
    }

    private async Task<SnapshotResult> RunOnReplicaAsync(MySqlEndpoint replica, DateOnly date, IProgress<SnapshotProgress>? progress, Stopwatch stopwatch, bool restart, CancellationToken cancellationToken)
    {
        var options = _topology.Options;
        var paths = new SnapshotPaths(options.Prefix, _topology.Cluster, _topology.Shard, date);
        var sessions = new List<MySqlConnection>();
        try
        {
            Report(progress, "opening", replica, 0, 0, 0, 0, 0, stopwatch.Elapsed);
            var dumper = new ChunkDumper(options, _parquetOptions, _store, _logger);
            var phase = Stopwatch.StartNew();
            (var position, var tables) = await ConsistentSession.OpenAsync(_topology, replica, sessions, cancellationToken).ConfigureAwait(false);
            var openTime = phase.Elapsed;
            LogSnapshotOpened(_logger, _topology.Cluster, _topology.Shard, replica.ToString(), position.GtidSlavePos, sessions.Count, tables.Count);

            Report(progress, "planning", replica, tables.Count, 0, 0, 0, 0, stopwatch.Elapsed);
            phase.Restart();
            var plans = await PlanAsync(sessions, tables, cancellationToken).ConfigureAwait(false);
            var planTime = phase.Elapsed;
            var planRecords = tables.Select(t => new TablePlanRecord(t.FullName, plans[t.FullName].Count, ChunkPlanner.Fingerprint(plans[t.FullName]), t.Fingerprint)).ToList();

            var record = await _progress.LoadAsync(paths, cancellationToken).ConfigureAwait(false);
            // After a failover the shard's snapshot restarts from scratch: nothing read from the lost replica is kept.
            var resumed = !restart
                && record is { CompletedAt: null }
                && record.Position.GtidSlavePos == position.GtidSlavePos
                && record.Tables.SequenceEqual(planRecords);
            if (!resumed)
            {
                if (record is { CompletedAt: null })
                {
                    LogCannotResume(_logger, _topology.Cluster, _topology.Shard, record.Position.GtidSlavePos, position.GtidSlavePos);
                }

                foreach (var table in tables)
                {
                    await _progress.ClearTableAsync(paths, table, cancellationToken).ConfigureAwait(false);
                }

                record = new SnapshotProgressRecord
                {
                    SnapshotId = $"{date:yyyyMMdd}-{Guid.NewGuid():N}"[..24],
                    Position = position,
                    Tables = planRecords,
                };
            }

            var current = record!;
            foreach (var table in tables)
            {
                var schema = new SchemaDocument(table.Database, table.Table, table.Fingerprint, table.Columns, table.PrimaryKey,
                    "zero or invalid DATE/DATETIME/TIMESTAMP values are null, with their text in the '{column}__raw' column");
                await _store.PutAsync(paths.Schema(table.Database, table.Table), JsonSerializer.SerializeToUtf8Bytes(schema, TrackerJson.Options), cancellationToken).ConfigureAwait(false);
            }

            await _progress.SaveAsync(paths, current, cancellationToken).ConfigureAwait(false);
            var resumedChunks = current.Completed.Count;
            var allChunks = plans.Values.SelectMany(p => p).ToList();
            var pending = new ConcurrentQueue<ChunkPlan>(allChunks.Where(c => !current.Completed.ContainsKey(ChunkId(c))));
            var layouts = tables.ToDictionary(t => t.FullName, TableLayout.Create, StringComparer.Ordinal);
            var rowsDone = current.Completed.Values.Sum(c => c.Rows);
            var chunksDone = current.Completed.Count;
            var estimated = plans.Values.Sum(p => ((long)p.Count - 1) * options.ChunkRows + (options.ChunkRows / 2));
            var progressLock = new SemaphoreSlim(1, 1);
            Report(progress, "dumping", replica, tables.Count, allChunks.Count, chunksDone, rowsDone, estimated, stopwatch.Elapsed);

            using var failure = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            async Task CompleteAsync(MySqlConnection session, ChunkPlan chunk, ChunkRecord done)
            {
                await progressLock.WaitAsync(failure.Token).ConfigureAwait(false);
                try
                {
                    current.Completed[ChunkId(chunk)] = done;
                    rowsDone += done.Rows;
                    chunksDone++;
                    await _progress.SaveAsync(paths, current, failure.Token).ConfigureAwait(false);
                    Report(progress, "dumping", replica, tables.Count, allChunks.Count, chunksDone, rowsDone, Math.Max(estimated, rowsDone), stopwatch.Elapsed);
                }
                finally
                {
                    progressLock.Release();
                }

                if (ChunkCompleted is { } hook)
                {
                    await hook(chunk, done, failure.Token).ConfigureAwait(false);
                }

                // A promoted replica accepts writes: whatever we read next could be newer than our position's peers.
                if (!await ConsistentSession.StillReplicaAsync(session, replica, failure.Token).ConfigureAwait(false))
                {
                    throw new ReplicaLostException($"{replica} was promoted (@@read_only = 0) mid-snapshot");
                }
            }

            // Each session reads its next chunk while the previous one is encoded and stored on another thread
            // (at most one in flight per session), so the server keeps sending while the client encodes.
            var workers = sessions.Select(session => Task.Run(async () =>
            {
                (ChunkPlan Chunk, Task<ChunkRecord> Encoding)? inFlight = null;
                try
                {
                    while (pending.TryDequeue(out var chunk))
                    {
                        failure.Token.ThrowIfCancellationRequested();
                        var encoding = await dumper.ReadChunkAsync(session, replica, paths, chunk, layouts[chunk.Table.FullName], failure.Token).ConfigureAwait(false);
                        if (inFlight is { } previous)
                        {
                            inFlight = null;
                            await CompleteAsync(session, previous.Chunk, await previous.Encoding.ConfigureAwait(false)).ConfigureAwait(false);
                        }

                        inFlight = (chunk, encoding);
                    }

                    if (inFlight is { } last)
                    {
                        inFlight = null;
                        await CompleteAsync(session, last.Chunk, await last.Encoding.ConfigureAwait(false)).ConfigureAwait(false);
                    }
                }
                finally
                {
                    if (inFlight is { } orphan)
                    {
                        // Observe it: its failure, if any, is an echo of the one propagating now.
                        await orphan.Encoding.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);
                    }
                }
            }, failure.Token)).ToList();

            try
            {
                await WhenAllFailFast(workers, failure).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is MySqlException or IOException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                var probe = await ReplicaSelector.ProbeAsync(_topology, replica, CancellationToken.None).ConfigureAwait(false);
                if (probe.Role is HostRole.Replica or HostRole.Lagging)
                {
                    throw;
                }

                throw new ReplicaLostException($"{replica} is now {probe.Role} ({probe.Reason})", ex);
            }

            // Every chunk is durable: manifests last, so a reader that sees _SUCCESS sees every part.
            var completedAt = _time.GetUtcNow();
            foreach (var table in tables)
            {
                var chunks = Enumerable.Range(0, plans[table.FullName].Count).Select(i => current.Completed[$"{table.FullName}#{i}"]).ToList();
                var manifest = new TableManifest(_topology.Cluster, _topology.Shard, table.Database, table.Table, date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                    current.SnapshotId, current.Position, table.Fingerprint, chunks.Sum(c => c.Rows), chunks, completedAt);
                await _store.PutAsync(paths.Success(table.Database, table.Table), JsonSerializer.SerializeToUtf8Bytes(manifest, TrackerJson.Options), cancellationToken).ConfigureAwait(false);
            }

            current.CompletedAt = completedAt;
            await _progress.SaveAsync(paths, current, cancellationToken).ConfigureAwait(false);
            await _store.PutAsync(paths.ShardSuccess, JsonSerializer.SerializeToUtf8Bytes(current, TrackerJson.Options), cancellationToken).ConfigureAwait(false);
            var rows = current.Completed.Values.Sum(c => c.Rows);
            Report(progress, "done", replica, tables.Count, allChunks.Count, allChunks.Count, rows, rows, stopwatch.Elapsed);
            LogSnapshotDone(_logger, _topology.Cluster, _topology.Shard, replica.ToString(), rows, allChunks.Count, resumedChunks);
            return new SnapshotResult(current.SnapshotId, current.Position, tables.Count, allChunks.Count, resumedChunks, rows,
                current.Completed.Values.Sum(c => c.Bytes), [], stopwatch.Elapsed)
            {
                Timings = new SnapshotTimings(openTime, planTime, dumper.ReadTime, dumper.EncodeTime, dumper.StoreTime),
            };
        }
        catch (Exception ex) when (ex is MySqlException { ErrorCode: MySqlErrorCode.UnableToConnectToHost } or IOException or EndOfStreamException && !cancellationToken.IsCancellationRequested)
        {
            throw new ReplicaLostException($"{replica} became unreachable: {ex.Message}", ex);
        }
        finally
        {
            foreach (var session in sessions)
            {
                await session.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<Dictionary<string, IReadOnlyList<ChunkPlan>>> PlanAsync(List<MySqlConnection> sessions, IReadOnlyList<TableSchema> tables, CancellationToken cancellationToken)
    {
        var plans = new ConcurrentDictionary<string, IReadOnlyList<ChunkPlan>>(StringComparer.Ordinal);
        var queue = new ConcurrentQueue<TableSchema>(tables);
        await Task.WhenAll(sessions.Select(async session =>
        {
            while (queue.TryDequeue(out var table))
            {
                plans[table.FullName] = await ChunkPlanner.PlanAsync(session, table, _topology.Options.ChunkRows, cancellationToken).ConfigureAwait(false);
            }
        })).ConfigureAwait(false);
        return new Dictionary<string, IReadOnlyList<ChunkPlan>>(plans, StringComparer.Ordinal);
    }
    private void Report(IProgress<SnapshotProgress>? progress, string phase, MySqlEndpoint? replica, int tables, int chunksTotal, int chunksDone, long rowsDone, long rowsEstimated, TimeSpan elapsed)
    {
        if (progress is null)
        {
            return;
        }

        TimeSpan? eta = rowsDone > 0 && rowsEstimated >= rowsDone && phase == "dumping"
            ? TimeSpan.FromTicks((long)(elapsed.Ticks * ((double)(rowsEstimated - rowsDone) / rowsDone)))
            : null;
        progress.Report(new SnapshotProgress(_topology.Cluster, _topology.Shard, phase, replica?.ToString(), tables, chunksTotal, chunksDone, rowsDone, rowsEstimated, elapsed, eta));
    }

    private static async Task WhenAllFailFast(List<Task> tasks, CancellationTokenSource failure)
    {
        var remaining = new List<Task>(tasks);
        while (remaining.Count > 0)
        {
            var finished = await Task.WhenAny(remaining).ConfigureAwait(false);
            remaining.Remove(finished);
            if (finished.IsFaulted || finished.IsCanceled)
            {
                await failure.CancelAsync().ConfigureAwait(false);
                try
                {
                    await Task.WhenAll(remaining).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // The first failure is the one worth reporting; the others are its echo.
                }

                await finished.ConfigureAwait(false);
            }
        }
    }

    private static string ChunkId(ChunkPlan chunk) => $"{chunk.Table.FullName}#{chunk.Index}";

    [LoggerMessage(1, LogLevel.Debug, "Shard {Cluster}/{Shard}: host {Host} is {Role} ({Reason})")]
    private static partial void LogProbe(ILogger logger, string cluster, int shard, string host, HostRole role, string reason);

    [LoggerMessage(2, LogLevel.Warning, "Shard {Cluster}/{Shard}: replica {Replica} lost mid-snapshot; restarting on another replica")]
    private static partial void LogReplicaLost(ILogger logger, Exception exception, string cluster, int shard, string replica);

    [LoggerMessage(3, LogLevel.Information, "Shard {Cluster}/{Shard}: consistent snapshot on {Replica} at GTID {Gtid} over {Sessions} sessions, {Tables} tables")]
    private static partial void LogSnapshotOpened(ILogger logger, string cluster, int shard, string replica, string gtid, int sessions, int tables);

    [LoggerMessage(4, LogLevel.Information, "Shard {Cluster}/{Shard}: cannot resume the snapshot at GTID {Recorded} from GTID {Now} (or its plan changed); starting over")]
    private static partial void LogCannotResume(ILogger logger, string cluster, int shard, string recorded, string now);

    [LoggerMessage(5, LogLevel.Information, "Shard {Cluster}/{Shard}: snapshot from {Replica} done: {Rows} rows in {Chunks} chunks ({Resumed} resumed)")]
    private static partial void LogSnapshotDone(ILogger logger, string cluster, int shard, string replica, long rows, int chunks, int resumed);
}
