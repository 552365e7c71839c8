using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Tributary.Kafka;
using Tributary.Segments;
using Tributary.Sql;
using Tributary.TestKit;

namespace Tributary.Silo.Tests;

/// <summary>
/// INFORMATION_SCHEMA and <c>sys.segments</c> through <c>POST /druid/v2/sql</c> of an embedded silo holding open and
/// sealed segments, checked against the datasource catalog's timeline and the native datasource metadata; constant
/// selects; bad queries over system tables.
/// </summary>
[Collection(nameof(SiloHostTests))]
public sealed class DruidSqlSystemTablesTests : IDisposable
{
    private const long Hour = 3_600_000L;
    private const string Datasource = "pin_engagement";
    private readonly string _store = Path.Combine(Path.GetTempPath(), "tributary-sqlmeta-" + Guid.NewGuid().ToString("N")[..8]);

    private static readonly string[] BadSql =
    [
        "SELECT nope FROM sys.segments",
        "SELECT COUNT(*) FROM sys.servers",
        "SELECT COUNT(*) FROM INFORMATION_SCHEMA.VIEWS",
        "SELECT segment_id FROM sys.segments WHERE FOO(segment_id) = 1",
        "SELECT TIME_FLOOR(CURRENT_TIMESTAMP, 'PT1H') FROM sys.segments",
        "SELECT SUM(segment_id) FROM sys.segments",
        "SELECT datasource, COUNT(*) FROM sys.segments",
        "SELECT segment_id FROM sys.segments WHERE num_rows LIKE 5",
        "SELECT num_rows / 0 FROM sys.segments",
        "EXPLAIN PLAN FOR SELECT * FROM sys.segments",
        "SELECT DATE_TRUNC('day', CURRENT_TIMESTAMP)",
    ];

    public void Dispose()
    {
        if (Directory.Exists(_store))
        {
            Directory.Delete(_store, recursive: true);
        }
    }

    [Fact]
    public async Task SystemTables_OverHttp_MatchTheTimelineAndTheDatasource()
    {
        var http = FreePort.Next();
        var overrides = SiloTestSettings.Embedded(http, _store);
        await using var app = TributarySiloHost.Build(["--profile", "embedded"], c => c.AddInMemoryCollection(overrides));
        var ct = TestContext.Current.CancellationToken;
        await app.StartAsync(ct);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}") };
            var grains = app.Services.GetRequiredService<IClusterClient>();

            // three segments: two of the previous hour (one sealed), one of this hour (open)
            var hour = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / Hour * Hour;
            var pins = Enumerable.Range(0, 400).Select(i => (100_000 + i).ToString(CultureInfo.InvariantCulture)).ToList();
            var p = Murmur2Partitioner.Partition(pins[0], 16);
            var q = Murmur2Partitioner.Partition(pins.First(x => Murmur2Partitioner.Partition(x, 16) != p), 16);
            await AppendAsync(grains, hour - Hour, p, pins.Where(x => Murmur2Partitioner.Partition(x, 16) == p).Take(6).ToList());
            await AppendAsync(grains, hour - Hour, q, pins.Where(x => Murmur2Partitioner.Partition(x, 16) == q).Take(4).ToList());
            await AppendAsync(grains, hour, p, pins.Where(x => Murmur2Partitioner.Partition(x, 16) == p).Take(3).ToList());
            await grains.GetGrain<ISegmentGrain>(SegmentKey.Format(Datasource, hour - Hour, p)).SealAsync();
            var timeline = await grains.GetGrain<IDatasourceCatalogGrain>(Datasource).GetTimelineAsync();
            Assert.Equal(3, timeline.Segments.Length);
            Assert.Single(timeline.Segments, s => s.State == SegmentState.Sealed);

            // sys.segments: one row per timeline entry, in start order, the state mapped
            using (var doc = await QueryAsync(client, "SELECT * FROM sys.segments WHERE datasource = 'pin_engagement' ORDER BY start, partition_num", ct))
            {
                var rows = doc.RootElement.EnumerateArray().ToList();
                var expected = timeline.Segments.OrderBy(s => s.StartMs).ThenBy(s => s.Partition).ToList();
                Assert.Equal(expected.Count, rows.Count);
                foreach (var (row, entry) in rows.Zip(expected))
                {
                    var open = entry.State == SegmentState.Open;
                    Assert.Equal(SqlSystemTables.SegmentId(Datasource, entry.StartMs, entry.EndMs, entry.Partition), row.GetProperty("segment_id").GetString());
                    Assert.Equal(Datasource, row.GetProperty("datasource").GetString());
                    Assert.Equal(entry.StartMs, DateTimeOffset.Parse(row.GetProperty("start").GetString()!, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds());
                    Assert.Equal(entry.EndMs, DateTimeOffset.Parse(row.GetProperty("end").GetString()!, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds());
                    Assert.Equal(entry.Partition, row.GetProperty("partition_num").GetInt64());
                    Assert.Equal(entry.RowCount, row.GetProperty("num_rows").GetInt64());
                    Assert.Equal(open ? 0 : entry.SizeBytes, row.GetProperty("size").GetInt64());
                    Assert.Equal(open ? 0 : 1, row.GetProperty("is_published").GetInt64());
                    Assert.Equal(open ? 1 : 0, row.GetProperty("is_realtime").GetInt64());
                    Assert.Equal(1, row.GetProperty("is_available").GetInt64());
                    Assert.Equal(1, row.GetProperty("is_active").GetInt64());
                    Assert.Equal(0, row.GetProperty("is_overshadowed").GetInt64());
                    using var shard = JsonDocument.Parse(row.GetProperty("shard_spec").GetString()!);
                    Assert.Equal(entry.Partition, shard.RootElement.GetProperty("partitionNum").GetInt32());
                    Assert.Equal("pin_id", shard.RootElement.GetProperty("partitionDimensions")[0].GetString());
                    Assert.Contains("\"action\"", row.GetProperty("dimensions").GetString(), StringComparison.Ordinal);
                }

                var sealedEntry = expected.Single(s => s.State == SegmentState.Sealed);
                Assert.Equal(6, sealedEntry.RowCount);
                Assert.True(sealedEntry.SizeBytes > 0);
            }

            // the sealed segment's rows are what the native count over its partition says
            using (var doc = await QueryAsync(client, "SELECT is_realtime, COUNT(*) AS n, SUM(num_rows) AS r FROM sys.segments WHERE datasource = 'pin_engagement' GROUP BY 1 ORDER BY 1", ct))
            {
                var rows = doc.RootElement.EnumerateArray().Select(r => (r.GetProperty("is_realtime").GetInt64(), r.GetProperty("n").GetInt64(), r.GetProperty("r").GetInt64())).ToList();
                Assert.Equal(
                    timeline.Segments.GroupBy(s => s.State == SegmentState.Open ? 1L : 0L).OrderBy(g => g.Key).Select(g => (g.Key, (long)g.Count(), g.Sum(s => s.RowCount))),
                    rows);
            }

            // INFORMATION_SCHEMA.TABLES: Superset's table list is the native datasource list
            var datasources = JsonSerializer.Deserialize<string[]>(await client.GetStringAsync("/druid/v2/datasources", ct))!;
            using (var doc = await QueryAsync(client, "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'druid'", ct))
            {
                Assert.Equal(datasources.Order(StringComparer.Ordinal), doc.RootElement.EnumerateArray().Select(r => r.GetProperty("TABLE_NAME").GetString()));
            }

            using (var doc = await QueryAsync(client, "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA <> 'druid'", ct))
            {
                Assert.Equal(
                    ["INFORMATION_SCHEMA.SCHEMATA SYSTEM_TABLE", "INFORMATION_SCHEMA.TABLES SYSTEM_TABLE", "INFORMATION_SCHEMA.COLUMNS SYSTEM_TABLE", "sys.segments SYSTEM_TABLE"],
                    doc.RootElement.EnumerateArray().Select(r => $"{r.GetProperty("TABLE_SCHEMA").GetString()}.{r.GetProperty("TABLE_NAME").GetString()} {r.GetProperty("TABLE_TYPE").GetString()}"));
            }

            // INFORMATION_SCHEMA.COLUMNS: Superset's column query, against the native dimensions and metrics
            using (var native = JsonDocument.Parse(await client.GetStringAsync($"/druid/v2/datasources/{Datasource}", ct)))
            using (var doc = await QueryAsync(client, "SELECT COLUMN_NAME, DATA_TYPE, IS_NULLABLE FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME = 'pin_engagement' AND TABLE_SCHEMA='druid'", ct))
            {
                var columns = doc.RootElement.EnumerateArray().Select(r => (Name: r.GetProperty("COLUMN_NAME").GetString()!, Type: r.GetProperty("DATA_TYPE").GetString()!, Nullable: r.GetProperty("IS_NULLABLE").GetString()!)).ToList();
                Assert.Equal(("__time", "TIMESTAMP", "NO"), columns[0]);
                var dimensions = native.RootElement.GetProperty("dimensions").EnumerateArray().Select(d => d.GetString()!).ToList();
                var metrics = native.RootElement.GetProperty("metrics").EnumerateArray().Select(d => d.GetString()!).ToList();
                Assert.Equal(dimensions.Concat(metrics).Order(StringComparer.Ordinal), columns.Skip(1).Select(c => c.Name).Order(StringComparer.Ordinal));
                Assert.All(columns.Where(c => dimensions.Contains(c.Name)), c => Assert.Equal(("VARCHAR", "YES"), (c.Type, c.Nullable)));
                Assert.Equal(("BIGINT", "NO"), columns.Where(c => c.Name == "count").Select(c => (c.Type, c.Nullable)).Single());
                Assert.Equal("COMPLEX<hyperUnique>", columns.Single(c => c.Name == "unique_users").Type);
            }

            // result formats and header rows work as for datasources
            using (var r = await client.PostAsync("/druid/v2/sql", Json("""{"query":"SELECT SCHEMA_NAME, 1 AS one FROM INFORMATION_SCHEMA.SCHEMATA ORDER BY 1 LIMIT 1","resultFormat":"csv","header":true,"typesHeader":true,"sqlTypesHeader":true}"""), ct))
            {
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
                Assert.Equal("yes", r.Headers.GetValues("X-Druid-SQL-Header-Included").Single());
                Assert.Equal("SCHEMA_NAME,one\nSTRING,LONG\nVARCHAR,BIGINT\nINFORMATION_SCHEMA,1\n\n", (await r.Content.ReadAsStringAsync(ct)).Replace("\r\n", "\n", StringComparison.Ordinal));
            }

            // Superset's connection test and other selects without FROM: one row
            using (var doc = await QueryAsync(client, "SELECT 1", ct))
            {
                Assert.Equal(1, doc.RootElement[0].GetProperty("EXPR$0").GetInt64());
            }

            using (var doc = await QueryAsync(client, "SELECT 1 + 1 AS two, 'a' AS x, CURRENT_TIMESTAMP AS now", ct))
            {
                var row = Assert.Single(doc.RootElement.EnumerateArray());
                Assert.Equal(2, row.GetProperty("two").GetInt64());
                Assert.Equal("a", row.GetProperty("x").GetString());
                Assert.True(DateTimeOffset.TryParse(row.GetProperty("now").GetString(), CultureInfo.InvariantCulture, out _));
            }

            // bad input over system tables: a 400 naming the column, table or function
            foreach (var bad in BadSql)
            {
                using var r = await client.PostAsync("/druid/v2/sql", Json(JsonSerializer.Serialize(new { query = bad })), ct);
                var text = await r.Content.ReadAsStringAsync(ct);
                Assert.True(r.StatusCode == HttpStatusCode.BadRequest, $"{bad} -> {(int)r.StatusCode} {text}");
                Assert.False(string.IsNullOrWhiteSpace(JsonDocument.Parse(text).RootElement.GetProperty("errorMessage").GetString()), text);
            }

            Assert.Contains("nope", await ErrorMessage(client, BadSql[0], ct), StringComparison.Ordinal);
            Assert.Contains("servers", await ErrorMessage(client, BadSql[1], ct), StringComparison.Ordinal);
            Assert.Contains("FOO", await ErrorMessage(client, BadSql[3], ct), StringComparison.Ordinal);
            Assert.Contains("Function TIME_FLOOR is not supported over sys.segments", await ErrorMessage(client, BadSql[4], ct), StringComparison.Ordinal);
            Assert.Contains("SUM", await ErrorMessage(client, BadSql[5], ct), StringComparison.Ordinal);
            Assert.Contains("Expression 'datasource' is not being grouped", await ErrorMessage(client, BadSql[6], ct), StringComparison.Ordinal);
            Assert.Contains("Division by zero", await ErrorMessage(client, BadSql[8], ct), StringComparison.Ordinal);

            Assert.Equal("true", await client.GetStringAsync("/status/health", ct));
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }
    }

    private static async Task AppendAsync(IClusterClient grains, long hourStart, int partition, List<string> pins)
    {
        // one event per pin, spread over the hour; the key of a segment holds only pins of its partition
        var events = pins.Select((pin, i) =>
        {
            var ts = DateTimeOffset.FromUnixTimeMilliseconds(hourStart + 1000 + (i * 60_000L)).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
            return Encoding.UTF8.GetBytes($$"""{"ts":"{{ts}}","pin_id":"{{pin}}","user_id":"u{{i}}","action":"view","device":"ios","app_version":"1.0"}""");
        }).ToArray();
        var result = await grains.GetGrain<ISegmentGrain>(SegmentKey.Format(Datasource, hourStart, partition)).AppendAsync(new SegmentAppendBatch
        {
            Offsets = [.. Enumerable.Range(0, events.Length).Select(i => (long)i)],
            Events = events,
        });
        Assert.Equal(events.Length, result.Appended);
    }

    private static async Task<JsonDocument> QueryAsync(HttpClient client, string sql, CancellationToken ct)
    {
        using var r = await client.PostAsync("/druid/v2/sql", Json(JsonSerializer.Serialize(new { query = sql })), ct);
        var text = await r.Content.ReadAsStringAsync(ct);
        Assert.True(r.StatusCode == HttpStatusCode.OK, $"{sql} -> {(int)r.StatusCode} {text}");
        return JsonDocument.Parse(text);
    }

    private static async Task<string> ErrorMessage(HttpClient client, string sql, CancellationToken ct)
    {
        using var r = await client.PostAsync("/druid/v2/sql", Json(JsonSerializer.Serialize(new { query = sql })), ct);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync(ct));
        return doc.RootElement.GetProperty("errorMessage").GetString()!;
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
