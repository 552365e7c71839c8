using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;
using Tributary.Agent;
using Tributary.Agent.Options;
using Tributary.Kafka.DevBroker;
using Tributary.Segments;
using Tributary.TestKit;
using Tributary.Tracker.Tests;

namespace Tributary.Silo.Tests.Dashboards;

/// <summary>
/// <c>/metrics</c> of an embedded silo with traffic through every sink it runs: a log agent in the silo's process
/// ships events from a log file to Kafka, and the segment, archive and SQL (MariaDB) sinks consume them. Every metric a
/// dashboard references must be exported (the Tracker's are checked after a snapshot in the Tracker endpoint tests).
/// </summary>
[Collection(nameof(MariaDbCollection))]
[Trait("Category", "Slow")]
public sealed class MetricsEndpointTests
{
    private const int Events = 800;

    [Fact]
    public async Task Metrics_WithTrafficThroughEverySink_ExportEveryMetricTheDashboardsReference()
    {
        var ct = TestContext.Current.CancellationToken;
        var servers = MariaDbServers.Instance;
        var database = $"tributary_metrics_{Guid.NewGuid():N}"[..40];
        await servers.ExecutePrimaryAsync($"CREATE DATABASE `{database}`");
        var connection = new MySqlConnectionStringBuilder
        {
            Server = servers.Primary.Host,
            Port = (uint)servers.Primary.Port,
            UserID = servers.AppUser,
            Password = servers.Password,
            Database = database,
        }.ConnectionString;
        var work = Directory.CreateTempSubdirectory("tributary-metrics-").FullName;
        var (app, http) = LiveEvents.BuildSilo(work, new Dictionary<string, string?>
        {
            // Small archive files, so the traffic cuts several per partition.
            ["Tributary:Archive:MaxFileRecords"] = "10",
            ["Tributary:SqlSink:Enabled"] = "true",
            ["Tributary:SqlSink:ConnectionString"] = connection,
            ["Tributary:SqlSink:PersistInterval"] = "00:00:00.200",
            ["Tributary:Streams:sql:Enabled"] = "true",
        });
        await using var _ = app;
        await app.StartAsync(ct);
        try
        {
            var logs = Directory.CreateDirectory(Path.Combine(work, "logs")).FullName;
            await using var agent = new LogAgent(new AgentOptions
            {
                DataDirectory = Path.Combine(work, "agent"),
                Kafka = { ["bootstrap.servers"] = app.Services.GetRequiredService<MockKafkaCluster>().BootstrapServers },
                Streams =
                {
                    new LogStreamOptions
                    {
                        Name = "pin_engagement",
                        Directory = logs,
                        Pattern = "events.log",
                        Topic = "pin_engagement",
                        Partitioner = new PartitionerOptions { Type = PartitionerKind.Murmur2, KeyField = "pin_id" },
                        BatchMaxDelayMs = 20,
                    },
                },
            });
            await agent.StartAsync(ct);
            var hour = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds() / 3_600_000 * 3_600_000;
            await File.WriteAllLinesAsync(
                Path.Combine(logs, "events.log"),
                Enumerable.Range(0, Events).Select(i => LiveEvents.Json(new PinEvent(hour + (i * 1_000L), (1_000 + (i % 97)).ToString(CultureInfo.InvariantCulture), (i % 13).ToString(CultureInfo.InvariantCulture), "ios", "view"))),
                ct);

            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}") };
            await LiveEvents.WaitQueryableAsync(client, hour, hour + 3_600_000, Events);

            // Seal one segment, then query it sealed: the seal histogram gets a sample and the broker scans both states.
            var cluster = app.Services.GetRequiredService<IClusterClient>();
            var timeline = await cluster.GetGrain<IDatasourceCatalogGrain>("pin_engagement").GetTimelineAsync();
            await cluster.GetGrain<ISegmentGrain>(timeline.Segments.First().Key).SealAsync();
            await LiveEvents.WaitQueryableAsync(client, hour, hour + 3_600_000, Events);

            var dashboards = DashboardFiles.Names.Where(n => n != "tributary-tracker.json").ToList();
            var expected = DashboardFiles.MetricNames(dashboards);
            var text = string.Empty;
            await Eventually.HoldsAsync(
                async () =>
                {
                    text = await client.GetStringAsync("/metrics", ct);
                    return string.Join(", ", expected.Except(DashboardFiles.ScrapedSeries(text)));
                },
                missing => missing.Length == 0,
                TimeSpan.FromSeconds(90),
                "every metric the dashboards reference in /metrics (the value: those missing)");

            // A dashboard filtering on a label value (sink="archive", provider="sql") finds a series with it.
            var matchers = DashboardFiles.ExactMatchers(dashboards);
            Assert.NotEmpty(matchers);
            Assert.Equal([], matchers.Where(m => !DashboardFiles.Matches(text, m)));

            var buckets = text.Split('\n').Where(l => l.StartsWith("tributary_query_duration_milliseconds_bucket{", StringComparison.Ordinal) && l.Contains("query_type=\"timeseries\"", StringComparison.Ordinal)).ToList();
            Assert.Contains(buckets, l => l.Contains("le=\"250\"", StringComparison.Ordinal));
            Assert.Contains(buckets, l => l.Contains("le=\"+Inf\"", StringComparison.Ordinal));
            Assert.Contains("# TYPE tributary_query_duration_milliseconds histogram", text, StringComparison.Ordinal);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await servers.ExecutePrimaryAsync($"DROP DATABASE IF EXISTS `{database}`");
        }
    }
}
