using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Tributary.TestKit;

namespace Tributary.Silo.Tests;

/// <summary>The Druid HTTP API of the embedded silo: errors as Druid's JSON with 400, datasources, explain header.</summary>
[Collection(nameof(SiloHostTests))]
public sealed class DruidQueryEndpointsTests
{
    [Fact]
    public async Task DruidApi_BadQueryDatasourcesAndExplain_AnswerLikeDruid()
    {
        var http = FreePort.Next();
        var store = Path.Combine(Path.GetTempPath(), "tributary-http-" + Guid.NewGuid().ToString("N")[..8]);
        var overrides = SiloTestSettings.Embedded(http, store);
        await using var app = TributarySiloHost.Build(["--profile", "embedded"], c => c.AddInMemoryCollection(overrides));
        await app.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}") };
            var ct = TestContext.Current.CancellationToken;

            using var bad = await client.PostAsync("/druid/v2?pretty", Json("""{"queryType":"topN","dataSource":"pin_engagement","intervals":["2026-01-01/2026-01-02"],"dimension":"action","metric":"n","aggregations":[{"type":"count","name":"n"}]}"""), ct);
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            using (var error = JsonDocument.Parse(await bad.Content.ReadAsStringAsync(ct)))
            {
                Assert.Contains("threshold", error.RootElement.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
                Assert.True(error.RootElement.TryGetProperty("errorClass", out _));
            }

            var datasources = await client.GetStringAsync("/druid/v2/datasources", ct);
            Assert.Equal("[\"pin_engagement\"]", datasources);

            using var request = new HttpRequestMessage(HttpMethod.Post, "/druid/v2")
            {
                Content = Json("""{"queryType":"timeseries","dataSource":"pin_engagement","intervals":["2026-01-01/2026-01-02"],"granularity":"all","filter":{"type":"selector","dimension":"pin_id","value":"123"},"aggregations":[{"type":"count","name":"n"}]}"""),
            };
            request.Headers.Add("X-Tributary-Explain", "true");
            using var ok = await client.SendAsync(request, ct);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.True(ok.Headers.Contains("X-Tributary-Explain"));
            using var body = JsonDocument.Parse(await ok.Content.ReadAsStringAsync(ct));
            Assert.Equal(0, body.RootElement.GetProperty("explain").GetProperty("scanned").GetInt32());
            Assert.Equal(JsonValueKind.Array, body.RootElement.GetProperty("result").ValueKind);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task StatusAndDatasourceRoutes_WithAndWithoutTrailingSlash_AnswerLikeDruid()
    {
        var http = FreePort.Next();
        var store = Path.Combine(Path.GetTempPath(), "tributary-http-" + Guid.NewGuid().ToString("N")[..8]);
        var overrides = SiloTestSettings.Embedded(http, store);
        await using var app = TributarySiloHost.Build(["--profile", "embedded"], c => c.AddInMemoryCollection(overrides));
        await app.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}") };
            var ct = TestContext.Current.CancellationToken;

            foreach (var path in new[] { "/status", "/status/" })
            {
                using var status = JsonDocument.Parse(await client.GetStringAsync(path, ct));
                Assert.False(string.IsNullOrEmpty(status.RootElement.GetProperty("version").GetString()));
                Assert.Contains(status.RootElement.GetProperty("modules").EnumerateArray(), m => m.GetProperty("name").GetString() == "Tributary.Query");
                var memory = status.RootElement.GetProperty("memory");
                foreach (var key in new[] { "maxMemory", "totalMemory", "freeMemory", "usedMemory", "directMemory" })
                {
                    Assert.True(memory.GetProperty(key).GetInt64() >= 0, key);
                }

                Assert.True(memory.GetProperty("usedMemory").GetInt64() > 0);
            }

            Assert.Equal("true", await client.GetStringAsync("/status/health", ct));
            Assert.Equal("true", await client.GetStringAsync("/status/health/", ct));
            Assert.Equal("[\"pin_engagement\"]", await client.GetStringAsync("/druid/v2/datasources/", ct));

            const string columns = """{"dimensions":["pin_id","action","device","app_version"],"metrics":["count","unique_users"]}""";
            Assert.Equal(columns, await client.GetStringAsync("/druid/v2/datasources/pin_engagement", ct));
            Assert.Equal(columns, await client.GetStringAsync("/druid/v2/datasources/pin_engagement/", ct));
            Assert.Equal("""["pin_id","action","device","app_version"]""", await client.GetStringAsync("/druid/v2/datasources/pin_engagement/dimensions", ct));
            Assert.Equal("""["count","unique_users"]""", await client.GetStringAsync("/druid/v2/datasources/pin_engagement/metrics/", ct));

            // no segment of the datasource overlaps this interval: Druid reports no columns
            Assert.Equal("""{"dimensions":[],"metrics":[]}""", await client.GetStringAsync("/druid/v2/datasources/pin_engagement?interval=1990-01-01/1990-01-02", ct));

            using var badInterval = await client.GetAsync("/druid/v2/datasources/pin_engagement?interval=yesterday", ct);
            Assert.Equal(HttpStatusCode.BadRequest, badInterval.StatusCode);
            Assert.Contains("interval", await badInterval.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);

            using var unknown = await client.GetAsync("/druid/v2/datasources/nope", ct);
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            using (var error = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync(ct)))
            {
                Assert.Contains("nope", error.RootElement.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
                Assert.True(error.RootElement.TryGetProperty("error", out _));
                Assert.True(error.RootElement.TryGetProperty("errorClass", out _));
            }

            // bad input stays a 400 naming the field, for the new filter and query types too
            foreach (var (query, field) in new[]
            {
                ("""{"queryType":"timeseries","dataSource":"pin_engagement","intervals":["2026-01-01/2026-01-02"],"filter":{"type":"nearby","dimension":"pin_id"},"aggregations":[{"type":"count","name":"n"}]}""", "filter.type"),
                ("""{"queryType":"timeseries","dataSource":"pin_engagement","intervals":["2026-01-01/2026-01-02"],"filter":{"type":"range","matchValueType":"LONG","lower":1},"aggregations":[{"type":"count","name":"n"}]}""", "filter.column"),
                ("""{"queryType":"timeseries","dataSource":"pin_engagement","intervals":["2026-01-01/2026-01-02"],"filter":{"type":"search","dimension":"pin_id","query":{"type":"contains"}},"aggregations":[{"type":"count","name":"n"}]}""", "filter.query.value"),
                ("""{"queryType":"search","dataSource":"pin_engagement","intervals":["2026-01-01/2026-01-02"]}""", "query"),
            })
            {
                using var rejected = await client.PostAsync("/druid/v2/", Json(query), ct);
                Assert.Equal(HttpStatusCode.BadRequest, rejected.StatusCode);
                using var error = JsonDocument.Parse(await rejected.Content.ReadAsStringAsync(ct));
                Assert.StartsWith(field + ": ", error.RootElement.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
            }

            using var metadata = await client.PostAsync("/druid/v2", Json("""{"queryType":"dataSourceMetadata","dataSource":"pin_engagement"}"""), ct);
            Assert.Equal(HttpStatusCode.OK, metadata.StatusCode);
            Assert.Equal("[]", await metadata.Content.ReadAsStringAsync(ct));

            using var slash = await client.PostAsync("/druid/v2/", Json("""{"queryType":"timeseries","dataSource":"pin_engagement","intervals":["2026-01-01/2026-01-02"],"granularity":"all","aggregations":[{"type":"count","name":"n"}]}"""), ct);
            Assert.Equal(HttpStatusCode.OK, slash.StatusCode);
            Assert.Equal("""[{"timestamp":"2026-01-01T00:00:00.000Z","result":{"n":0}}]""", await slash.Content.ReadAsStringAsync(ct));
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }
    }

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");
}
