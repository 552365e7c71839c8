using MySqlConnector;

namespace Tributary.Tracker;

/// <summary>
/// Opens the sessions of a consistent snapshot on a replica: pauses its SQL thread, discovers the schema, opens
/// every session with <c>START TRANSACTION WITH CONSISTENT SNAPSHOT</c>, records the GTID and binlog position, and
/// resumes the SQL thread whatever happened. Also the check each session makes between chunks that its host is
/// still a replica.
/// </summary>
internal static class ConsistentSession
{
    /// <summary>Opens <see cref="TrackerOptions.Connections"/> sessions on <paramref name="replica"/> into <paramref name="sessions"/> (those that opened are added even when this fails, for the caller to dispose).</summary>
    public static async Task<(SnapshotPosition Position, IReadOnlyList<TableSchema> Tables)> OpenAsync(ShardTopology topology, MySqlEndpoint replica, List<MySqlConnection> sessions, CancellationToken cancellationToken)
    {
        var options = topology.Options;
        var connectTasks = Enumerable.Range(0, options.Connections).Select(_ => topology.OpenAsync(replica, cancellationToken)).ToList();
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
            var tables = await SchemaDiscovery.DiscoverAsync(control, topology.ClusterOptions, cancellationToken, topology.Cluster).ConfigureAwait(false);
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

    /// <summary>False once the host accepts writes (promoted); <see cref="ReplicaLostException"/> when it stops answering.</summary>
    public static async Task<bool> StillReplicaAsync(MySqlConnection session, MySqlEndpoint replica, CancellationToken cancellationToken)
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
}
