using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tributary.Kafka.DevBroker;
using Tributary.TestKit;

namespace Tributary.Silo.Tests.Clients;

/// <summary>
/// An independent Druid client from npm, Plywood (the query engine of Turnilo, with plywood-druid-requester), against a
/// live embedded silo: it reads <c>GET /status</c>, introspects the datasource with segmentMetadata, and runs its own
/// total, split, filtered split and time-bucket queries. Its answers are checked against the generated events.
/// </summary>
[Collection(nameof(SiloHostTests))]
public sealed class PlywoodClientTests : IDisposable
{
    private static readonly string[] Devices = ["ios", "android", "web", "ipad"];
    private static readonly string[] Actions = ["view", "click", "save", "share"];
    private readonly string _store = Path.Combine(Path.GetTempPath(), $"plywood-store-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_store))
        {
            Directory.Delete(_store, recursive: true);
        }
    }

    [Fact]
    public async Task Plywood_IntrospectsAndQueries_AnswersMatchTheEvents()
    {
        var (app, http) = LiveEvents.BuildSilo(_store);
        await using var _ = app;
        await app.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var events = Events(now);
            var hour = now / 3_600_000 * 3_600_000;
            LiveEvents.Produce(app.Services.GetRequiredService<MockKafkaCluster>().BootstrapServers, events);
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}") };
            await LiveEvents.WaitQueryableAsync(client, hour - (2 * 3_600_000), hour + 3_600_000, events.Count);

            var start = DateTimeOffset.FromUnixTimeMilliseconds(hour - 2 * 3_600_000);
            var end = DateTimeOffset.FromUnixTimeMilliseconds(hour + 3_600_000);
            using var seen = JsonDocument.Parse(await RunPlywoodAsync($"127.0.0.1:{http}", start, end));
            var root = seen.RootElement;

            var attributes = root.GetProperty("attributes").EnumerateArray().ToDictionary(a => a.GetProperty("name").GetString()!, a => a.GetProperty("type").GetString());
            Assert.Equal("TIME", attributes["time"]);
            Assert.Equal("STRING", attributes["device"]);
            Assert.Equal("NUMBER", attributes["count"]);

            Assert.Equal(events.Count, root.GetProperty("rows").GetInt64());
            var users = events.Select(e => e.User).Distinct().Count();
            Assert.InRange(root.GetProperty("users").GetDouble(), users * 0.95, users * 1.05);

            var byDevice = events.GroupBy(e => e.Device).Select(g => (g.Key, (long)g.Count())).OrderByDescending(p => p.Item2).ToList();
            Assert.Equal(byDevice, Pairs(root.GetProperty("byDevice")));

            var iosByAction = events.Where(e => e.Device == "ios").GroupBy(e => e.Action).Select(g => (g.Key, (long)g.Count())).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
            Assert.Equal(iosByAction, Pairs(root.GetProperty("iosByAction")));

            var byHour = events.GroupBy(e => e.Time / 3_600_000 * 3_600_000).OrderBy(g => g.Key)
                .Select(g => (DateTimeOffset.FromUnixTimeMilliseconds(g.Key).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), (long)g.Count())).ToList();
            Assert.Equal(byHour, Pairs(root.GetProperty("byHour")));
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }
    }

    private static List<(string, long)> Pairs(JsonElement array)
        => [.. array.EnumerateArray().Select(r => (r.GetProperty("key").GetString()!, r.GetProperty("rows").GetInt64()))];

    private static List<PinEvent> Events(long now)
    {
        var random = new Random(20261207);
        var events = new List<PinEvent>();
        for (var i = 0; i < 3000; i++)
        {
            // The last 100 minutes (two or three hour buckets, inside the late window, none in the future).
            var time = now - random.Next(60_000, 6_000_000);
            events.Add(new PinEvent(time, (100_000 + random.Next(5_000)).ToString(CultureInfo.InvariantCulture), "u" + random.Next(800),
                Devices[Math.Min(random.Next(5), 3)], Actions[random.Next(Actions.Length)]));
        }

        return events;
    }

    private static async Task<string> RunPlywoodAsync(string host, DateTimeOffset start, DateTimeOffset end)
    {
        var root = ServiceProcess.RepositoryRoot();
        var modules = Path.Combine(root, ".tools", "node_modules");
        Assert.True(Directory.Exists(Path.Combine(modules, "plywood")), $"plywood is not installed in {modules}: run ./build.sh deps");
        var info = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(root, "tests", "Tributary.Silo.Tests", "Clients", "plywood-check.js"));
        info.ArgumentList.Add(host);
        info.ArgumentList.Add("pin_engagement");
        info.ArgumentList.Add(start.ToString("O", CultureInfo.InvariantCulture));
        info.ArgumentList.Add(end.ToString("O", CultureInfo.InvariantCulture));
        info.Environment["NODE_PATH"] = modules;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"plywood exited with {process.ExitCode}: {await error}");
        return await output;
    }
}
