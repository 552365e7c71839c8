using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Hashing;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MySqlConnector;
using Parquet;
using Parquet.Schema;
using Tributary.Storage;

namespace Tributary.Tracker;

/// <summary>Progress of a running shard snapshot, for progress bars and the dashboard.</summary>
public sealed record SnapshotProgress(
    string Cluster,
    int Shard,
    string Phase,
    string? Replica,
    int Tables,
    int ChunksTotal,
    int ChunksDone,
    long RowsDone,
    long RowsEstimated,
    TimeSpan Elapsed,
    TimeSpan? Eta);

/// <summary>The outcome of one shard snapshot.</summary>
public sealed record SnapshotResult(
    string SnapshotId,
    SnapshotPosition Position,
    int Tables,
    int Chunks,
    int ResumedChunks,
    long Rows,
    long Bytes,
    IReadOnlyList<string> FailedReplicas,
    TimeSpan Elapsed)
{
    /// <summary>Where the time went, summed over the sessions (so they can exceed <see cref="Elapsed"/>).</summary>
    public SnapshotTimings Timings { get; init; } = new(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);
}

/// <summary>
/// Time spent opening the consistent sessions and planning (wall clock), and, summed over sessions, reading rows
/// from MySQL into column buffers, encoding Parquet, and writing to the object store.
/// </summary>
public sealed record SnapshotTimings(TimeSpan Open, TimeSpan Plan, TimeSpan Read, TimeSpan Encode, TimeSpan Store);

/// <summary>The replica being read stopped being a usable replica (promoted, gone, or broken) mid-snapshot.</summary>
public sealed class ReplicaLostException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>No host of the shard is an eligible replica.</summary>
public sealed class NoReplicaAvailableException(string message) : Exception(message);

/// <summary>
/// Snapshots one shard, consistently, from a replica: pauses the replica's SQL thread, opens N
/// <c>START TRANSACTION WITH CONSISTENT SNAPSHOT</c> sessions, records the GTID and binlog position,
/// resumes the SQL thread, then dumps every table in primary-key chunks over the N sessions into Parquet
/// parts in an <see cref="IObjectStore"/>, each chunk recorded in <c>progress.json</c> so a later run
/// at the same position resumes chunk by chunk. A replica that is promoted or disappears mid-snapshot is
/// dropped and the shard's snapshot restarts on another replica. A primary is never read.
/// </summary>
public sealed partial class ShardSnapshotter
{
    private readonly ShardTopology _topology;
    private readonly IObjectStore _store;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ParquetOptions _parquetOptions;
    private long _readTicks;
    private long _encodeTicks;
    private long _storeTicks;

    /// <summary>Creates a snapshotter for one shard writing to <paramref name="store"/>.</summary>
    public ShardSnapshotter(ShardTopology topology, IObjectStore store, ILogger<ShardSnapshotter>? logger = null, TimeProvider? time = null)
    {
        _topology = topology ?? throw new ArgumentNullException(nameof(topology));
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = time ?? TimeProvider.System;
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
            _readTicks = _encodeTicks = _storeTicks = 0;
            var phase = Stopwatch.StartNew();
            (var position, var tables) = await OpenConsistentSessionsAsync(replica, sessions, cancellationToken).ConfigureAwait(false);
            var openTime = phase.Elapsed;
            LogSnapshotOpened(_logger, _topology.Cluster, _topology.Shard, replica.ToString(), position.GtidSlavePos, sessions.Count, tables.Count);

            Report(progress, "planning", replica, tables.Count, 0, 0, 0, 0, stopwatch.Elapsed);
            phase.Restart();
            var plans = await PlanAsync(sessions, tables, cancellationToken).ConfigureAwait(false);
            var planTime = phase.Elapsed;
            var planRecords = tables.Select(t => new TablePlanRecord(t.FullName, plans[t.FullName].Count, ChunkPlanner.Fingerprint(plans[t.FullName]), t.Fingerprint)).ToList();

            var record = await LoadProgressAsync(paths, cancellationToken).ConfigureAwait(false);
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
                    await ClearTableAsync(paths, table, cancellationToken).ConfigureAwait(false);
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

            await SaveProgressAsync(paths, current, cancellationToken).ConfigureAwait(false);
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
                    await SaveProgressAsync(paths, current, failure.Token).ConfigureAwait(false);
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
                if (!await StillReplicaAsync(session, replica, failure.Token).ConfigureAwait(false))
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
                        var encoding = await ReadChunkAsync(session, replica, paths, chunk, layouts[chunk.Table.FullName], failure.Token).ConfigureAwait(false);
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
            await SaveProgressAsync(paths, current, cancellationToken).ConfigureAwait(false);
            await _store.PutAsync(paths.ShardSuccess, JsonSerializer.SerializeToUtf8Bytes(current, TrackerJson.Options), cancellationToken).ConfigureAwait(false);
            var rows = current.Completed.Values.Sum(c => c.Rows);
            Report(progress, "done", replica, tables.Count, allChunks.Count, allChunks.Count, rows, rows, stopwatch.Elapsed);
            LogSnapshotDone(_logger, _topology.Cluster, _topology.Shard, replica.ToString(), rows, allChunks.Count, resumedChunks);
            return new SnapshotResult(current.SnapshotId, current.Position, tables.Count, allChunks.Count, resumedChunks, rows,
                current.Completed.Values.Sum(c => c.Bytes), [], stopwatch.Elapsed)
            {
                Timings = new SnapshotTimings(openTime, planTime, TimeSpan.FromTicks(_readTicks), TimeSpan.FromTicks(_encodeTicks), TimeSpan.FromTicks(_storeTicks)),
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

    private async Task<(SnapshotPosition Position, IReadOnlyList<TableSchema> Tables)> OpenConsistentSessionsAsync(MySqlEndpoint replica, List<MySqlConnection> sessions, CancellationToken cancellationToken)
    {
        var options = _topology.Options;
        var connectTasks = Enumerable.Range(0, options.Connections).Select(_ => _topology.OpenAsync(replica, cancellationToken)).ToList();
        try
        {
            await Task.WhenAll(connectTasks).ConfigureAwait(false);
        }
        finally
        {
            sessions.AddRange(connectTasks.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
        }

        var control = sessions[0];
        var probe = await ReplicaSelector.ProbeAsync(control, replica, options.MaxLagSeconds, cancellationToken).ConfigureAwait(false);
        if (probe.Role != HostRole.Replica)
        {
            throw new ReplicaLostException($"{replica} is {probe.Role} ({probe.Reason})");
        }

        await ExecuteAsync(control, "STOP SLAVE SQL_THREAD", cancellationToken).ConfigureAwait(false);
        try
        {
            // The SQL thread is paused: no DML or DDL is applied while the schema is read and the sessions open.
            var tables = await SchemaDiscovery.DiscoverAsync(control, _topology.ClusterOptions, cancellationToken).ConfigureAwait(false);
            var status = await ReplicationStatus.ReadAsync(control, cancellationToken).ConfigureAwait(false)
                ?? throw new ReplicaLostException($"{replica} stopped replicating");
            var gtid = await ScalarAsync(control, "SELECT @@global.gtid_slave_pos", cancellationToken).ConfigureAwait(false);
            var current = await ScalarAsync(control, "SELECT @@global.gtid_current_pos", cancellationToken).ConfigureAwait(false);
            await Task.WhenAll(sessions.Select(s => ExecuteAsync(s,
                "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ; START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", cancellationToken))).ConfigureAwait(false);
            var after = await ScalarAsync(control, "SELECT @@global.gtid_slave_pos", cancellationToken).ConfigureAwait(false);
            if (after != gtid)
            {
                throw new InvalidOperationException($"{replica} applied transactions while its SQL thread was stopped ({gtid} → {after}); is another process controlling replication?");
            }

            return (new SnapshotPosition(replica.ToString(), gtid, current, status.MasterLogFile, status.ExecMasterLogPos), tables);
        }
        finally
        {
            // Resume replication whatever happened: the replica must not fall behind because of us.
            await ExecuteAsync(control, "START SLAVE SQL_THREAD", CancellationToken.None).ConfigureAwait(false);
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

    /// <summary>
    /// Reads one chunk over <paramref name="session"/> into column buffers (row groups beyond the first few are
    /// encoded as they fill) and returns, once the session is free, the task that encodes the last row group
    /// and stores the part on the thread pool.
    /// </summary>
    private async Task<Task<ChunkRecord>> ReadChunkAsync(MySqlConnection session, MySqlEndpoint replica, SnapshotPaths paths, ChunkPlan chunk, TableLayout layout, CancellationToken cancellationToken)
    {
        var rowGroupRows = _topology.Options.RowGroupRows;
        var buffers = layout.Columns.Select((c, i) => ColumnBuffer.Create(c, layout.Fields[i], Math.Min(rowGroupRows, _topology.Options.ChunkRows))).ToArray();
        var output = new MemoryStream();
        ParquetWriter? writer = null;
        long rows = 0;
        long encodeTicks = 0;
        var clock = Stopwatch.StartNew();
        try
        {
            writer = await ParquetWriter.CreateAsync(layout.Schema, output, _parquetOptions, cancellationToken: cancellationToken).ConfigureAwait(false);
            await using (var command = ChunkPlanner.Command(session, chunk))
            {
                if (_topology.Options.UseBinaryProtocol)
                {
                    await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
                }

                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                var inGroup = 0;
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    for (var i = 0; i < buffers.Length; i++)
                    {
                        buffers[i].Append(reader, i);
                    }

                    rows++;
                    if (++inGroup == rowGroupRows)
                    {
                        encodeTicks += await FlushAsync(writer, buffers, cancellationToken).ConfigureAwait(false);
                        inGroup = 0;
                    }
                }

                if (inGroup == 0 && rows > 0)
                {
                    buffers = [];
                }
            }
        }
        catch
        {
            if (writer is not null)
            {
                await writer.DisposeAsync().ConfigureAwait(false);
            }

            await output.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        Interlocked.Add(ref _readTicks, clock.Elapsed.Ticks - encodeTicks);
        var parquet = writer;
        return Task.Run(async () =>
        {
            await using (output.ConfigureAwait(false))
            {
                var encoding = Stopwatch.StartNew();
                await using (parquet.ConfigureAwait(false))
                {
                    if (buffers.Length > 0)
                    {
                        await FlushAsync(parquet, buffers, cancellationToken).ConfigureAwait(false);
                    }
                }

                Interlocked.Add(ref _encodeTicks, encodeTicks + encoding.Elapsed.Ticks);
                var storing = Stopwatch.StartNew();
                var bytes = new ReadOnlyMemory<byte>(output.GetBuffer(), 0, (int)output.Length);
                var key = paths.Part(chunk.Table.Database, chunk.Table.Table, chunk.Index);
                await _store.PutAsync(key, bytes, cancellationToken).ConfigureAwait(false);
                Interlocked.Add(ref _storeTicks, storing.Elapsed.Ticks);
                LogChunkDumped(_logger, chunk.Table.FullName, chunk.Index, rows, replica.ToString());
                return new ChunkRecord(chunk.Index, key, rows, bytes.Length, Convert.ToHexStringLower(XxHash64.Hash(bytes.Span)));
            }
        }, cancellationToken);
    }

    private static async Task<long> FlushAsync(ParquetWriter writer, ColumnBuffer[] buffers, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        using (var group = writer.CreateRowGroup())
        {
            foreach (var buffer in buffers)
            {
                await buffer.WriteAsync(group, cancellationToken).ConfigureAwait(false);
            }
        }

        return Stopwatch.GetElapsedTime(start).Ticks;
    }

    private async Task<bool> StillReplicaAsync(MySqlConnection session, MySqlEndpoint replica, CancellationToken cancellationToken)
    {
        try
        {
            return await ReplicaSelector.IsReadOnlyAsync(session, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MySqlException or IOException && !cancellationToken.IsCancellationRequested)
        {
            throw new ReplicaLostException($"{replica} stopped answering: {ex.Message}", ex);
        }
    }

    private async Task ClearTableAsync(SnapshotPaths paths, TableSchema table, CancellationToken cancellationToken)
    {
        var stale = new List<string>();
        await foreach (var item in _store.ListAsync(paths.TableDirectory(table.Database, table.Table), cancellationToken).ConfigureAwait(false))
        {
            stale.Add(item.Key);
        }

        // _SUCCESS first: a reader must never see a manifest next to a half-replaced set of parts.
        foreach (var key in stale.OrderBy(k => k.EndsWith("/_SUCCESS", StringComparison.Ordinal) ? 0 : 1))
        {
            await _store.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<SnapshotProgressRecord?> LoadProgressAsync(SnapshotPaths paths, CancellationToken cancellationToken)
    {
        var stream = await _store.OpenReadAsync(paths.Progress, cancellationToken).ConfigureAwait(false);
        if (stream is null)
        {
            return null;
        }

        await using (stream.ConfigureAwait(false))
        {
            try
            {
                return await JsonSerializer.DeserializeAsync<SnapshotProgressRecord>(stream, TrackerJson.Options, cancellationToken).ConfigureAwait(false);
            }
            catch (JsonException ex)
            {
                // Progress is only an optimisation: an unreadable record means a full snapshot, not a failure.
                LogBadProgress(_logger, ex, paths.Progress);
                return null;
            }
        }
    }

    private Task SaveProgressAsync(SnapshotPaths paths, SnapshotProgressRecord record, CancellationToken cancellationToken)
        => _store.PutAsync(paths.Progress, JsonSerializer.SerializeToUtf8Bytes(record, TrackerJson.Options), cancellationToken);

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

    private static async Task ExecuteAsync(MySqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<string> ScalarAsync(MySqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection);
        return Convert.ToString(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
    }

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

    [LoggerMessage(6, LogLevel.Debug, "Table {Table} chunk {Chunk}: {Rows} rows from {Replica}")]
    private static partial void LogChunkDumped(ILogger logger, string table, int chunk, long rows, string replica);

    [LoggerMessage(7, LogLevel.Warning, "Progress record {Key} is unreadable; taking a full snapshot")]
    private static partial void LogBadProgress(ILogger logger, Exception exception, string key);
}

/// <summary>A table's Parquet schema, built once per snapshot and shared by its chunks.</summary>
internal sealed class TableLayout
{
    private TableLayout(IReadOnlyList<ColumnSchema> columns, IReadOnlyList<IReadOnlyList<DataField>> fields)
    {
        Columns = columns;
        Fields = fields;
        Schema = new ParquetSchema(fields.SelectMany(f => f).Cast<Field>().ToArray());
    }

    /// <summary>Writer options: the configured codec at its fastest level (the dump is CPU-bound).</summary>
    public static ParquetOptions ParquetOptionsFor(TrackerOptions options) => new()
    {
        CompressionMethod = Enum.Parse<CompressionMethod>(options.Compression, ignoreCase: true),
        CompressionLevel = System.IO.Compression.CompressionLevel.Fastest,
        UseBigDecimal = true,
    };

    public IReadOnlyList<ColumnSchema> Columns { get; }

    public IReadOnlyList<IReadOnlyList<DataField>> Fields { get; }

    public ParquetSchema Schema { get; }

    public static TableLayout Create(TableSchema table)
        => new(table.Columns, table.Columns.Select(ColumnBuffer.FieldsOf).ToList());
}
