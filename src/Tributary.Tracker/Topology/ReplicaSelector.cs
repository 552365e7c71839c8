using System.Data.Common;
using MySqlConnector;

namespace Tributary.Tracker;

/// <summary>What a host turned out to be when probed.</summary>
public enum HostRole
{
    /// <summary>Writable (<c>@@read_only = 0</c>): a primary, never read by Tracker.</summary>
    Primary,

    /// <summary>Read-only, replicating, within the lag threshold: eligible for snapshots.</summary>
    Replica,

    /// <summary>Read-only replica too far behind, or whose replication is not running.</summary>
    Lagging,

    /// <summary>Read-only but not replicating from anything.</summary>
    Detached,

    /// <summary>Could not be reached.</summary>
    Unreachable,

    /// <summary>Reached, but refused the configured user or password (not an outage: a credentials problem).</summary>
    AccessDenied,
}

/// <summary>The result of probing one host: its role, lag and why it was (not) chosen.</summary>
public sealed record HostProbe(MySqlEndpoint Endpoint, HostRole Role, long? LagSeconds, string Reason);

/// <summary>
/// Finds each host's role at run time from <c>@@read_only</c> and <c>SHOW SLAVE STATUS</c>. A host with
/// <c>read_only = 0</c> is a primary whatever else it says, and is never chosen.
/// </summary>
public static class ReplicaSelector
{
    /// <summary>Probes every host of the shard (in parallel).</summary>
    public static async Task<IReadOnlyList<HostProbe>> ProbeAsync(ShardTopology topology, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(topology);
        var probes = await Task.WhenAll(topology.Hosts.Select(h => ProbeAsync(topology, h, cancellationToken))).ConfigureAwait(false);
        return probes;
    }

    /// <summary>Eligible replicas, least lag first (configuration order breaks ties), leaving out <paramref name="excluded"/>.</summary>
    public static IReadOnlyList<MySqlEndpoint> Eligible(IReadOnlyList<HostProbe> probes, IReadOnlyCollection<MySqlEndpoint>? excluded = null)
        => probes
            .Select((p, i) => (p, i))
            .Where(x => x.p.Role == HostRole.Replica && (excluded is null || !excluded.Contains(x.p.Endpoint)))
            .OrderBy(x => x.p.LagSeconds ?? long.MaxValue)
            .ThenBy(x => x.i)
            .Select(x => x.p.Endpoint)
            .ToList();

    /// <summary>Probes one host: reads only server variables and replication status, never data.</summary>
    public static async Task<HostProbe> ProbeAsync(ShardTopology topology, MySqlEndpoint host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(topology);
        try
        {
            await using var connection = await topology.OpenAsync(host, cancellationToken, utcSession: false).ConfigureAwait(false);
            return await ProbeAsync(connection, host, topology.Options.MaxLagSeconds, cancellationToken).ConfigureAwait(false);
        }
        catch (MySqlException ex) when (ex.ErrorCode is MySqlErrorCode.AccessDenied or MySqlErrorCode.DatabaseAccessDenied)
        {
            return new HostProbe(host, HostRole.AccessDenied, null, $"{ex.Message} (check {TrackerOptions.SectionName}:Clusters:{topology.Cluster}:Credentials)");
        }
        catch (Exception ex) when (ex is MySqlException or DbException or IOException or TimeoutException)
        {
            return new HostProbe(host, HostRole.Unreachable, null, ex.Message);
        }
    }

    /// <summary>Probes over an open connection (the snapshot sessions re-check their host this way).</summary>
    public static async Task<HostProbe> ProbeAsync(MySqlConnection connection, MySqlEndpoint host, int maxLagSeconds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (!await IsReadOnlyAsync(connection, cancellationToken).ConfigureAwait(false))
        {
            return new HostProbe(host, HostRole.Primary, null, "@@read_only = 0");
        }

        var status = await ReplicationStatus.ReadAsync(connection, cancellationToken).ConfigureAwait(false);
        if (status is null)
        {
            return new HostProbe(host, HostRole.Detached, null, "read-only but SHOW SLAVE STATUS is empty");
        }

        if (!status.SqlRunning || !status.IoRunning || status.SecondsBehind is null)
        {
            return new HostProbe(host, HostRole.Lagging, status.SecondsBehind, $"replication not running (IO: {status.IoRunning}, SQL: {status.SqlRunning})");
        }

        return status.SecondsBehind > maxLagSeconds
            ? new HostProbe(host, HostRole.Lagging, status.SecondsBehind, $"{status.SecondsBehind}s behind, threshold {maxLagSeconds}s")
            : new HostProbe(host, HostRole.Replica, status.SecondsBehind, $"{status.SecondsBehind}s behind");
    }

    /// <summary><c>@@global.read_only</c> of the connected server.</summary>
    public static async Task<bool> IsReadOnlyAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new MySqlCommand("SELECT @@global.read_only", connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) != 0;
    }
}

/// <summary>The parts of <c>SHOW SLAVE STATUS</c> Tracker uses.</summary>
public sealed record ReplicationStatus(bool IoRunning, bool SqlRunning, long? SecondsBehind, string MasterLogFile, long ExecMasterLogPos)
{
    /// <summary>Reads the first replication channel's status, or <see langword="null"/> when the server replicates from nothing.</summary>
    public static async Task<ReplicationStatus?> ReadAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new MySqlCommand("SHOW SLAVE STATUS", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var behind = reader.GetOrdinal("Seconds_Behind_Master");
        return new ReplicationStatus(
            string.Equals(reader.GetString("Slave_IO_Running"), "Yes", StringComparison.OrdinalIgnoreCase),
            string.Equals(reader.GetString("Slave_SQL_Running"), "Yes", StringComparison.OrdinalIgnoreCase),
            reader.IsDBNull(behind) ? null : Convert.ToInt64(reader.GetValue(behind), System.Globalization.CultureInfo.InvariantCulture),
            reader.GetString("Relay_Master_Log_File"),
            Convert.ToInt64(reader.GetValue(reader.GetOrdinal("Exec_Master_Log_Pos")), System.Globalization.CultureInfo.InvariantCulture));
    }
}
