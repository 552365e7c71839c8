using MySqlConnector;
using Tributary.TestKit;

namespace Tributary.Tracker.Tests;

/// <summary>
/// The MariaDB primary and two replicas the tests use: the <c>TRIBUTARY_MYSQL_*</c> variables when
/// <c>./build.sh test</c> started them, otherwise <c>.ci/services/mariadb.sh</c> run here through
/// <see cref="ServiceProcess"/> (stopped when the test process exits), so this project also runs alone.
/// </summary>
public sealed class MariaDbServers
{
    private static readonly Lazy<MariaDbServers> Shared = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    private MariaDbServers(IReadOnlyDictionary<string, string> env)
    {
        Primary = MySqlEndpoint.Parse(env["TRIBUTARY_MYSQL_PRIMARY"]);
        Replica = MySqlEndpoint.Parse(env["TRIBUTARY_MYSQL_REPLICA"]);
        Replica2 = MySqlEndpoint.Parse(env["TRIBUTARY_MYSQL_REPLICA2"]);
        Password = env["TRIBUTARY_MYSQL_PASSWORD"];
        AppUser = env.GetValueOrDefault("TRIBUTARY_MYSQL_APP_USER", "tributary_app");
        AdminUser = env.GetValueOrDefault("TRIBUTARY_MYSQL_ADMIN_USER", "tributary_admin");
    }

    /// <summary>The running servers (started on first use).</summary>
    public static MariaDbServers Instance => Shared.Value;

    public MySqlEndpoint Primary { get; }

    public MySqlEndpoint Replica { get; }

    public MySqlEndpoint Replica2 { get; }

    public string Password { get; }

    public string AppUser { get; }

    public string AdminUser { get; }

    /// <summary>Tracker options for cluster <c>test</c>, shard 0 = primary + both replicas, restricted to <paramref name="database"/>.</summary>
    public TrackerOptions Options(string database, int chunkRows = 1000, int connections = 3)
    {
        var options = new TrackerOptions { ChunkRows = chunkRows, RowGroupRows = chunkRows, Connections = connections };
        options.Clusters["test"] = new TrackerClusterOptions
        {
            Credentials = new TrackerCredentialOptions { UserEnv = "TRIBUTARY_MYSQL_USER", PasswordEnv = "TRIBUTARY_MYSQL_PASSWORD" },
            IncludeDatabases = [database],
            Shards = [new TrackerShardOptions { Id = 0, Hosts = [Primary.ToString(), Replica.ToString(), Replica2.ToString()] }],
        };
        return options;
    }

    /// <summary>Runs statements on the primary as the application user (who owns every <c>tributary_*</c> database).</summary>
    public async Task ExecutePrimaryAsync(string sql)
    {
        await using var connection = await OpenAsync(Primary, AppUser);
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Runs a statement as the admin user (the harness only: flipping read_only, reading the general log).</summary>
    public async Task<List<object?[]>> AdminQueryAsync(MySqlEndpoint host, string sql)
    {
        await using var connection = await OpenAsync(host, AdminUser);
        await using var command = new MySqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        do
        {
            while (await reader.ReadAsync())
            {
                var row = new object?[reader.FieldCount];
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                }

                rows.Add(row);
            }
        }
        while (await reader.NextResultAsync());
        return rows;
    }

    /// <summary>Waits until both replicas applied everything the primary has logged (real replication gives no signal).</summary>
    public async Task WaitForReplicasAsync()
    {
        var target = (string)(await AdminQueryAsync(Primary, "SELECT @@global.gtid_binlog_pos"))[0][0]!;
        foreach (var replica in new[] { Replica, Replica2 })
        {
            await Eventually.HoldsAsync(
                async () => (string?)(await AdminQueryAsync(replica, "SELECT @@global.gtid_slave_pos"))[0][0],
                pos => pos == target,
                TimeSpan.FromSeconds(60),
                $"replica {replica} reaching GTID {target}");
        }
    }

    public async Task<MySqlConnection> OpenAsync(MySqlEndpoint host, string user)
    {
        var connection = new MySqlConnection(new MySqlConnectionStringBuilder
        {
            Server = host.Host,
            Port = (uint)host.Port,
            UserID = user,
            Password = Password,
            AllowZeroDateTime = true,
            TreatTinyAsBoolean = false,
            GuidFormat = MySqlGuidFormat.None,
            AllowUserVariables = true,
            IgnorePrepare = false,
            Pooling = false,
        }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static MariaDbServers Start() => new(ServiceProcess.Shared("mariadb", "TRIBUTARY_MYSQL_PRIMARY", "TRIBUTARY_MYSQL_"));
}

/// <summary>Tests that share the MariaDB servers run one at a time: they pause replication and flip read_only.</summary>
[CollectionDefinition(nameof(MariaDbCollection), DisableParallelization = true)]
public sealed class MariaDbCollection;
