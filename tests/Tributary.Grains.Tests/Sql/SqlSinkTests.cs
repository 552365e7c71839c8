using System.Globalization;
using System.Net;
using System.Text;
using Confluent.Kafka;
using MySqlConnector;
using Orleans.TestingHost;
using Tributary.Enrich;
using Tributary.Grains.Sql;
using Tributary.MySqlLoad.Tests;
using Tributary.SqlIngest;
using Tributary.TestKit;
using Tributary.TestKit.Cluster;

namespace Tributary.Grains.Tests.Sql;

/// <summary>
/// The SQL sink end to end: Kafka (mock cluster) through <see cref="SqlIngestGrain"/> into a real MariaDB table,
/// exactly once across silo kills and database outages, with dead letters and start-up checks.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class SqlSinkTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(180);
    private const string PinsPasswordEnv = "TRIBUTARY_SQL_SINK_TEST_PINS_PASSWORD";
    private static readonly string[] Actions = ["view", "click", "save", "hide", "impression"];

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Ingest_100kEnrichedEventsOver16Partitions_LandExactlyOnceEnrichedAsIndependentLookup()
    {
        const int Events = 100_000;
        var data = EnrichedEvents.Create(Events, pins: 2_000, seed: 20261207);
        await using var env = await SqlEnvironment.StartAsync(partitions: 16, silos: 1, prepare: async db =>
        {
            await PinCategoryTable.CreateAndSeedAsync(db.ConnectionString, data.SeededPins);
            return EnrichSettings(db);
        });
        env.Produce(data.Events.Select(e => (e.PinId.ToString(CultureInfo.InvariantCulture), e.Json)));

        // Filtered events leave no row, so "done" is the offsets table: every partition committed up to its end.
        await Eventually.HoldsAsync(() => env.Db.ScalarAsync("SELECT COALESCE(SUM(next_offset), 0) FROM tributary_sql_offsets"), n => n == Events, Deadline, "every event committed");
        await env.FlushAsync();

        var kept = data.Events.Where(e => e.Action != EnrichedEvents.FilteredAction).ToDictionary(e => e.UserId);
        Assert.Equal(kept.Count, await env.Db.ScalarAsync("SELECT COUNT(*) FROM pin_events"));
        Assert.Equal(kept.Count, await env.Db.ScalarAsync("SELECT COUNT(DISTINCT kafka_partition, kafka_offset) FROM pin_events"));
        Assert.Equal(16, await env.Db.ScalarAsync("SELECT COUNT(DISTINCT kafka_partition) FROM pin_events"));
        Assert.Equal(Events, await env.Db.ScalarAsync("SELECT SUM(next_offset) FROM tributary_sql_offsets"));
        var statuses = await env.StatusesAsync();
        Assert.Equal(Events - kept.Count, statuses.Sum(s => s.Filtered.GetValueOrDefault("impressions")));
        Assert.Equal(0, statuses.Sum(s => s.Malformed + s.Rejected));

        // The references: a scan of DB-IP's CSV written in the test, and the dimension table as the database has it.
        var geo = DbIpCsvScan.Countries(data.Events.Where(e => e.IpIsAddress).Select(e => e.Ip!), EnrichedEvents.DbIpFolder);
        var categories = (await env.Db.QueryAsync("SELECT pin_id, category FROM pins")).ToDictionary(r => Convert.ToInt64(r[0], CultureInfo.InvariantCulture), r => (string)r[1]!);
        var rows = await env.Db.QueryAsync("SELECT user_id, pin_id, action, geo_country, pin_category FROM pin_events");
        var wrong = new List<string>();
        foreach (var row in rows)
        {
            var user = (long)row[0]!;
            if (!kept.Remove(user, out var e))
            {
                wrong.Add($"user {user}: a row for an event that was filtered out or written twice");
                continue;
            }

            var country = e.IpIsAddress ? geo[e.Ip!] : DbIpCsvScan.Unknown;
            var category = categories.GetValueOrDefault(e.PinId, "unknown");
            if ((long)row[1]! != e.PinId || (string)row[2]! != e.Action || (string?)row[3] != country || (string?)row[4] != category)
            {
                wrong.Add($"user {user} ip '{e.Ip}' pin {e.PinId}: row ({row[1]}, {row[2]}, {row[3]}, {row[4]}), expected ({e.PinId}, {e.Action}, {country}, {category})");
            }
        }

        Assert.True(wrong.Count == 0, $"{wrong.Count} rows differ from the independent lookup, e.g.\n{string.Join('\n', wrong.Take(10))}");
        Assert.Empty(kept);

        // The data really exercised the lookups: many countries, unknown addresses and pins missing from the table.
        Assert.True(await env.Db.ScalarAsync("SELECT COUNT(DISTINCT geo_country) FROM pin_events") > 150);
        Assert.True(await env.Db.ScalarAsync("SELECT COUNT(*) FROM pin_events WHERE geo_country = 'unknown'") > 5_000);
        Assert.True(await env.Db.ScalarAsync("SELECT COUNT(*) FROM pin_events WHERE pin_category = 'unknown'") > 5_000);
        Assert.True(data.SeededPins.Count < data.DistinctPins);
    }

    [Fact]
    public async Task Deadlock_WithAnAnalystsTransaction_SinkRetriesAndTableHoldsEveryEventOnce()
    {
        await using var env = await SqlEnvironment.StartAsync(partitions: 2, silos: 1);
        var ct = TestContext.Current.CancellationToken;
        await env.Db.ExecuteAsync("CREATE TABLE heavy (id INT PRIMARY KEY)");
        await using var other = await env.Db.OpenAsync();
        await using var otherTx = await other.BeginTransactionAsync(ct);
        // The other transaction is made the heavier one, so InnoDB picks the sink's as the deadlock victim; it holds row
        // (0, 7), which the sink's first batch of partition 0 inserts after locking its offsets row.
        await ExecuteAsync(other, otherTx, "INSERT INTO heavy SELECT seq FROM seq_1_to_5000");
        await ExecuteAsync(other, otherTx, "INSERT INTO pin_events (kafka_partition, kafka_offset, pin_id) VALUES (0, 7, 1)");

        env.Produce(0, 2_000);
        await Eventually.HoldsAsync(
            () => env.Db.AdminScalarAsync("SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'"),
            n => n > 0, Deadline, "the sink waiting for the other transaction's row");
        // Now the other transaction asks for the sink's offsets row: a lock cycle, which InnoDB breaks by rolling the sink back.
        await ExecuteAsync(other, otherTx, $"SELECT next_offset FROM tributary_sql_offsets WHERE sink = 'sql' AND topic = '{env.Topic}' AND kafka_partition = 0 FOR UPDATE");
        await otherTx.RollbackAsync(ct);

        await env.WaitForRowsAsync(2_000);
        await env.FlushAsync();
        Assert.Equal(2_000, await env.Db.ScalarAsync("SELECT COUNT(*) FROM pin_events"));
        Assert.Equal(2_000, await env.Db.ScalarAsync("SELECT COUNT(DISTINCT kafka_partition, kafka_offset) FROM pin_events"));
        Assert.Equal(2_000, await env.Db.ScalarAsync("SELECT SUM(next_offset) FROM tributary_sql_offsets"));
        Assert.True((await env.StatusesAsync()).Sum(s => s.Retries) >= 1, "the deadlocked transaction was retried");
    }

    private static async Task ExecuteAsync(MySqlConnection connection, MySqlTransaction transaction, string sql)
    {
        await using var command = new MySqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Ingest_MalformedAndTooLong_DeadLetteredWithReasonOthersWritten()
    {
        await using var env = await SqlEnvironment.StartAsync(partitions: 2, silos: 1);
        env.Produce(0, 500);
        env.ProduceRaw("not json at all");
        env.ProduceRaw(Event(1_000_000, 7, new string('x', 40)));
        env.ProduceRaw("""{"ts":"2026-12-07T10:00:00.000Z","pin_id":"seven","user_id":1,"action":"view","device":"ios"}""");

        await env.WaitForRowsAsync(500);
        var reasons = env.ReadDeadLetters(3);
        await env.FlushAsync();

        Assert.Equal(500, await env.Db.ScalarAsync("SELECT COUNT(*) FROM pin_events"));
        Assert.Equal(3, reasons.Count);
        Assert.Contains(reasons, r => r.Contains("invalid JSON", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("column 'action': value is too long", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("column 'pin_id': expected an integer", StringComparison.Ordinal));
        var statuses = await env.StatusesAsync();
        Assert.Equal(1, statuses.Sum(s => s.Malformed));
        Assert.Equal(2, statuses.Sum(s => s.Rejected));
        Assert.Equal(503, await env.Db.ScalarAsync("SELECT SUM(next_offset) FROM tributary_sql_offsets"));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task SiloKilledMidStream_TableHoldsEveryEventOnce()
    {
        await using var env = await SqlEnvironment.StartAsync(partitions: 8, silos: 2);
        env.Produce(0, 20_000);
        await env.WaitForRowsAsync(5_000, exact: false);

        await env.Cluster.KillSiloAsync(env.Cluster.SecondarySilos[0], TestContext.Current.CancellationToken);
        env.Produce(20_000, 10_000);
        await env.WaitForRowsAsync(30_000);
        await env.FlushAsync();

        Assert.Equal(30_000, await env.Db.ScalarAsync("SELECT COUNT(*) FROM pin_events"));
        Assert.Equal(30_000, await env.Db.ScalarAsync("SELECT COUNT(DISTINCT user_id) FROM pin_events"));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task DatabaseOutageMidStream_PartitionsPauseAndResume_NothingLostOrTwice()
    {
        await using var env = await SqlEnvironment.StartAsync(partitions: 4, silos: 1, relay: true);
        env.Produce(0, 10_000);
        await env.WaitForRowsAsync(2_000, exact: false);

        env.Relay!.Stop();
        MySqlConnection.ClearAllPools();
        env.Produce(10_000, 10_000);
        // While the database is away the sink cannot commit; the stream backs off and redelivers.
        var down = await Eventually.HoldsAsync(env.StatusesAsync, s => s.Any(x => x.Failures > 0), Deadline, "a partition failing to commit while the database is down");
        Assert.Contains(down, s => s.LastError?.Contains("database unavailable", StringComparison.Ordinal) == true);
        Assert.True(await env.Db.ScalarAsync("SELECT COUNT(*) FROM pin_events") < 20_000);
        env.Relay.Start();

        await env.WaitForRowsAsync(20_000);
        await env.FlushAsync();
        Assert.Equal(20_000, await env.Db.ScalarAsync("SELECT COUNT(*) FROM pin_events"));
        Assert.Equal(20_000, await env.Db.ScalarAsync("SELECT COUNT(DISTINCT user_id) FROM pin_events"));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task MariaDbKilledAndRestartedMidStream_PartitionsResume_NothingLostOrTwice()
    {
        // A server of the test's own: the real mariadbd is killed (no clean shutdown) and started again on its data.
        await using var server = await DedicatedMariaDb.StartNewAsync();
        await using var db = await TestDatabase.CreateAsync(server.ConnectionString);
        await using var env = await SqlEnvironment.StartAsync(partitions: 4, silos: 1, database: db);

        // 1. Down before any partition committed (no offsets row yet): the redelivery after the outage may start past
        //    the first records, and a partition must still start at the first offset it was ever delivered.
        await server.KillAsync();
        env.Produce(0, 5_000);
        await Eventually.HoldsAsync(env.StatusesAsync, s => s.Count(x => x.Failures > 0) == env.Partitions, Deadline, "every partition failing to commit while mariadbd is down");
        await server.StartAsync();
        await env.WaitForRowsAsync(5_000);

        // 2. Down mid-stream, after commits: the killed server's last transactions are rolled back by crash recovery.
        env.Produce(5_000, 10_000);
        await env.WaitForRowsAsync(7_000, exact: false);
        var failures = (await env.StatusesAsync()).Sum(s => s.Failures);
        var killed = server.ProcessId;
        await server.KillAsync();
        env.Produce(15_000, 5_000);
        var down = await Eventually.HoldsAsync(env.StatusesAsync, s => s.Sum(x => x.Failures) > failures, Deadline, "a partition failing to commit while mariadbd is down");
        Assert.Contains(down, s => s.LastError?.Contains("database unavailable", StringComparison.Ordinal) == true);
        await server.StartAsync();
        Assert.NotEqual(killed, server.ProcessId);

        await env.WaitForRowsAsync(20_000);
        await env.FlushAsync();
        Assert.Equal(20_000, await env.Db.ScalarAsync("SELECT COUNT(*) FROM pin_events"));
        Assert.Equal(20_000, await env.Db.ScalarAsync("SELECT COUNT(DISTINCT kafka_partition, kafka_offset) FROM pin_events"));
        Assert.Equal(20_000, await env.Db.ScalarAsync("SELECT COUNT(DISTINCT user_id) FROM pin_events"));
        Assert.Equal(20_000, await env.Db.ScalarAsync("SELECT SUM(next_offset) FROM tributary_sql_offsets"));
    }

    [Fact]
    public async Task DatabaseKilledBeforeFirstCommit_AcknowledgedRecordsReplayed_NothingLost()
    {
        // The first deliveries are routed and acknowledged but not committed (fewer than BatchRecords, no tick for
        // 30 s) when mariadbd dies. After it, the stream's redeliveries start past those records: each partition must
        // still resume at the first offset it was ever delivered (recorded at its first load) and replay them.
        await using var server = await DedicatedMariaDb.StartNewAsync();
        await using var db = await TestDatabase.CreateAsync(server.ConnectionString);
        await using var env = await SqlEnvironment.StartAsync(partitions: 4, silos: 1, database: db, extra: new Dictionary<string, string?> { ["Tributary:SqlSink:PersistInterval"] = "00:00:30" });
        env.Produce(0, 100);
        await Eventually.HoldsAsync(env.StatusesAsync, s => s.All(x => x.NextOffset > 0), Deadline, "every partition routed its first records");
        Assert.Equal(0, await env.Db.ScalarAsync("SELECT COUNT(*) FROM pin_events"));
        Assert.Equal(0, await env.Db.ScalarAsync("SELECT COALESCE(SUM(next_offset), 0) FROM tributary_sql_offsets"));

        await server.KillAsync();
        env.Produce(100, 10_000);
        await Eventually.HoldsAsync(env.StatusesAsync, s => s.Any(x => x.Failures > 0), Deadline, "a partition failing to commit while mariadbd is down");
        await server.StartAsync();

        // A flush commits what is pending (and, after a failure, reloads and replays first): poll with it.
        await Eventually.HoldsAsync(
            async () =>
            {
                try
                {
                    await env.FlushAsync();
                }
                catch (InvalidOperationException)
                {
                    // a partition still reconnecting; the next round flushes it
                }

                return await env.Db.ScalarAsync("SELECT COUNT(*) FROM pin_events");
            },
            n => n >= 10_100,
            Deadline,
            "10,100 rows in the table");
        Assert.Equal(10_100, await env.Db.ScalarAsync("SELECT COUNT(*) FROM pin_events"));
        Assert.Equal(10_100, await env.Db.ScalarAsync("SELECT COUNT(DISTINCT user_id) FROM pin_events"));
        Assert.Equal(10_100, await env.Db.ScalarAsync("SELECT SUM(next_offset) FROM tributary_sql_offsets"));
    }

    [Fact]
    public async Task Upsert_ReplayedPartition_KeepsLatestPerKey()
    {
        await using var env = await SqlEnvironment.StartAsync(partitions: 2, silos: 1, upsert: true);
        // 2,000 events over 100 pins: the latest event per pin (the largest user_id, produced last) wins.
        env.Produce(0, 2_000, pins: 100);

        await Eventually.HoldsAsync(() => env.Db.ScalarAsync("SELECT COALESCE(SUM(next_offset), 0) FROM tributary_sql_offsets"), n => n == 2_000, Deadline, "every event committed");
        await env.FlushAsync();

        var rows = await env.Db.QueryAsync("SELECT pin_id, user_id FROM pin_events ORDER BY pin_id");
        Assert.Equal(100, rows.Count);
        Assert.All(rows, r => Assert.Equal(1_900 + (long)r[0]!, (long)r[1]!));
    }

    [Fact]
    public async Task Enrich_FilterAndMapEnricher_FilteredCountedPerRuleAndOutputColumnWritten()
    {
        await using var env = await SqlEnvironment.StartAsync(partitions: 2, silos: 1, extra: new Dictionary<string, string?>
        {
            ["Tributary:SqlSink:Enrich"] = "true",
            ["Tributary:Enrich:Filter:Rules:0:Name"] = "impressions",
            ["Tributary:Enrich:Filter:Rules:0:Op"] = "equals",
            ["Tributary:Enrich:Filter:Rules:0:Field"] = "action",
            ["Tributary:Enrich:Filter:Rules:0:Value"] = "impression",
            ["Tributary:Enrich:Enrichers:0:Kind"] = "map",
            ["Tributary:Enrich:Enrichers:0:Field"] = "device",
            ["Tributary:Enrich:Enrichers:0:Column"] = "platform",
            ["Tributary:Enrich:Enrichers:0:Map:ios"] = "mobile",
            ["Tributary:Enrich:Enrichers:0:Default"] = "desktop",
        });
        // Every fifth event is an impression (Actions cycles by user id).
        env.Produce(0, 1_000);
        env.ProduceRaw("[1,2,3]");

        await Eventually.HoldsAsync(() => env.Db.ScalarAsync("SELECT COALESCE(SUM(next_offset), 0) FROM tributary_sql_offsets"), n => n == 1_001, Deadline, "every event committed");
        await env.FlushAsync();

        Assert.Equal(800, await env.Db.ScalarAsync("SELECT COUNT(*) FROM pin_events"));
        Assert.Equal(0, await env.Db.ScalarAsync("SELECT COUNT(*) FROM pin_events WHERE action = 'impression'"));
        Assert.Equal(800, await env.Db.ScalarAsync("SELECT COUNT(*) FROM pin_events WHERE platform = 'mobile'"));
        var statuses = await env.StatusesAsync();
        Assert.Equal(200, statuses.Sum(s => s.Filtered.GetValueOrDefault("impressions")));
        Assert.Equal(1, statuses.Sum(s => s.Malformed));
        Assert.Contains(env.ReadDeadLetters(1), r => r.Contains("not a JSON object", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_BadFilterExpression_FailsNamingEnrichKey()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => SqlEnvironment.StartAsync(partitions: 1, silos: 1, extra: new Dictionary<string, string?>
        {
            ["Tributary:SqlSink:Enrich"] = "true",
            ["Tributary:Enrich:Filter:Rules:0:Name"] = "bots",
            ["Tributary:Enrich:Filter:Rules:0:Op"] = "regex",
            ["Tributary:Enrich:Filter:Rules:0:Field"] = "user_agent",
            ["Tributary:Enrich:Filter:Rules:0:Pattern"] = "(unclosed",
        }));

        Assert.Contains("Tributary:Enrich:Filter:Rules:0", Flatten(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_UnreachableDatabase_FailsNamingConnectionString()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => SqlEnvironment.StartAsync(partitions: 1, silos: 1, connectionString: $"Server=127.0.0.1;Port={FreePort.Next()};User ID=x;Password=y;Connection Timeout=2"));

        Assert.Contains("Tributary:SqlSink:ConnectionString", Flatten(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_UnsupportedColumnType_FailsNamingColumnKey()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => SqlEnvironment.StartAsync(partitions: 1, silos: 1, extra: new Dictionary<string, string?> { ["Tributary:SqlSink:Columns:2:Type"] = "GEOMETRY" }));

        Assert.Contains("Tributary:SqlSink:Columns:2:Type", Flatten(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ExistingTableMismatch_FailsNamingColumn()
    {
        await using var db = await TestDatabase.CreateAsync();
        await db.ExecuteAsync("CREATE TABLE pin_events (kafka_partition INT NOT NULL, kafka_offset BIGINT NOT NULL, event_time DATETIME(3), pin_id BIGINT NOT NULL, user_id BIGINT, action VARCHAR(16), device INT, PRIMARY KEY (kafka_partition, kafka_offset))");

        var error = await Assert.ThrowsAnyAsync<Exception>(() => SqlEnvironment.StartAsync(partitions: 1, silos: 1, connectionString: db.ConnectionString));

        Assert.Contains("Tributary:SqlSink:Columns", Flatten(error), StringComparison.Ordinal);
        Assert.Contains("column 'device' is int(11), configured as VARCHAR(16)", Flatten(error), StringComparison.Ordinal);
    }

    /// <summary>The filter (drop impressions) and the geo and pin-category enrichers over <paramref name="db"/>'s <c>pins</c> table.</summary>
    private static Dictionary<string, string?> EnrichSettings(TestDatabase db)
    {
        var connection = new MySqlConnectionStringBuilder(db.ConnectionString);
        // configuration carries no password: the enricher reads it from the variable PasswordEnv names
        Environment.SetEnvironmentVariable(PinsPasswordEnv, connection.Password);
        connection.Password = null;
        return new Dictionary<string, string?>
        {
            ["Tributary:SqlSink:Enrich"] = "true",
            ["Tributary:Enrich:Filter:Rules:0:Name"] = "impressions",
            ["Tributary:Enrich:Filter:Rules:0:Op"] = "equals",
            ["Tributary:Enrich:Filter:Rules:0:Field"] = "action",
            ["Tributary:Enrich:Filter:Rules:0:Value"] = EnrichedEvents.FilteredAction,
            ["Tributary:Enrich:Enrichers:0:Kind"] = "geo",
            ["Tributary:Enrich:Enrichers:1:Kind"] = "pinCategory",
            ["Tributary:Enrich:Enrichers:1:ConnectionString"] = connection.ConnectionString,
            ["Tributary:Enrich:Enrichers:1:PasswordEnv"] = PinsPasswordEnv,
        };
    }

    private static string Flatten(Exception error)
    {
        var text = new StringBuilder();
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            text.AppendLine(e.Message);
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    text.AppendLine(Flatten(inner));
                }
            }
        }

        return text.ToString();
    }

    internal static string Event(long user, long pin, string? action = null)
        => string.Create(CultureInfo.InvariantCulture, $$"""{"ts":"2026-12-07T10:{{(user / 60) % 60:D2}}:{{user % 60:D2}}.000Z","pin_id":{{pin}},"user_id":{{user}},"action":"{{action ?? Actions[user % Actions.Length]}}","device":"ios"}""");

    private sealed class SqlEnvironment : IAsyncDisposable
    {
        private readonly TestDatabase? _ownedDb;

        private SqlEnvironment(TestCluster cluster, TestDatabase db, TestDatabase? ownedDb, string topic, string deadLetters, int partitions, TcpRelay? relay)
        {
            Cluster = cluster;
            Db = db;
            _ownedDb = ownedDb;
            Topic = topic;
            DeadLetterTopic = deadLetters;
            Partitions = partitions;
            Relay = relay;
        }

        public TestCluster Cluster { get; }

        public TestDatabase Db { get; }

        public string Topic { get; }

        public string DeadLetterTopic { get; }

        public int Partitions { get; }

        public TcpRelay? Relay { get; }

        // database: one the test owns (on a server of its own); null: a new one on the shared server, dropped on dispose.
        // prepare: runs on the database before the silos start (e.g. seeds a dimension table) and returns more settings.
        public static async Task<SqlEnvironment> StartAsync(int partitions, short silos, bool upsert = false, bool relay = false, string? connectionString = null, IDictionary<string, string?>? extra = null,
            TestDatabase? database = null, Func<TestDatabase, Task<Dictionary<string, string?>>>? prepare = null)
        {
            var owned = database is null ? await TestDatabase.CreateAsync() : null;
            var db = database ?? owned!;
            TcpRelay? tcp = null;
            var connection = connectionString ?? db.ConnectionString;
            if (relay)
            {
                var builder = new MySqlConnectionStringBuilder(db.ConnectionString);
                tcp = new TcpRelay(new IPEndPoint(IPAddress.Parse(builder.Server), (int)builder.Port));
                tcp.Start();
                builder.Port = (uint)tcp.Port;
                builder.ConnectionTimeout = 3;
                connection = builder.ConnectionString;
            }

            var topic = KafkaTestCluster.CreateTopic("sql", partitions);
            var deadLetters = KafkaTestCluster.CreateTopic("sql-dl", 1);
            var settings = new Dictionary<string, string?>
            {
                ["Tributary:SqlSink:Enabled"] = "true",
                ["Tributary:SqlSink:ConnectionString"] = connection,
                ["Tributary:SqlSink:DeadLetterTopic"] = deadLetters,
                ["Tributary:SqlSink:BatchRecords"] = "2000",
                ["Tributary:SqlSink:PersistInterval"] = "00:00:00.200",
                ["Tributary:SqlSink:Columns:0:Name"] = "event_time",
                ["Tributary:SqlSink:Columns:0:Type"] = "DATETIME(3)",
                ["Tributary:SqlSink:Columns:0:Source"] = "ts",
                ["Tributary:SqlSink:Columns:1:Name"] = "pin_id",
                ["Tributary:SqlSink:Columns:1:Type"] = "BIGINT",
                ["Tributary:SqlSink:Columns:1:Nullable"] = "false",
                ["Tributary:SqlSink:Columns:2:Name"] = "user_id",
                ["Tributary:SqlSink:Columns:2:Type"] = "BIGINT",
                ["Tributary:SqlSink:Columns:3:Name"] = "action",
                ["Tributary:SqlSink:Columns:3:Type"] = "VARCHAR(16)",
                ["Tributary:SqlSink:Columns:4:Name"] = "device",
                ["Tributary:SqlSink:Columns:4:Type"] = "VARCHAR(16)",
            };
            if (upsert)
            {
                settings["Tributary:SqlSink:Mode"] = "Upsert";
                settings["Tributary:SqlSink:Key:0"] = "pin_id";
            }

            try
            {
                var prepared = prepare is null ? null : await prepare(db);
                var cluster = await new TributaryClusterBuilder(silos, TributaryClusterBuilder.NewId('q'))
                    .WithStream("sql", topic, SqlIngestGrain.StreamNamespace, batchSize: 2000)
                    .With(settings)
                    .With(extra)
                    .With(prepared)
                    .DeployAsync();
                return new SqlEnvironment(cluster, db, owned, topic, deadLetters, partitions, tcp);
            }
            catch
            {
                tcp?.Dispose();
                if (owned is not null)
                {
                    await owned.DisposeAsync();
                }

                throw;
            }
        }

        public void Produce(int first, int count, int pins = 0)
        {
            using var producer = KafkaTestCluster.CreateProducer();
            for (var i = first; i < first + count; i++)
            {
                var pin = pins > 0 ? i % pins : i;
                producer.Produce(Topic, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(pin.ToString(CultureInfo.InvariantCulture)), Value = Encoding.UTF8.GetBytes(Event(i, pin)) });
                if (i % 10_000 == 0)
                {
                    producer.Poll(TimeSpan.Zero);
                }
            }

            producer.Flush(TimeSpan.FromSeconds(60));
        }

        /// <summary>Produces the given (key, JSON) pairs in order.</summary>
        public void Produce(IEnumerable<(string Key, string Value)> events)
        {
            using var producer = KafkaTestCluster.CreateProducer();
            var n = 0;
            foreach (var (key, value) in events)
            {
                producer.Produce(Topic, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(key), Value = Encoding.UTF8.GetBytes(value) });
                if (++n % 10_000 == 0)
                {
                    producer.Poll(TimeSpan.Zero);
                }
            }

            producer.Flush(TimeSpan.FromSeconds(60));
        }

        public void ProduceRaw(string value)
        {
            using var producer = KafkaTestCluster.CreateProducer();
            producer.Produce(Topic, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes("raw"), Value = Encoding.UTF8.GetBytes(value) });
            producer.Flush(TimeSpan.FromSeconds(30));
        }

        public Task<long> WaitForRowsAsync(long rows, bool exact = true) => Eventually.HoldsAsync(
            async () =>
            {
                try
                {
                    return await Db.ScalarAsync("SELECT COUNT(*) FROM pin_events");
                }
                catch (MySqlException)
                {
                    return -1;
                }
            },
            n => exact ? n >= rows : n >= rows,
            Deadline,
            $"{rows} rows in the table");

        public async Task<SqlIngestStatus[]> StatusesAsync() => await Task.WhenAll(Enumerable.Range(0, Partitions)
            .Select(p => Cluster.Client.GetGrain<ISqlIngestGrain>(TopicPartitionKey.Format(Topic, p)).GetStatusAsync().AsTask()));

        public async Task FlushAsync() => await Task.WhenAll(Enumerable.Range(0, Partitions)
            .Select(p => Cluster.Client.GetGrain<ISqlIngestGrain>(TopicPartitionKey.Format(Topic, p)).FlushAsync().AsTask()));

        public List<string> ReadDeadLetters(int count) => DeadLetterReader.ReadReasons(KafkaTestCluster.BootstrapServers, DeadLetterTopic, count, Deadline);

        public async ValueTask DisposeAsync()
        {
            try
            {
                await Cluster.StopAllSilosAsync();
            }
            finally
            {
                await Cluster.DisposeAsync();
                Relay?.Dispose();
                if (_ownedDb is not null)
                {
                    await _ownedDb.DisposeAsync();
                }
            }
        }
    }
}
