using System.Globalization;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Tributary.Kafka.DevBroker;
using Tributary.Sql.Protocol;
using Tributary.TestKit;

namespace Tributary.Silo.Tests;

/// <summary>
/// The SQL features planned through filtered aggregators, cardinality, expression virtual columns and sqlTimeZone,
/// over live data: a silo ingests generated events from Kafka, each feature is posted to <c>/druid/v2/sql</c> and its
/// hand-written equivalent native query to <c>/druid/v2</c>, and the answers are equal.
/// </summary>
[Collection(nameof(SiloHostTests))]
public sealed class DruidSqlFeatureEndpointTests : IDisposable
{
    private static readonly string[] Devices = ["ios", "android", "web", "ipad"];
    private static readonly string[] Actions = ["view", "click", "save", "share"];
    private readonly string _store = Path.Combine(Path.GetTempPath(), $"sql-features-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_store))
        {
            Directory.Delete(_store, recursive: true);
        }
    }

    [Fact]
    public async Task SqlFeatures_OverLiveData_EqualTheirNativeQueries()
    {
        var http = FreePort.Next();
        var overrides = SiloTestSettings.Embedded(http, Path.Combine(_store, "segments"));
        overrides["Tributary:Archive:Store:LocalPath"] = Path.Combine(_store, "archive");
        await using var app = TributarySiloHost.Build(["--profile", "embedded"], c => c.AddInMemoryCollection(overrides));
        var ct = TestContext.Current.CancellationToken;
        await app.StartAsync(ct);
        try
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var hour = now / 3_600_000 * 3_600_000;
            var start = hour - (2 * 3_600_000);
            var end = hour + 3_600_000;
            var events = Events(now);
            Produce(app.Services.GetRequiredService<MockKafkaCluster>().BootstrapServers, events);
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}") };
            var interval = $"\"intervals\":[\"{Iso(start)}/{Iso(end)}\"]";
            await Eventually.HoldsAsync(
                () => CountAsync(client, interval),
                n => n == events.Count,
                TimeSpan.FromSeconds(90), $"{events.Count} events queryable");

            var where = $"__time >= TIMESTAMP '{Sql(start)}' AND __time < TIMESTAMP '{Sql(end)}'";
            var failures = new List<string>();
            foreach (var (sql, native, fields, context) in Features(where, interval, start, end))
            {
                var sqlBody = JsonSerializer.Serialize(new { query = sql, resultFormat = "array", context = context ?? new Dictionary<string, string>() });
                var sqlRows = await RowsAsync(client, "/druid/v2/sql", sqlBody, ct);
                var nativeRows = (await PostAsync(client, "/druid/v2", native, ct)) is { } body
                    ? NativeResultRows.Read(body).Select(r => fields.Split(',').Select(f => f == "__time" && r.Timestamp is { } t && !r.Fields.ContainsKey(f) ? (double)t.ToUnixTimeMilliseconds() : Value(r.Field(f))).ToArray()).ToList()
                    : [];
                var ordered = sql.Contains("ORDER BY", StringComparison.Ordinal);
                if (Compare(nativeRows, sqlRows, ordered) is { } problem)
                {
                    failures.Add($"{sql}\n  {problem}");
                }

                // EXPLAIN PLAN FOR gives a native query that the broker runs to the same answer
                var explain = await RowsAsync(client, "/druid/v2/sql", JsonSerializer.Serialize(new { query = "EXPLAIN PLAN FOR " + sql, resultFormat = "array", context = context ?? new Dictionary<string, string>() }), ct);
                using var plan = JsonDocument.Parse((string)explain[0][0]!);
                using var rerun = await client.PostAsync("/druid/v2", new StringContent(plan.RootElement[0].GetProperty("query").GetRawText(), Encoding.UTF8, "application/json"), ct);
                if (!rerun.IsSuccessStatusCode)
                {
                    failures.Add($"EXPLAIN PLAN FOR {sql}: its native query answered {(int)rerun.StatusCode} {await rerun.Content.ReadAsStringAsync(ct)}");
                }
            }

            Assert.True(failures.Count == 0, string.Join("\n", failures));
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }
    }

    private static IEnumerable<(string Sql, string Native, string Fields, Dictionary<string, string>? Context)> Features(string where, string interval, long start, long end)
    {
        const string ds = "\"queryType\":\"{0}\",\"dataSource\":\"pin_engagement\"";
        // rest is the query's remaining members without their first quote
        string Q(string type, string rest) => "{" + string.Format(CultureInfo.InvariantCulture, ds, type) + "," + interval + ",\"" + rest + "}";

        // FILTER (WHERE ...) on aggregates
        yield return (
            $"SELECT SUM(\"count\") FILTER (WHERE device = 'ios') AS ios, COUNT(*) FILTER (WHERE action IN ('click', 'save')) AS cs, SUM(\"count\") AS n FROM pin_engagement WHERE {where}",
            Q("timeseries", """granularity":"all","aggregations":[{"type":"filtered","filter":{"type":"selector","dimension":"device","value":"ios"},"aggregator":{"type":"longSum","name":"ios","fieldName":"count"}},{"type":"filtered","filter":{"type":"in","dimension":"action","values":["click","save"]},"aggregator":{"type":"count","name":"cs"}},{"type":"longSum","name":"n","fieldName":"count"}]"""),
            "ios,cs,n",
            null);

        // COUNT(col): non-null values
        yield return (
            $"SELECT device, COUNT(app_version) AS c, COUNT(*) FILTER (WHERE app_version IS NULL) AS missing FROM pin_engagement WHERE {where} GROUP BY 1",
            Q("groupBy", """granularity":"all","dimensions":["device"],"aggregations":[{"type":"filtered","filter":{"type":"not","field":{"type":"selector","dimension":"app_version","value":null}},"aggregator":{"type":"count","name":"c"}},{"type":"filtered","filter":{"type":"selector","dimension":"app_version","value":null},"aggregator":{"type":"count","name":"missing"}}]"""),
            "device,c,missing",
            null);

        // SUM/MAX/AVG of expressions
        yield return (
            $"SELECT action, SUM(\"count\" * 2) AS s, MAX(CHAR_LENGTH(pin_id)) AS m, AVG(CAST(\"count\" AS DOUBLE)) AS a FROM pin_engagement WHERE {where} GROUP BY 1",
            Q("groupBy", """granularity":"all","virtualColumns":[{"type":"expression","name":"x2","expression":"\"count\" * 2","outputType":"LONG"},{"type":"expression","name":"len","expression":"strlen(pin_id)","outputType":"LONG"}],"dimensions":["action"],"aggregations":[{"type":"longSum","name":"s","fieldName":"x2"},{"type":"longMax","name":"m","fieldName":"len"},{"type":"doubleMean","name":"a","fieldName":"count"}]"""),
            "action,s,m,a",
            null);

        // COUNT(DISTINCT dim) as cardinality, APPROX_COUNT_DISTINCT of the hyperUnique metric
        yield return (
            $"SELECT COUNT(DISTINCT device) AS d, APPROX_COUNT_DISTINCT(pin_id) AS p, APPROX_COUNT_DISTINCT(unique_users) AS u FROM pin_engagement WHERE {where}",
            Q("timeseries", """granularity":"all","aggregations":[{"type":"cardinality","name":"d","fields":["device"],"round":true},{"type":"cardinality","name":"p","fields":["pin_id"],"round":true},{"type":"hyperUnique","name":"u","fieldName":"unique_users","round":true}]"""),
            "d,p,u",
            null);

        // CASE grouped
        yield return (
            $"SELECT CASE WHEN device IN ('ios', 'ipad') THEN 'apple' ELSE 'other' END AS fam, SUM(\"count\") AS n FROM pin_engagement WHERE {where} GROUP BY 1",
            Q("groupBy", """granularity":"all","virtualColumns":[{"type":"expression","name":"fam","expression":"if(device == 'ios' || device == 'ipad', 'apple', 'other')","outputType":"STRING"}],"dimensions":["fam"],"aggregations":[{"type":"longSum","name":"n","fieldName":"count"}]"""),
            "fam,n",
            null);

        // UPPER, SUBSTRING, LOWER in WHERE (native: extraction functions)
        yield return (
            $"SELECT UPPER(device) AS d, SUBSTRING(pin_id, 1, 4) AS p, COUNT(*) AS n FROM pin_engagement WHERE {where} AND LOWER(action) = 'click' GROUP BY 1, 2",
            Q("groupBy", """granularity":"all","filter":{"type":"selector","dimension":"action","value":"click","extractionFn":{"type":"lower"}},"dimensions":[{"type":"extraction","dimension":"device","outputName":"d","extractionFn":{"type":"upper"}},{"type":"extraction","dimension":"pin_id","outputName":"p","extractionFn":{"type":"substring","index":0,"length":4}}],"aggregations":[{"type":"count","name":"n"}]"""),
            "d,p,n",
            null);

        // CONCAT, || and CAST
        yield return (
            $"SELECT CONCAT(device, ':', action) AS k, device || '/' || CAST(CHAR_LENGTH(action) AS VARCHAR) AS l, COUNT(*) AS n FROM pin_engagement WHERE {where} GROUP BY 1, 2",
            Q("groupBy", """granularity":"all","virtualColumns":[{"type":"expression","name":"k","expression":"concat(device, ':', action)","outputType":"STRING"},{"type":"expression","name":"l","expression":"concat(device, '/', cast(strlen(action), 'STRING'))","outputType":"STRING"}],"dimensions":["k","l"],"aggregations":[{"type":"count","name":"n"}]"""),
            "k,l,n",
            null);

        // TIME_FORMAT grouped and ordered
        yield return (
            $"SELECT TIME_FORMAT(__time, 'HH:mm') AS m, SUM(\"count\") AS n FROM pin_engagement WHERE {where} GROUP BY 1 ORDER BY 1 LIMIT 20",
            Q("groupBy", """granularity":"all","dimensions":[{"type":"extraction","dimension":"__time","outputName":"m","extractionFn":{"type":"timeFormat","format":"HH:mm","timeZone":"UTC"}}],"aggregations":[{"type":"longSum","name":"n","fieldName":"count"}],"limitSpec":{"type":"default","columns":[{"dimension":"m","direction":"ascending"}],"limit":20}"""),
            "m,n",
            null);

        // TIME_FLOOR with a period and a time zone
        yield return (
            $"SELECT TIME_FLOOR(__time, 'PT1H', NULL, 'Asia/Kolkata') AS t, SUM(\"count\") AS n FROM pin_engagement WHERE {where} GROUP BY 1",
            Q("timeseries", """granularity":{"type":"period","period":"PT1H","timeZone":"Asia/Kolkata"},"aggregations":[{"type":"longSum","name":"n","fieldName":"count"}],"context":{"skipEmptyBuckets":true}"""),
            "__time,n",
            null);

        // sqlTimeZone: TIMESTAMP literals are Kolkata wall-clock times, FLOOR(__time TO HOUR) floors in Kolkata
        var kolkata = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata");
        string Local(long ms) => TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(ms), kolkata).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        yield return (
            $"SELECT FLOOR(__time TO HOUR) AS h, COUNT(*) AS n FROM pin_engagement WHERE __time >= TIMESTAMP '{Local(start)}' AND __time < TIMESTAMP '{Local(end)}' GROUP BY 1",
            Q("timeseries", """granularity":{"type":"period","period":"PT1H","timeZone":"Asia/Kolkata"},"aggregations":[{"type":"count","name":"n"}],"context":{"skipEmptyBuckets":true}"""),
            "__time,n",
            new Dictionary<string, string> { ["sqlTimeZone"] = "Asia/Kolkata" });

        // WHERE on expressions, TIME_PARSE bounds
        yield return (
            $"SELECT COUNT(*) AS n FROM pin_engagement WHERE __time >= TIME_PARSE('{Iso(start)}') AND __time < MILLIS_TO_TIMESTAMP({end}) AND CHAR_LENGTH(action) > 4 AND TIME_FORMAT(__time, 'mm') < '30'",
            Q("timeseries", """granularity":"all","virtualColumns":[{"type":"expression","name":"len","expression":"strlen(action)","outputType":"LONG"},{"type":"expression","name":"mm","expression":"timestamp_format(__time, 'mm')","outputType":"STRING"}],"filter":{"type":"and","fields":[{"type":"bound","dimension":"len","lower":"4","lowerStrict":true,"ordering":"numeric"},{"type":"bound","dimension":"mm","upper":"30","upperStrict":true}]},"aggregations":[{"type":"count","name":"n"}]"""),
            "n",
            null);

        // a scan of expressions ordered by time
        yield return (
            $"SELECT __time, UPPER(action) AS a, TIMESTAMP_TO_MILLIS(__time) + 1 AS ms FROM pin_engagement WHERE {where} AND device = 'web' ORDER BY __time LIMIT 15",
            Q("scan", """filter":{"type":"selector","dimension":"device","value":"web"},"virtualColumns":[{"type":"expression","name":"a","expression":"upper(action)","outputType":"STRING"},{"type":"expression","name":"ms","expression":"__time + 1","outputType":"LONG"}],"columns":["__time","a","ms"],"resultFormat":"compactedList","order":"ascending","limit":15"""),
            "__time,a,ms",
            null);
    }

    private static string? Compare(List<object?[]> expected, List<object?[]> actual, bool ordered)
    {
        static string Show(IEnumerable<object?[]> rows) => string.Join("; ", rows.Take(12).Select(r => string.Join(",", r.Select(v => v?.ToString() ?? "null"))));
        if (expected.Count != actual.Count)
        {
            return $"{actual.Count} SQL rows, {expected.Count} native rows\n  sql:    {Show(actual)}\n  native: {Show(expected)}";
        }

        static string Key(object?[] r) => string.Join("|", r.Select(v => v is double d ? Math.Round(d, 6).ToString(CultureInfo.InvariantCulture) : v?.ToString() ?? "null"));
        var e = ordered ? expected : expected.OrderBy(Key, StringComparer.Ordinal).ToList();
        var a = ordered ? actual : actual.OrderBy(Key, StringComparer.Ordinal).ToList();
        for (var i = 0; i < e.Count; i++)
        {
            if (e[i].Length != a[i].Length || !e[i].Zip(a[i]).All(p => Same(p.First, p.Second)))
            {
                return $"row {i}: sql ({string.Join(",", a[i])}), native ({string.Join(",", e[i])})\n  sql:    {Show(a)}\n  native: {Show(e)}";
            }
        }

        return expected.Count == 0 ? "no rows at all" : null;
    }

    private static bool Same(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (double x, double y) => Math.Abs(x - y) <= 1e-9 * Math.Max(1, Math.Abs(x)),
        _ => Equals(a, b),
    };

    // numbers as doubles, ISO times as epoch milliseconds, so SQL's and native's spellings compare
    private static object? Value(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Number => v.GetDouble(),
        JsonValueKind.String when v.GetString() is { Length: >= 19 } s && s[4] == '-' && s[10] == 'T'
            && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) => (double)t.ToUnixTimeMilliseconds(),
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => v.GetRawText(),
    };

    private static async Task<List<object?[]>> RowsAsync(HttpClient client, string path, string body, CancellationToken ct)
    {
        var root = await PostAsync(client, path, body, ct);
        return root.EnumerateArray().Select(r => r.EnumerateArray().Select(Value).ToArray()).ToList();
    }

    private static async Task<JsonElement> PostAsync(HttpClient client, string path, string body, CancellationToken ct)
    {
        using var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"), ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.IsSuccessStatusCode, $"{path} answered {(int)response.StatusCode} {text}\nfor {body}");
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    private static string Iso(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static string Sql(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private sealed record Event(long Time, string Pin, string User, string Device, string Action, string? Version);

    private static List<Event> Events(long now)
    {
        var random = new Random(20261207);
        var events = new List<Event>();
        for (var i = 0; i < 2000; i++)
        {
            // the last 100 minutes: inside the late window, none in the future
            var time = now - random.Next(60_000, 6_000_000);
            events.Add(new Event(time, (100_000 + random.Next(3_000)).ToString(CultureInfo.InvariantCulture), "u" + random.Next(600),
                Devices[random.Next(Devices.Length)], Actions[random.Next(Actions.Length)], random.Next(5) == 0 ? null : "1." + random.Next(3)));
        }

        return events;
    }

    private static void Produce(string bootstrap, List<Event> events)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = bootstrap }).Build();
        foreach (var e in events)
        {
            var ts = DateTimeOffset.FromUnixTimeMilliseconds(e.Time).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
            var version = e.Version is null ? string.Empty : $",\"app_version\":\"{e.Version}\"";
            var json = $$"""{"ts":"{{ts}}","pin_id":"{{e.Pin}}","user_id":"{{e.User}}","action":"{{e.Action}}","device":"{{e.Device}}"{{version}}}""";
            producer.Produce("pin_engagement", new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(e.Pin), Value = Encoding.UTF8.GetBytes(json) });
        }

        producer.Flush(TimeSpan.FromSeconds(30));
    }

    private static async Task<long> CountAsync(HttpClient client, string interval)
    {
        var query = "{\"queryType\":\"timeseries\",\"dataSource\":\"pin_engagement\"," + interval + ",\"granularity\":\"all\",\"aggregations\":[{\"type\":\"longSum\",\"name\":\"n\",\"fieldName\":\"count\"}]}";
        using var response = await client.PostAsync("/druid/v2", new StringContent(query, Encoding.UTF8, "application/json"));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetArrayLength() == 0 ? 0 : body.RootElement[0].GetProperty("result").GetProperty("n").GetInt64();
    }
}
