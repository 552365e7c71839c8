using System.Diagnostics;
using MySqlConnector;
using Tributary.TestKit;

namespace Tributary.Tracker.Tests;

/// <summary>
/// The MariaDB primary and two replicas the tests use: the <c>TRIBUTARY_MYSQL_*</c> variables when
/// <c>./build.sh test</c> started them, otherwise <c>.ci/services/mariadb.sh</c> run here (stopped when the
/// test process exits), so this project also runs alone.
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

    private static MariaDbServers Start()
    {
        if (Environment.GetEnvironmentVariable("TRIBUTARY_MYSQL_PRIMARY") is { Length: > 0 })
        {
            return new MariaDbServers(Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                .Where(e => ((string)e.Key).StartsWith("TRIBUTARY_MYSQL_", StringComparison.Ordinal))
                .ToDictionary(e => (string)e.Key, e => (string)e.Value!));
        }

        var script = FindScript();
        var dir = Directory.CreateTempSubdirectory("tributary-mariadb-").FullName;
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        var start = new ProcessStartInfo("bash", [script, "start", dir]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using (var process = Process.Start(start) ?? throw new InvalidOperationException("could not run bash"))
        {
            var stderr = process.StandardError.ReadToEndAsync();
            foreach (var line in process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = line.IndexOf('=', StringComparison.Ordinal);
                env[line[..eq]] = line[(eq + 1)..];
            }

            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{script} start failed ({process.ExitCode}): {stderr.Result} (run ./build.sh deps to install mariadb-server)");
            }
        }

        foreach (var (key, value) in env)
        {
            Environment.SetEnvironmentVariable(key, value);
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            using var stop = Process.Start(new ProcessStartInfo("bash", [script, "stop", dir]) { UseShellExecute = false });
            stop?.WaitForExit();
        };
        return new MariaDbServers(env);
    }

    private static string FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ".ci", "services", "mariadb.sh");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("cannot find .ci/services/mariadb.sh above " + AppContext.BaseDirectory + "; set TRIBUTARY_MYSQL_* instead.");
    }
}

/// <summary>Tests that share the MariaDB servers run one at a time: they pause replication and flip read_only.</summary>
[CollectionDefinition(nameof(MariaDbCollection), DisableParallelization = true)]
public sealed class MariaDbCollection;
