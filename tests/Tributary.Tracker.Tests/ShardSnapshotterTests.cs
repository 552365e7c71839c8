using System.Globalization;
using System.Numerics;
using MySqlConnector;
using Parquet.Data;
using static Tributary.Tracker.Tests.SnapshotTestKit;

namespace Tributary.Tracker.Tests;

[Collection(nameof(MariaDbCollection))]
public sealed class ShardSnapshotterTests
{
    private static readonly MariaDbServers Servers = MariaDbServers.Instance;

    [Fact]
    public async Task RunAsync_EveryMySqlType_RoundTripsValueByValue()
    {
        var db = NewDatabase("types");
        const string json = """{"k": [1, 2, {"x": "✓"}], "n": null}""";
        await Servers.ExecutePrimaryAsync($"""
            SET SESSION sql_mode = '';
            CREATE DATABASE `{db}`;
            CREATE TABLE `{db}`.alltypes (
              id INT NOT NULL PRIMARY KEY,
              ti TINYINT, tu TINYINT UNSIGNED, tb TINYINT(1), si SMALLINT, su SMALLINT UNSIGNED,
              mi MEDIUMINT, mu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED,
              d10 DECIMAL(10,2), d28 DECIMAL(28,10), d38 DECIMAL(38,6), d65 DECIMAL(65,30),
              f FLOAT, dbl DOUBLE,
              dt DATE, dtm DATETIME(6), dt0 DATETIME, ts TIMESTAMP(6) NULL, tm TIME(6), yr YEAR,
              c CHAR(10), vc VARCHAR(100), tx TEXT, ltx LONGTEXT,
              bn BINARY(16), vb VARBINARY(64), bl BLOB, lbl LONGBLOB,
              b1 BIT(1), b64 BIT(64),
              en ENUM('small','medium','large'), st SET('a','b','c'),
              js JSON,
              g GEOMETRY, pt POINT, pg POLYGON,
              nn_dt DATETIME NOT NULL
            ) CHARACTER SET utf8mb4;
            INSERT INTO `{db}`.alltypes VALUES
            (1, -128, 255, 1, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295, -9223372036854775808, 18446744073709551615,
             -12345678.91, 123456789012345678.0123456789, -12345678901234567890123456789012.123456,
             12345678901234567890123456789012345.123456789012345678901234567891,
             3.4028234e38, -1.7976931348623157e308,
             '1000-01-01', '9999-12-31 23:59:59.999999', '1970-01-01 00:00:01', '2038-01-19 03:14:07.499999', '-838:59:59.000000', 1901,
             'fixed', 'héllo wörld 🚀', 'text ✓', REPEAT('long ', 1000),
             UNHEX('00FF00FF00FF00FF00FF00FF00FF00FF'), UNHEX('000102030405'), UNHEX('DEADBEEF00'), REPEAT(UNHEX('00FF'), 5000),
             b'1', b'1111111111111111111111111111111111111111111111111111111111111111',
             'large', 'a,c', '{json}',
             ST_GeomFromText('LINESTRING(0 0, 1 1, 2 3)'), ST_GeomFromText('POINT(1.5 -2.25)'), ST_GeomFromText('POLYGON((0 0, 4 0, 4 4, 0 4, 0 0))'),
             '2020-02-29 12:00:00'),
            (2, 127, 0, 0, 32767, 0, 8388607, 0, 2147483647, 0, 9223372036854775807, 0,
             0.01, -0.0000000001, 0.000001, -0.000000000000000000000000000001,
             -1.5, 2.5e-300,
             '0000-00-00', '0000-00-00 00:00:00', '2024-00-15 10:00:00', '0000-00-00 00:00:00', '838:59:59.999999', 2155,
             '', '', '', '',
             UNHEX('00000000000000000000000000000000'), UNHEX(''), UNHEX(''), UNHEX(''),
             b'0', b'0',
             'small', '', '[]',
             ST_GeomFromText('POINT(0 0)'), ST_GeomFromText('POINT(0 0)'), ST_GeomFromText('POLYGON((0 0, 1 0, 1 1, 0 0))'),
             '0000-00-00 00:00:00'),
            (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             '2001-01-01 00:00:00');
            """);
        await Servers.WaitForReplicasAsync();
        var store = NewStore();

        var result = await Snapshotter(Servers.Options(db), store).RunAsync(Date, null, TestContext.Current.CancellationToken);

        Assert.Equal(3, result.Rows);
        var parquet = await ReadTableAsync(store, db, "alltypes");
        var schema = await SchemaDiscovery.DiscoverTableAsync(await Servers.OpenAsync(Servers.Replica, Servers.AdminUser), db, "alltypes", TestContext.Current.CancellationToken);
        var select = string.Join(", ", schema.Columns.Select(c => c.Kind == ColumnKind.Spatial ? $"ST_AsBinary(`{c.Name}`)" : $"`{c.Name}`"));
        await using var connection = await Servers.OpenAsync(Servers.Replica, Servers.AdminUser);
        await using (var tz = new MySqlCommand("SET time_zone = '+00:00'", connection))
        {
            await tz.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        await using var command = new MySqlCommand($"SELECT {select} FROM `{db}`.alltypes ORDER BY id", connection);

        // Prepared, so FLOAT comes back as stored: the text protocol rounds it to 6 digits (3.40282e38).
        await command.PrepareAsync(TestContext.Current.CancellationToken);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var row = 0;
        var compared = 0;
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            var actual = parquet[row++];
            for (var i = 0; i < schema.Columns.Count; i++)
            {
                var column = schema.Columns[i];
                var where = $"row {row} column {column.Name} ({column.ColumnType})";
                actual.TryGetValue(column.Name, out var value);
                if (reader.IsDBNull(i))
                {
                    Assert.True(value is null, $"{where}: expected null, got {value}");
                    compared++;
                    continue;
                }

                switch (column.Kind)
                {
                    case ColumnKind.DecimalText:
                        Assert.Equal(reader.GetMySqlDecimal(i).ToString(), Assert.IsType<string>(value));
                        break;
                    case ColumnKind.Decimal or ColumnKind.BigDecimal:
                        Assert.Equal(reader.GetMySqlDecimal(i).ToString(), Format(Assert.IsType<BigDecimal>(value)));
                        break;
                    case ColumnKind.Date or ColumnKind.DateTime or ColumnKind.Timestamp:
                        var expected = reader.GetMySqlDateTime(i);
                        actual.TryGetValue(column.Name + "__raw", out var raw);
                        if (expected.IsValidDateTime)
                        {
                            Assert.Equal(expected.GetDateTime().Ticks, Assert.IsType<DateTime>(value).Ticks);
                            Assert.Null(raw);
                        }
                        else
                        {
                            Assert.Null(value);
                            Assert.StartsWith($"{expected.Year:D4}-{expected.Month:D2}-{expected.Day:D2}", (string)raw!, StringComparison.Ordinal);
                        }

                        break;
                    case ColumnKind.Time:
                        Assert.Equal(reader.GetTimeSpan(i).Ticks / 10, Assert.IsType<long>(value));
                        break;
                    case ColumnKind.Bytes or ColumnKind.Spatial:
                        Assert.Equal((byte[])reader.GetValue(i), Assert.IsType<byte[]>(value));
                        break;
                    case ColumnKind.Float:
                        Assert.Equal(reader.GetFloat(i), Assert.IsType<float>(value));
                        break;
                    case ColumnKind.Double:
                        Assert.Equal(reader.GetDouble(i), Assert.IsType<double>(value));
                        break;
                    default:
                        Assert.Equal(Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture), Convert.ToString(value, CultureInfo.InvariantCulture));
                        break;
                }

                compared++;
            }
        }

        Assert.Equal(3, row);
        Assert.Equal(3 * schema.Columns.Count, compared);

        // The mapping is what the README promises: unsigned stays unsigned, JSON is recognised, WKB has no SRID prefix.
        var byName = schema.Columns.ToDictionary(c => c.Name);
        Assert.Equal(ColumnKind.UInt64, byName["bu"].Kind);
        Assert.Equal(ColumnKind.Int8, byName["tb"].Kind);
        Assert.Equal(ColumnKind.Json, byName["js"].Kind);
        Assert.Equal(ColumnKind.BigDecimal, byName["d38"].Kind);
        Assert.Equal(ColumnKind.DecimalText, byName["d65"].Kind);
        Assert.Equal("12345678901234567890123456789012345.123456789012345678901234567891", parquet[0]["d65"]);
        Assert.Equal(18446744073709551615UL, Assert.IsType<ulong>(parquet[0]["bu"]));
        Assert.Equal(float.MaxValue, Assert.IsType<float>(parquet[0]["f"]));
        var wkb = Assert.IsType<byte[]>(parquet[0]["pt"]);
        Assert.Equal(21, wkb.Length);
        Assert.Equal(1, wkb[0]);
        Assert.Equal(new byte[] { 0xDE, 0xAD, 0xBE, 0xEF, 0x00 }, Assert.IsType<byte[]>(parquet[0]["bl"]));
        Assert.Equal("0000-00-00 00:00:00.000000", parquet[1]["nn_dt__raw"]);
    }

    [Fact]
    public async Task RunAsync_IncludeDatabasesEntryMatchingNoDatabase_FailsNamingTheEntry()
    {
        var db = NewDatabase("missing"); // never created: a typo in IncludeDatabases

        var ex = await Assert.ThrowsAsync<SnapshotConfigurationException>(
            () => Snapshotter(Servers.Options(db), NewStore()).RunAsync(Date, null, TestContext.Current.CancellationToken));

        Assert.Equal("Tributary:Tracker:Clusters:test:IncludeDatabases:0", ex.Key);
        Assert.Contains($"'{db}' matches no database", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_ManyChunks_WritesPartsSchemaAndManifest()
    {
        var db = NewDatabase("chunks");
        await CreateNumberedTableAsync(Servers, db, 10_500);
        var store = NewStore();

        var result = await Snapshotter(Servers.Options(db, chunkRows: 1000), store).RunAsync(Date, null, TestContext.Current.CancellationToken);

        Assert.Equal(10_500, result.Rows);
        Assert.Equal(11, result.Chunks);
        var paths = new SnapshotPaths("mysql", "test", 0, Date);
        var manifest = await ReadJsonAsync<TableManifest>(store, paths.Success(db, "t"));
        Assert.Equal(10_500, manifest.Rows);
        Assert.Equal(Enumerable.Range(0, 11), manifest.Chunks.Select(c => c.Chunk));
        Assert.Equal(Servers.Replica.ToString(), manifest.Position.Replica);
        Assert.False(string.IsNullOrEmpty(manifest.Position.GtidSlavePos));
        Assert.Equal($"mysql/test/{db}/t/dt=2026-11-23/shard=0/part-00010.parquet", manifest.Chunks[^1].Key);
        foreach (var chunk in manifest.Chunks)
        {
            await using var part = await store.OpenReadAsync(chunk.Key, TestContext.Current.CancellationToken);
            using var copy = new MemoryStream();
            await part!.CopyToAsync(copy, TestContext.Current.CancellationToken);
            Assert.Equal(chunk.XxHash64, Convert.ToHexStringLower(System.IO.Hashing.XxHash64.Hash(copy.ToArray())));
        }

        var rows = await ReadTableAsync(store, db, "t");
        Assert.Equal(Enumerable.Range(1, 10_500).Select(i => (long)i), rows.Select(r => (long)r["id"]));
        var schema = await ReadJsonAsync<SchemaDocument>(store, paths.Schema(db, "t"));
        Assert.Equal(["id"], schema.PrimaryKey);
    }

    [Fact]
    public async Task RunAsync_CompositeKeyAndNoKeyTables_CoverEveryRowOnce()
    {
        var db = NewDatabase("keys");
        await Servers.ExecutePrimaryAsync($"""
            CREATE DATABASE `{db}`;
            CREATE TABLE `{db}`.composite (a INT NOT NULL, b VARCHAR(10) NOT NULL, v INT, PRIMARY KEY (a, b));
            INSERT INTO `{db}`.composite SELECT seq DIV 7, CONCAT('k', seq MOD 7), seq FROM `{db}`.seq_1_to_2500;
            CREATE TABLE `{db}`.nokey (v INT, s VARCHAR(10));
            INSERT INTO `{db}`.nokey SELECT seq, 'x' FROM `{db}`.seq_1_to_2500;
            """);
        await Servers.WaitForReplicasAsync();
        var store = NewStore();

        var result = await Snapshotter(Servers.Options(db, chunkRows: 300), store).RunAsync(Date, null, TestContext.Current.CancellationToken);

        Assert.Equal(5000, result.Rows);
        var composite = await ReadTableAsync(store, db, "composite");
        Assert.Equal(Enumerable.Range(1, 2500), composite.Select(r => (int)r["v"]).Order());
        Assert.Equal(2500, composite.Select(r => ((int)r["a"], (string)r["b"])).Distinct().Count());
        var nokey = await ReadTableAsync(store, db, "nokey");
        Assert.Equal(Enumerable.Range(1, 2500), nokey.Select(r => (int)r["v"]).Order());
        var manifest = await ReadJsonAsync<TableManifest>(store, new SnapshotPaths("mysql", "test", 0, Date).Success(db, "nokey"));
        Assert.Single(manifest.Chunks);
    }

    [Fact]
    public async Task RunAsync_ReplicaPromotedMidDump_RestartsOnOtherReplica()
    {
        var db = NewDatabase("failover");
        await CreateNumberedTableAsync(Servers, db, 8000);
        var store = NewStore();
        var snapshotter = Snapshotter(Servers.Options(db, chunkRows: 500, connections: 2), store);
        var promoted = 0;
        snapshotter.ChunkCompleted = async (chunk, record, ct) =>
        {
            // The first replica is promoted (read_only off, as a failover tool would) after its second chunk.
            if (record.Key.Contains("/part-", StringComparison.Ordinal) && Interlocked.Increment(ref promoted) == 2)
            {
                await Servers.AdminQueryAsync(Servers.Replica, "SET GLOBAL read_only = 0");
            }
        };

        SnapshotResult result;
        try
        {
            result = await snapshotter.RunAsync(Date, null, TestContext.Current.CancellationToken);
        }
        finally
        {
            await Servers.AdminQueryAsync(Servers.Replica, "SET GLOBAL read_only = 1");
        }

        Assert.Single(result.FailedReplicas);
        Assert.StartsWith(Servers.Replica.ToString(), result.FailedReplicas[0], StringComparison.Ordinal);
        Assert.Equal(Servers.Replica2.ToString(), result.Position.Replica);
        Assert.Equal(0, result.ResumedChunks);
        var manifest = await ReadJsonAsync<TableManifest>(store, new SnapshotPaths("mysql", "test", 0, Date).Success(db, "t"));
        Assert.Equal(Servers.Replica2.ToString(), manifest.Position.Replica);
        var rows = await ReadTableAsync(store, db, "t");
        Assert.Equal(Enumerable.Range(1, 8000).Select(i => (long)i), rows.Select(r => (long)r["id"]));
    }

    [Fact]
    public async Task RunAsync_KilledMidDump_NextRunResumesCompletedChunks()
    {
        var db = NewDatabase("resume");
        await CreateNumberedTableAsync(Servers, db, 6000);
        var options = Servers.Options(db, chunkRows: 500, connections: 2);
        var paths = new SnapshotPaths("mysql", "test", 0, Date);
        // A resume needs the replica at the position the killed run recorded, and the GTID position is the server's: a write
        // by another test on the shared servers between the two runs rightly forces a fresh snapshot. Such an attempt is
        // told apart by the second run's position and run again (a later attempt sees no write); one with the same
        // position must have resumed.
        for (var attempt = 1; ; attempt++)
        {
            var store = NewStore();
            using var kill = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            var first = Snapshotter(options, store);
            var done = 0;
            first.ChunkCompleted = async (_, _, _) =>
            {
                if (Interlocked.Increment(ref done) == 4)
                {
                    await kill.CancelAsync();
                }
            };

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.RunAsync(Date, null, kill.Token));
            Assert.Null(await store.GetInfoAsync(paths.Success(db, "t"), TestContext.Current.CancellationToken));
            var progress = await ReadJsonAsync<SnapshotProgressRecord>(store, paths.Progress);
            Assert.InRange(progress.Completed.Count, 4, 11);

            var second = await Snapshotter(options, store).RunAsync(Date, null, TestContext.Current.CancellationToken);
            var manifest = await ReadJsonAsync<TableManifest>(store, paths.Success(db, "t"));
            if (manifest.Position.GtidSlavePos != progress.Position.GtidSlavePos && attempt < 5)
            {
                continue; // another test wrote between the runs
            }

            Assert.Equal(progress.Position.GtidSlavePos, manifest.Position.GtidSlavePos);
            Assert.Equal(progress.Completed.Count, second.ResumedChunks);
            Assert.Equal(progress.SnapshotId, second.SnapshotId);
            Assert.Equal(12, second.Chunks);
            Assert.Equal(12, manifest.Chunks.Count);
            var rows = await ReadTableAsync(store, db, "t");
            Assert.Equal(Enumerable.Range(1, 6000).Select(i => (long)i), rows.Select(r => (long)r["id"]));
            return;
        }
    }

    [Fact]
    public async Task RunAsync_WritesBetweenRuns_DoesNotResumeAcrossPositions()
    {
        var db = NewDatabase("noresume");
        await CreateNumberedTableAsync(Servers, db, 3000);
        var store = NewStore();
        var options = Servers.Options(db, chunkRows: 500, connections: 1);
        using var kill = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var first = Snapshotter(options, store);
        first.ChunkCompleted = async (_, _, _) => await kill.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.RunAsync(Date, null, kill.Token));
        await Servers.ExecutePrimaryAsync($"UPDATE `{db}`.t SET payload = 'changed' WHERE id = 1");
        await Servers.WaitForReplicasAsync();

        var second = await Snapshotter(options, store).RunAsync(Date, null, TestContext.Current.CancellationToken);

        Assert.Equal(0, second.ResumedChunks);
        var rows = await ReadTableAsync(store, db, "t");
        Assert.Equal("changed", rows[0]["payload"]);
        Assert.Equal(3000, rows.Count);
    }

    [Fact]
    public async Task RunAsync_SchemaChangedBetweenSnapshots_WritesNewSchemaJson()
    {
        var db = NewDatabase("ddl");
        await CreateNumberedTableAsync(Servers, db, 100);
        var store = NewStore();
        var options = Servers.Options(db);
        await Snapshotter(options, store).RunAsync(Date, null, TestContext.Current.CancellationToken);
        await Servers.ExecutePrimaryAsync($"ALTER TABLE `{db}`.t ADD COLUMN note VARBINARY(8) NULL; UPDATE `{db}`.t SET note = UNHEX('0A0B') WHERE id = 7");
        await Servers.WaitForReplicasAsync();
        var next = Date.AddDays(1);

        await Snapshotter(options, store).RunAsync(next, null, TestContext.Current.CancellationToken);

        var before = await ReadJsonAsync<SchemaDocument>(store, new SnapshotPaths("mysql", "test", 0, Date).Schema(db, "t"));
        var after = await ReadJsonAsync<SchemaDocument>(store, new SnapshotPaths("mysql", "test", 0, next).Schema(db, "t"));
        Assert.NotEqual(before.Fingerprint, after.Fingerprint);
        Assert.DoesNotContain(before.Columns, c => c.Name == "note");
        Assert.Contains(after.Columns, c => c.Name == "note" && c.Kind == ColumnKind.Bytes);
        var rows = await ReadTableAsync(store, db, "t", next);
        Assert.Equal(new byte[] { 0x0A, 0x0B }, rows[6]["note"]);
    }

    [Fact]
    public async Task RunAsync_AnySnapshot_NeverQueriesThePrimary()
    {
        var db = NewDatabase("noprimary");
        await CreateNumberedTableAsync(Servers, db, 2000);
        var store = NewStore();
        var marker = $"/* {Guid.NewGuid():N} */";
        await Servers.AdminQueryAsync(Servers.Primary, $"SELECT 1 {marker}");

        await Snapshotter(Servers.Options(db, chunkRows: 500), store).RunAsync(Date, null, TestContext.Current.CancellationToken);

        // Everything the primary logged since the marker, from any session of the snapshot user.
        var logged = await Servers.AdminQueryAsync(Servers.Primary, $"""
            SELECT g.command_type, CONVERT(g.argument USING utf8mb4) FROM mysql.general_log g
            WHERE g.event_time >= (SELECT MAX(event_time) FROM mysql.general_log WHERE argument LIKE '%{marker}%' AND argument NOT LIKE '%general_log%')
              AND g.thread_id IN (SELECT thread_id FROM mysql.general_log WHERE command_type = 'Connect' AND argument LIKE 'tributary_snap@%')
            """);
        var statements = logged.Select(r => $"{r[0]}: {r[1]}").ToList();
        Assert.Contains(statements, s => s.Contains("@@global.read_only", StringComparison.Ordinal));
        Assert.DoesNotContain(statements, s => s.Contains("CONSISTENT SNAPSHOT", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(statements, s => s.Contains(db, StringComparison.Ordinal));
        Assert.DoesNotContain(statements, s => s.Contains("information_schema", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(statements, s => s.Contains("SLAVE SQL_THREAD", StringComparison.OrdinalIgnoreCase));
        Assert.All(statements, s => Assert.Matches("^(Connect: .*|Quit: .*|Query: (SELECT @@global.read_only|SET NAMES .*|SELECT .*@@max_allowed_packet.*|SHOW .*)|Init DB.*)$", s));
    }

    private static string Format(BigDecimal value)
    {
        var digits = BigInteger.Abs(value.UnscaledValue).ToString(CultureInfo.InvariantCulture).PadLeft(value.Scale + 1, '0');
        var text = value.Scale == 0 ? digits : digits[..^value.Scale] + "." + digits[^value.Scale..];
        return value.UnscaledValue.Sign < 0 ? "-" + text : text;
    }
}
