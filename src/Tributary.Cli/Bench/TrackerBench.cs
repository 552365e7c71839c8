using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MySqlConnector;
using Tributary.Cli.Commands;
using Tributary.Storage;
using Tributary.Tracker;

namespace Tributary.Cli.Bench;

/// <summary>
/// <c>bench tracker</c>: rows/s and MB/s snapshotting one realistic table (pins: ids, text, URLs, binary
/// signatures, decimals, enums, timestamps) from a MariaDB replica into Parquet in an object store, against
/// <c>mysqldump --single-transaction</c> to a file and <c>mydumper -t 2</c> to a folder, same replica, same
/// table, same run. Tracker writes to S3 on s3rver (<c>TRIBUTARY_S3_ENDPOINT</c> when set, else s3rver from <c>.tools/</c>
/// started here), a fresh key prefix per round. MB/s is over the table's InnoDB data size, the same denominator for all three. Each tool
/// runs twice after a warm-up scan; the faster run counts. Uses TRIBUTARY_MYSQL_* when set, otherwise starts
/// <c>.ci/services/mariadb.sh</c>. Default 500K rows (fits in 3 minutes on 2 cores); <c>--events 5000000</c> for 5M.
/// </summary>
internal static class TrackerBench
{
    private const string Database = "tributary_bench";
    private const string Table = "pins";
    private const int Rounds = 2;
    private const int Connections = 2;

    public static async Task<string> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var rows = settings.Events ?? 500_000;
        await using var servers = await BenchMariaDb.StartAsync(cancellationToken);
        await EnsureTableAsync(servers, rows, cancellationToken);
        var sourceBytes = await SourceBytesAsync(servers, cancellationToken);
        await Console.Error.WriteLineAsync($"tracker bench: {rows:N0} rows, {sourceBytes / 1e6:0.0} MB of InnoDB data on replica {servers.Replica}");

        var work = Directory.CreateTempSubdirectory("tributary-tracker-bench-").FullName;
        using var s3 = await S3Endpoint.StartAsync();
        var bucket = $"bench-tracker-{DateTime.UtcNow:yyyyMMddHHmmss}";
        using (var admin = new S3ObjectStore(StoreOptions(s3.Url, bucket, string.Empty)))
        {
            await admin.EnsureBucketAsync(cancellationToken);
        }

        await Console.Error.WriteLineAsync($"  store: S3 {s3.Url}/{bucket}");
        try
        {
            var readOnly = await ReadOnlyRateAsync(servers, rows, cancellationToken);
            await Console.Error.WriteLineAsync($"  plain MySqlConnector read, {Connections} connections: {readOnly:N0} rows/s");
            var tracker = new List<(double Seconds, long Bytes)>();
            var mysqldump = new List<(double Seconds, long Bytes)>();
            var mydumper = new List<(double Seconds, long Bytes)>();
            for (var round = 1; round <= Rounds; round++)
            {
                tracker.Add(await TrackerAsync(servers, StoreOptions(s3.Url, bucket, $"round-{round}"), rows, cancellationToken));
                await Console.Error.WriteLineAsync($"  round {round}: tracker {rows / tracker[^1].Seconds:N0} rows/s ({tracker[^1].Seconds:0.00} s, {tracker[^1].Bytes / 1e6:0.0} MB Parquet)");
                mysqldump.Add(await MysqldumpAsync(servers, Path.Combine(work, $"dump-{round}.sql"), cancellationToken));
                await Console.Error.WriteLineAsync($"  round {round}: mysqldump {rows / mysqldump[^1].Seconds:N0} rows/s ({mysqldump[^1].Seconds:0.00} s, {mysqldump[^1].Bytes / 1e6:0.0} MB SQL)");
                mydumper.Add(await MydumperAsync(servers, Path.Combine(work, $"mydumper-{round}"), cancellationToken));
                await Console.Error.WriteLineAsync($"  round {round}: mydumper {rows / mydumper[^1].Seconds:N0} rows/s ({mydumper[^1].Seconds:0.00} s, {mydumper[^1].Bytes / 1e6:0.0} MB SQL)");
            }

            var t = tracker.MinBy(r => r.Seconds);
            var d = mysqldump.MinBy(r => r.Seconds);
            var m = mydumper.MinBy(r => r.Seconds);
            return JsonSerializer.Serialize(new
            {
                scenario = "tracker",
                rows,
                source_mb = Math.Round(sourceBytes / 1e6, 1),
                connections = Connections,
                store = "s3",
                rows_per_s = Math.Round(rows / t.Seconds),
                mb_per_s = Math.Round(sourceBytes / 1e6 / t.Seconds, 1),
                parquet_mb = Math.Round(t.Bytes / 1e6, 1),
                mydumper_rows_per_s = Math.Round(rows / m.Seconds),
                mydumper_mb_per_s = Math.Round(sourceBytes / 1e6 / m.Seconds, 1),
                mydumper_output_mb = Math.Round(m.Bytes / 1e6, 1),
                mysqldump_rows_per_s = Math.Round(rows / d.Seconds),
                mysqldump_mb_per_s = Math.Round(sourceBytes / 1e6 / d.Seconds, 1),
                mysqldump_output_mb = Math.Round(d.Bytes / 1e6, 1),
                read_only_rows_per_s = Math.Round(readOnly),
                last_run_session_seconds = _lastTimings is { } timings
                    ? new { open = Math.Round(timings.Open.TotalSeconds, 2), plan = Math.Round(timings.Plan.TotalSeconds, 2), read = Math.Round(timings.Read.TotalSeconds, 2), encode = Math.Round(timings.Encode.TotalSeconds, 2), store = Math.Round(timings.Store.TotalSeconds, 2) }
                    : null,
                vs_mydumper = Math.Round(m.Seconds / t.Seconds, 2),
                vs_mysqldump = Math.Round(d.Seconds / t.Seconds, 2),
            });
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static SnapshotTimings? _lastTimings;

    private static S3ObjectStoreOptions StoreOptions(string url, string bucket, string prefix) => new()
    {
        Bucket = bucket,
        Prefix = prefix,
        ServiceUrl = url,
        ForcePathStyle = true,
        AccessKeyId = S3Endpoint.AccessKey,
        SecretAccessKey = S3Endpoint.AccessKey,
        DisableChunkEncoding = true,
    };

    private static async Task<(double Seconds, long Bytes)> TrackerAsync(BenchMariaDb servers, S3ObjectStoreOptions storeOptions, long rows, CancellationToken cancellationToken)
    {
        var options = new TrackerOptions { Connections = Connections, ChunkRows = 100_000, RowGroupRows = 100_000 };
        options.Clusters["bench"] = new TrackerClusterOptions
        {
            Credentials = new TrackerCredentialOptions { UserEnv = "TRIBUTARY_MYSQL_USER", PasswordEnv = "TRIBUTARY_MYSQL_PASSWORD" },
            IncludeDatabases = [Database],
            IncludeTables = [Table],
            Shards = [new TrackerShardOptions { Id = 0, Hosts = [servers.Replica.ToString()] }],
        };
        using var store = new S3ObjectStore(storeOptions);
        var snapshotter = new ShardSnapshotter(ShardTopology.Resolve(options, "bench", 0), store);
        var clock = Stopwatch.StartNew();
        var result = await snapshotter.RunAsync(DateOnly.FromDateTime(DateTime.UtcNow), null, cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        _lastTimings = result.Timings;
        await Console.Error.WriteLineAsync($"    tracker time: open {result.Timings.Open.TotalSeconds:0.00} s, plan {result.Timings.Plan.TotalSeconds:0.00} s; over sessions: read {result.Timings.Read.TotalSeconds:0.00} s, encode {result.Timings.Encode.TotalSeconds:0.00} s, store {result.Timings.Store.TotalSeconds:0.00} s");
        return result.Rows == rows
            ? (seconds, result.Bytes)
            : throw new InvalidOperationException($"tracker snapshotted {result.Rows:N0} rows, expected {rows:N0}");
    }

    private static async Task<(double Seconds, long Bytes)> MysqldumpAsync(BenchMariaDb servers, string file, CancellationToken cancellationToken)
    {
        var seconds = await RunToolAsync("mysqldump",
            ["--single-transaction", "--skip-lock-tables", $"--host={servers.Replica.Host}", $"--port={servers.Replica.Port}", $"--user={servers.AdminUser}",
             $"--password={servers.Password}", $"--result-file={file}", Database, Table], cancellationToken);
        return (seconds, new FileInfo(file).Length);
    }

    private static async Task<(double Seconds, long Bytes)> MydumperAsync(BenchMariaDb servers, string directory, CancellationToken cancellationToken)
    {
        // --regex, not --tables-list: Debian's mydumper 0.10 hangs or dumps part of the table with -T.
        // -r splits the table into 100K-row chunks like Tracker's, so both threads have work (without it one thread dumps one table).
        var seconds = await RunToolAsync("mydumper",
            ["-t", "2", "-r", "100000", "--regex", $"^{Database}\\.{Table}$", "--host", servers.Replica.Host, "--port", servers.Replica.Port.ToString(CultureInfo.InvariantCulture),
             "--user", servers.AdminUser, "--password", servers.Password,
             "--outputdir", directory], cancellationToken);
        return (seconds, Directory.EnumerateFiles(directory).Sum(f => new FileInfo(f).Length));
    }

    private static async Task<double> RunToolAsync(string tool, string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(tool, arguments) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {tool}");
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        _ = process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        return process.ExitCode == 0
            ? seconds
            : throw new InvalidOperationException($"{tool} failed ({process.ExitCode}): {await stderr}");
    }

    // The ceiling: rows read over the same number of connections, values materialised, nothing written.
    private static async Task<double> ReadOnlyRateAsync(BenchMariaDb servers, long rows, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var half = rows / 2;
        var counts = await Task.WhenAll(
            ReadRangeAsync(servers, $"id <= {half}", cancellationToken),
            ReadRangeAsync(servers, $"id > {half}", cancellationToken));
        var seconds = clock.Elapsed.TotalSeconds;
        return counts.Sum() == rows ? rows / seconds : throw new InvalidOperationException($"read {counts.Sum():N0} rows, expected {rows:N0}");
    }

    private static async Task<long> ReadRangeAsync(BenchMariaDb servers, string where, CancellationToken cancellationToken)
    {
        await using var connection = await servers.OpenAsync(servers.Replica, servers.User, cancellationToken);
        await using var command = new MySqlCommand($"SELECT * FROM {Database}.{Table} WHERE {where}", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var values = new object[reader.FieldCount];
        long count = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            reader.GetValues(values);
            count++;
        }

        return count;
    }

    private static async Task EnsureTableAsync(BenchMariaDb servers, long rows, CancellationToken cancellationToken)
    {
        await using (var replica = await servers.OpenAsync(servers.Replica, servers.AdminUser, cancellationToken))
        {
            await using var count = new MySqlCommand($"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{Database}' AND TABLE_NAME = '{Table}'", replica);
            if (Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) == 1)
            {
                await using var rowsCommand = new MySqlCommand($"SELECT COUNT(*) FROM {Database}.{Table}", replica);
                if (Convert.ToInt64(await rowsCommand.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) == rows)
                {
                    return;
                }
            }
        }

        var clock = Stopwatch.StartNew();
        await using (var primary = await servers.OpenAsync(servers.Primary, servers.AppUser, cancellationToken))
        {
            await ExecuteAsync(primary, $"""
                CREATE DATABASE IF NOT EXISTS {Database};
                DROP TABLE IF EXISTS {Database}.{Table};
                CREATE TABLE {Database}.{Table} (
                  id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
                  user_id BIGINT NOT NULL,
                  board_id INT UNSIGNED NOT NULL,
                  title VARCHAR(120) NOT NULL,
                  description TEXT NULL,
                  link VARCHAR(255) NULL,
                  image_signature BINARY(16) NOT NULL,
                  dominant_color CHAR(7) NULL,
                  like_count INT UNSIGNED NOT NULL,
                  repin_count INT UNSIGNED NOT NULL,
                  price DECIMAL(10,2) NULL,
                  is_video TINYINT NOT NULL,
                  status ENUM('active','hidden','deleted') NOT NULL,
                  created_at DATETIME(6) NOT NULL,
                  updated_at TIMESTAMP(6) NOT NULL
                ) CHARACTER SET utf8mb4
                """, cancellationToken);
            const long batch = 100_000;
            for (long from = 1; from <= rows; from += batch)
            {
                var to = Math.Min(rows, from + batch - 1);
                await ExecuteAsync(primary, $"""
                    INSERT INTO {Database}.{Table}
                    SELECT seq, 1 + (seq * 7919) % 200000, 1 + (seq * 104729) % 1000000,
                      CONCAT('Pin ', seq, ' ', ELT(1 + seq % 6, 'summer recipes', 'living room ideas', 'diy garden', 'street style', 'travel japan', 'wedding cakes')),
                      IF(seq % 5 = 0, NULL, REPEAT(CONCAT(MD5(seq), ' '), 1 + seq % 4)),
                      CONCAT('https://example.com/pins/', SHA1(seq)),
                      UNHEX(MD5(seq)),
                      CONCAT('#', LEFT(MD5(seq * 3), 6)),
                      (seq * 31) % 100000, (seq * 17) % 5000,
                      IF(seq % 3 = 0, NULL, ((seq * 13) % 100000) / 100),
                      seq % 10 = 0,
                      ELT(1 + (seq % 20 = 0) + (seq % 97 = 0), 'active', 'hidden', 'deleted'),
                      TIMESTAMP('2020-01-01') + INTERVAL seq SECOND + INTERVAL (seq % 1000000) MICROSECOND,
                      TIMESTAMP('2024-01-01') + INTERVAL seq SECOND
                    FROM {Database}.seq_{from}_to_{to}
                    """, cancellationToken);
                await Console.Error.WriteLineAsync($"  loading: {to:N0}/{rows:N0} rows");
            }
        }

        await servers.WaitForReplicaAsync(cancellationToken);
        await Console.Error.WriteLineAsync($"  loaded and replicated {rows:N0} rows in {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private static async Task<long> SourceBytesAsync(BenchMariaDb servers, CancellationToken cancellationToken)
    {
        await using var replica = await servers.OpenAsync(servers.Replica, servers.AdminUser, cancellationToken);
        // LOCAL: a plain ANALYZE TABLE is binlogged; on a replica it would mint a local GTID and break GTID-strict replication.
        await ExecuteAsync(replica, $"ANALYZE LOCAL TABLE {Database}.{Table}", cancellationToken);

        // Warm-up: the first tool must not pay for reading the table from disk alone.
        await ExecuteAsync(replica, $"SELECT COUNT(*), SUM(LENGTH(description)) FROM {Database}.{Table}", cancellationToken);
        await using var command = new MySqlCommand($"SELECT DATA_LENGTH FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{Database}' AND TABLE_NAME = '{Table}'", replica);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    private static async Task ExecuteAsync(MySqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection) { CommandTimeout = 0 };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        do
        {
            while (await reader.ReadAsync(cancellationToken))
            {
            }
        }
        while (await reader.NextResultAsync(cancellationToken));
    }

    /// <summary>The MariaDB primary + replicas: TRIBUTARY_MYSQL_* when set, else the service script started here.</summary>
    private sealed class BenchMariaDb : IAsyncDisposable
    {
        private readonly string? _script;
        private readonly string? _directory;

        private BenchMariaDb(string? script, string? directory)
        {
            _script = script;
            _directory = directory;
            Primary = MySqlEndpoint.Parse(Environment.GetEnvironmentVariable("TRIBUTARY_MYSQL_PRIMARY")!);
            Replica = MySqlEndpoint.Parse(Environment.GetEnvironmentVariable("TRIBUTARY_MYSQL_REPLICA")!);
            User = Environment.GetEnvironmentVariable("TRIBUTARY_MYSQL_USER") ?? "tributary_snap";
            Password = Environment.GetEnvironmentVariable("TRIBUTARY_MYSQL_PASSWORD") ?? string.Empty;
            AppUser = Environment.GetEnvironmentVariable("TRIBUTARY_MYSQL_APP_USER") ?? "tributary_app";
            AdminUser = Environment.GetEnvironmentVariable("TRIBUTARY_MYSQL_ADMIN_USER") ?? "tributary_admin";
        }

        public MySqlEndpoint Primary { get; }

        public MySqlEndpoint Replica { get; }

        public string User { get; }

        public string Password { get; }

        public string AppUser { get; }

        public string AdminUser { get; }

        public static async Task<BenchMariaDb> StartAsync(CancellationToken cancellationToken)
        {
            if (Environment.GetEnvironmentVariable("TRIBUTARY_MYSQL_PRIMARY") is { Length: > 0 })
            {
                return new BenchMariaDb(null, null);
            }

            var script = SnapshotCommand.Find(".ci/services/mariadb.sh")
                ?? throw new InvalidOperationException("TRIBUTARY_MYSQL_* are not set and .ci/services/mariadb.sh is not found above the current directory.");
            var directory = Directory.CreateTempSubdirectory("tributary-bench-mariadb-").FullName;
            await Console.Error.WriteLineAsync($"starting MariaDB primary + replicas with {script}");
            var start = new ProcessStartInfo("bash", [script, "start", directory]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var process = Process.Start(start) ?? throw new InvalidOperationException("could not run bash");
            var stdout = await process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = await process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{script} start failed: {stderr}");
            }

            foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = line.IndexOf('=', StringComparison.Ordinal);
                Environment.SetEnvironmentVariable(line[..eq], line[(eq + 1)..]);
            }

            return new BenchMariaDb(script, directory);
        }

        public async Task<MySqlConnection> OpenAsync(MySqlEndpoint host, string user, CancellationToken cancellationToken)
        {
            var connection = new MySqlConnection(new MySqlConnectionStringBuilder
            {
                Server = host.Host,
                Port = (uint)host.Port,
                UserID = user,
                Password = Password,
                Pooling = false,
                DefaultCommandTimeout = 0,
            }.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            return connection;
        }

        public async Task WaitForReplicaAsync(CancellationToken cancellationToken)
        {
            await using var primary = await OpenAsync(Primary, AdminUser, cancellationToken);
            await using var replica = await OpenAsync(Replica, AdminUser, cancellationToken);
            await using var target = new MySqlCommand("SELECT @@global.gtid_binlog_pos", primary);
            var position = (string)(await target.ExecuteScalarAsync(cancellationToken))!;
            await using var wait = new MySqlCommand($"SELECT MASTER_GTID_WAIT('{position}', 600)", replica) { CommandTimeout = 0 };
            if (Convert.ToInt64(await wait.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) != 0)
            {
                throw new TimeoutException($"replica {Replica} did not reach GTID {position} within 10 minutes");
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_script is null)
            {
                return;
            }

            using var stop = Process.Start(new ProcessStartInfo("bash", [_script, "stop", _directory!]) { UseShellExecute = false });
            if (stop is not null)
            {
                await stop.WaitForExitAsync();
            }

            Directory.Delete(_directory!, recursive: true);
        }
    }
}
