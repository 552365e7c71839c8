using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Tributary.TestKit;

namespace Tributary.Silo.Tests;

/// <summary><c>POST /druid/v2/sql</c> of the embedded silo: answers, result formats, headers, EXPLAIN, bad input.</summary>
[Collection(nameof(SiloHostTests))]
public sealed class DruidSqlEndpointTests
{
    private static readonly string[] BadSql =
    [
        "SELECT FROM pin_engagement",
        "SELEC COUNT(*) FROM pin_engagement",
        "SELECT COUNT(*) FROM pin_engagement WHERE",
        "SELECT COUNT(*) FROM pin_engagement GROUP",
        "SELECT nope FROM pin_engagement",
        "SELECT COUNT(*) FROM pin_engagement WHERE nope = 'x'",
        "SELECT COUNT(*) FROM nope_table",
        "SELECT COUNT(*) FROM druid.nope_table",
        "SELECT FOO(pin_id) FROM pin_engagement",
        "SELECT COUNT(*) FROM pin_engagement a JOIN pin_engagement b ON a.pin_id = b.pin_id",
        "SELECT COUNT(*) FROM pin_engagement UNION SELECT COUNT(*) FROM pin_engagement",
        "SELECT COUNT(*) FROM (SELECT pin_id FROM pin_engagement)",
        "SELECT pin_id, COUNT(*) FROM pin_engagement",
        "SELECT SUM(pin_id) FROM pin_engagement",
        "SELECT COUNT(*) FROM pin_engagement WHERE pin_id LIKE 5",
        "SELECT COUNT(*) FROM pin_engagement WHERE COUNT(*) > 1",
        "SELECT COUNT(*) FROM pin_engagement WHERE pin_id = ?",
        "SELECT 'unterminated FROM pin_engagement",
        "SELECT COUNT(*) FROM pin_engagement LIMIT -1",
        "SELECT COUNT(*) FROM pin_engagement ORDER BY",
        "SELECT COUNT(*), FROM pin_engagement",
        "SELECT COUNT(*) FROM pin_engagement WHERE pin_id IN ()",
        "",
    ];

    private static readonly string[] BadBodies =
    [
        """{"query":"SELECT 1","resultFormat":"xml"}""",
        """{"resultFormat":"array"}""",
        """{"query":"SELECT COUNT(*) FROM pin_engagement WHERE pin_id = ?","parameters":[{"value":"x"}]}""",
        """{"query":"SELECT 1","parameters":"nope"}""",
        """{"query":"SELECT 1","context":{"sqlTimeZone":"Nowhere/Land"}}""",
        """{"query":""",
    ];

    private static readonly string[] BadNative =
    [
        """{"queryType":"timeseries","dataSource":"pin_engagement","intervals":["2026-01-01/2026-01-02"],"granularity":"all","filter":{"type":"nope"},"aggregations":[{"type":"count","name":"n"}]}""",
        """{"queryType":"timeseries","dataSource":"pin_engagement","granularity":"all","aggregations":[{"type":"count","name":"n"}]}""",
        """{"queryType":"topN","dataSource":"pin_engagement","intervals":["2026-01-01/2026-01-02"],"dimension":"action","metric":"n","aggregations":[{"type":"count","name":"n"}]}""",
        """{"queryType":"nope","dataSource":"pin_engagement"}""",
    ];

    [Fact]
    public async Task SqlEndpoint_AnswersFormatsExplainAndBadInput_LikeDruid()
    {
        var http = FreePort.Next();
        var store = Path.Combine(Path.GetTempPath(), "tributary-sql-" + Guid.NewGuid().ToString("N")[..8]);
        var overrides = SiloTestSettings.Embedded(http, store);
        await using var app = TributarySiloHost.Build(["--profile", "embedded"], c => c.AddInMemoryCollection(overrides));
        var ct = TestContext.Current.CancellationToken;
        await app.StartAsync(ct);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}") };

            // COUNT(*) equals the native timeseries count over the same interval
            using var native = await client.PostAsync("/druid/v2", Json("""{"queryType":"timeseries","dataSource":"pin_engagement","intervals":["2026-01-01/2026-01-02"],"granularity":"all","aggregations":[{"type":"count","name":"n"}]}"""), ct);
            using var nativeBody = JsonDocument.Parse(await native.Content.ReadAsStringAsync(ct));
            var nativeCount = nativeBody.RootElement[0].GetProperty("result").GetProperty("n").GetInt64();
            using var sql = await client.PostAsync("/druid/v2/sql", Json("""{"query":"SELECT COUNT(*) AS n FROM pin_engagement WHERE __time >= TIMESTAMP '2026-01-01 00:00:00' AND __time < TIMESTAMP '2026-01-02 00:00:00'","context":{"sqlQueryId":"q-1"}}"""), ct);
            Assert.Equal(HttpStatusCode.OK, sql.StatusCode);
            Assert.Equal("q-1", sql.Headers.GetValues("X-Druid-SQL-Query-Id").Single());
            using (var body = JsonDocument.Parse(await sql.Content.ReadAsStringAsync(ct)))
            {
                Assert.Equal(nativeCount, body.RootElement[0].GetProperty("n").GetInt64());
            }

            // text/plain body, trailing slash, generated query id
            using var plain = await client.PostAsync("/druid/v2/sql/", new StringContent("SELECT 2 AS two", Encoding.UTF8, "text/plain"), ct);
            Assert.True(plain.StatusCode == HttpStatusCode.OK, await plain.Content.ReadAsStringAsync(ct));
            Assert.False(string.IsNullOrEmpty(plain.Headers.GetValues("X-Druid-SQL-Query-Id").Single()));
            Assert.Equal(2, JsonDocument.Parse(await plain.Content.ReadAsStringAsync(ct)).RootElement[0].GetProperty("two").GetInt64());

            // form-encoded body: its query field
            using var form = await client.PostAsync("/druid/v2/sql", new FormUrlEncodedContent([new KeyValuePair<string, string>("query", "SELECT 3 AS three")]), ct);
            Assert.True(form.StatusCode == HttpStatusCode.OK, await form.Content.ReadAsStringAsync(ct));
            Assert.Equal(3, JsonDocument.Parse(await form.Content.ReadAsStringAsync(ct)).RootElement[0].GetProperty("three").GetInt64());

            // every result format with the header rows
            var expected = new Dictionary<string, string>
            {
                ["object"] = """[{"two":"BIGINT"},{"two":2}]""",
                ["array"] = """[["two"],["LONG"],["BIGINT"],[2]]""",
                ["csv"] = "two\nLONG\nBIGINT\n2\n\n",
            };
            foreach (var format in new[] { "object", "array", "objectLines", "arrayLines", "csv" })
            {
                using var r = await client.PostAsync("/druid/v2/sql", Json($$"""{"query":"SELECT 2 AS two","resultFormat":"{{format}}","header":true,"typesHeader":true,"sqlTypesHeader":true}"""), ct);
                Assert.True(r.StatusCode == HttpStatusCode.OK, await r.Content.ReadAsStringAsync(ct));
                Assert.Equal("yes", r.Headers.GetValues("X-Druid-SQL-Header-Included").Single());
                var text = await r.Content.ReadAsStringAsync(ct);
                Assert.Contains("two", text, StringComparison.Ordinal);
                Assert.Contains("BIGINT", text, StringComparison.Ordinal);
                Assert.Contains("2", text, StringComparison.Ordinal);
                if (format == "array" || format == "csv")
                {
                    Assert.Equal(expected[format], text.Replace("\r\n", "\n", StringComparison.Ordinal));
                }
            }

            // EXPLAIN PLAN FOR: Druid's PLAN and RESOURCES columns
            using var explain = await client.PostAsync("/druid/v2/sql", Json("""{"query":"EXPLAIN PLAN FOR SELECT COUNT(*) FROM pin_engagement WHERE pin_id = '7'"}"""), ct);
            Assert.True(explain.StatusCode == HttpStatusCode.OK, await explain.Content.ReadAsStringAsync(ct));
            using (var body = JsonDocument.Parse(await explain.Content.ReadAsStringAsync(ct)))
            {
                var row = body.RootElement[0];
                using var plan = JsonDocument.Parse(row.GetProperty("PLAN").GetString()!);
                Assert.Equal("timeseries", plan.RootElement[0].GetProperty("query").GetProperty("queryType").GetString());
                Assert.Contains("pin_engagement", row.GetProperty("RESOURCES").GetString(), StringComparison.Ordinal);
            }

            // bad input: each a 400 with an error message
            var failures = new List<string>();
            foreach (var bad in BadSql)
            {
                await ExpectBadRequest(client, "/druid/v2/sql", JsonSerializer.Serialize(new { query = bad }), failures, ct);
            }

            foreach (var bad in BadBodies)
            {
                await ExpectBadRequest(client, "/druid/v2/sql", bad, failures, ct);
            }

            foreach (var bad in BadNative)
            {
                await ExpectBadRequest(client, "/druid/v2", bad, failures, ct);
            }

            Assert.True(BadSql.Length + BadBodies.Length + BadNative.Length >= 30);
            Assert.Empty(failures);

            // names: the unknown column, table and function, and the syntax error's position
            Assert.Contains("nope", await ErrorMessage(client, "SELECT nope FROM pin_engagement", ct), StringComparison.Ordinal);
            Assert.Contains("nope_table", await ErrorMessage(client, "SELECT COUNT(*) FROM nope_table", ct), StringComparison.Ordinal);
            Assert.Contains("FOO", await ErrorMessage(client, "SELECT FOO(pin_id) FROM pin_engagement", ct), StringComparison.Ordinal);
            Assert.Contains("column 8", await ErrorMessage(client, "SELECT FROM pin_engagement", ct), StringComparison.Ordinal);
            Assert.Contains("resultFormat", await BodyError(client, BadBodies[0], ct), StringComparison.Ordinal);

            Assert.Equal("true", await client.GetStringAsync("/status/health", ct));
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }
    }

    private static async Task ExpectBadRequest(HttpClient client, string path, string body, List<string> failures, CancellationToken ct)
    {
        using var r = await client.PostAsync(path, Json(body), ct);
        var text = await r.Content.ReadAsStringAsync(ct);
        string? message = null;
        try
        {
            using var doc = JsonDocument.Parse(text);
            message = doc.RootElement.GetProperty("errorMessage").GetString();
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            message = null;
        }

        if (r.StatusCode != HttpStatusCode.BadRequest || string.IsNullOrWhiteSpace(message))
        {
            failures.Add($"{path} {body} -> {(int)r.StatusCode} {text}");
        }
    }

    private static async Task<string> ErrorMessage(HttpClient client, string sql, CancellationToken ct) =>
        await BodyError(client, JsonSerializer.Serialize(new { query = sql }), ct);

    private static async Task<string> BodyError(HttpClient client, string body, CancellationToken ct)
    {
        using var r = await client.PostAsync("/druid/v2/sql", Json(body), ct);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync(ct));
        return doc.RootElement.GetProperty("errorMessage").GetString()!;
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
