using System.Globalization;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Tributary.TestKit;

namespace Tributary.Silo.Tests;

/// <summary>A generated pin event as the live-data silo tests produce it (a null <see cref="Version"/> leaves <c>app_version</c> out).</summary>
internal sealed record PinEvent(long Time, string Pin, string User, string Device, string Action, string? Version = "1.0");

/// <summary>The live-data silo tests' shared steps: an embedded silo over a temporary store, events produced to its Kafka, and waiting until they are queryable.</summary>
internal static class LiveEvents
{
    /// <summary>Builds an embedded silo whose segments and archive live under <paramref name="store"/>, on a free HTTP port, with <paramref name="extra"/> settings on top (and <paramref name="configureServices"/> run on its services).</summary>
    public static (WebApplication App, int HttpPort) BuildSilo(string store, IReadOnlyDictionary<string, string?>? extra = null, Action<IServiceCollection>? configureServices = null)
    {
        var http = FreePort.Next();
        var overrides = SiloTestSettings.Embedded(http, Path.Combine(store, "segments"));
        overrides["Tributary:Archive:Store:LocalPath"] = Path.Combine(store, "archive");
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            overrides[key] = value;
        }

        return (TributarySiloHost.Build(["--profile", "embedded"], c => c.AddInMemoryCollection(overrides), configureServices), http);
    }

    /// <summary>Produces <paramref name="events"/> to <c>pin_engagement</c>, keyed by pin id, as the demo's JSON lines.</summary>
    public static void Produce(string bootstrap, IEnumerable<PinEvent> events)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = bootstrap }).Build();
        foreach (var e in events)
        {
            producer.Produce("pin_engagement", new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(e.Pin), Value = Encoding.UTF8.GetBytes(Json(e)) });
        }

        producer.Flush(TimeSpan.FromSeconds(30));
    }

    /// <summary>The event as the demo's JSON line (no newline).</summary>
    public static string Json(PinEvent e)
    {
        var ts = DateTimeOffset.FromUnixTimeMilliseconds(e.Time).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        var version = e.Version is null ? string.Empty : $",\"app_version\":\"{e.Version}\"";
        return $$"""{"ts":"{{ts}}","pin_id":"{{e.Pin}}","user_id":"{{e.User}}","action":"{{e.Action}}","device":"{{e.Device}}"{{version}}}""";
    }

    /// <summary>The interval [<paramref name="startMs"/>, <paramref name="endMs"/>) as Druid's ISO text.</summary>
    public static string Interval(long startMs, long endMs) => $"{Iso(startMs)}/{Iso(endMs)}";

    /// <summary>ISO 8601 to the second, UTC.</summary>
    public static string Iso(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>Waits until the silo counts <paramref name="expected"/> events in [<paramref name="startMs"/>, <paramref name="endMs"/>).</summary>
    public static Task WaitQueryableAsync(HttpClient client, long startMs, long endMs, int expected)
        => Eventually.HoldsAsync(() => CountAsync(client, startMs, endMs), n => n == expected, TimeSpan.FromSeconds(90), $"{expected} events queryable");

    private static async Task<long> CountAsync(HttpClient client, long startMs, long endMs)
    {
        var query = $$"""{"queryType":"timeseries","dataSource":"pin_engagement","intervals":["{{Interval(startMs, endMs)}}"],"granularity":"all","aggregations":[{"type":"longSum","name":"n","fieldName":"count"}]}""";
        using var response = await client.PostAsync("/druid/v2", new StringContent(query, Encoding.UTF8, "application/json"));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetArrayLength() == 0 ? 0 : body.RootElement[0].GetProperty("result").GetProperty("n").GetInt64();
    }
}
