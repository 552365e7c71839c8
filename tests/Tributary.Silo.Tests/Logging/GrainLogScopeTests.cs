using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tributary.Archive;
using Tributary.Kafka.DevBroker;
using Tributary.Segments;
using Tributary.TestKit;

namespace Tributary.Silo.Tests.Logging;

/// <summary>
/// The grains' log scopes in a running silo: what a sink, a segment and an archive partition log while they work
/// carries the grain's key and Kafka partition as structured fields (GrainKey, Partition, and Sink for sink grains).
/// </summary>
[Trait("Category", "Slow")]
public sealed class GrainLogScopeTests
{
    private const int Events = 200;

    [Fact]
    public async Task SinkSegmentAndArchiveLogs_WhileWorking_CarryGrainKeyAndPartitionScopes()
    {
        var ct = TestContext.Current.CancellationToken;
        var capture = new ScopeCapturingLoggerProvider();
        var work = Directory.CreateTempSubdirectory("tributary-log-scopes-").FullName;
        var (app, http) = LiveEvents.BuildSilo(
            work,
            new Dictionary<string, string?> { ["Tributary:Archive:MaxFileRecords"] = "10" },
            services => services.AddLogging(b => b
                .AddProvider(capture)
                .AddFilter<ScopeCapturingLoggerProvider>("Tributary.Grains", LogLevel.Debug)));
        await using var _ = app;
        await app.StartAsync(ct);
        try
        {
            var hour = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds() / 3_600_000 * 3_600_000;
            LiveEvents.Produce(
                app.Services.GetRequiredService<MockKafkaCluster>().BootstrapServers,
                Enumerable.Range(0, Events).Select(i => new PinEvent(hour + (i * 1_000L), (1_000 + (i % 37)).ToString(CultureInfo.InvariantCulture), "7", "ios", "view")));
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}") };
            await LiveEvents.WaitQueryableAsync(client, hour, hour + 3_600_000, Events);
            var cluster = app.Services.GetRequiredService<IClusterClient>();
            var segment = (await cluster.GetGrain<IDatasourceCatalogGrain>("pin_engagement").GetTimelineAsync()).Segments.First();
            await cluster.GetGrain<ISegmentGrain>(segment.Key).SealAsync();

            // 5013: the segment sink's delivery (base sink work); 5001: a segment sealed; 4001: an archive file uploaded.
            await Eventually.HoldsAsync(
                () => Task.FromResult(capture.Records.Where(r => r.EventId is 5013 or 5001 or 4001).Select(r => r.EventId).Distinct().Count()),
                n => n == 3,
                TimeSpan.FromSeconds(60),
                "a sink delivery, a seal and an archive upload logged");

            var delivered = capture.Records.First(r => r.EventId == 5013);
            Assert.Equal("segments", delivered.ScopeFields["Sink"]);
            var (topic, partition) = TopicPartitionKey.Parse(Assert.IsType<string>(delivered.ScopeFields["GrainKey"]));
            Assert.Equal("pin_engagement", topic);
            Assert.Equal(partition, delivered.ScopeFields["Partition"]);

            var sealedLog = Assert.Single(capture.Records, r => r.EventId == 5001);
            Assert.Equal(segment.Key, sealedLog.ScopeFields["GrainKey"]);
            Assert.Equal(segment.Partition, sealedLog.ScopeFields["Partition"]);
            Assert.False(sealedLog.ScopeFields.ContainsKey("Sink"));

            var uploaded = capture.Records.First(r => r.EventId == 4001);
            Assert.Equal("archive", uploaded.ScopeFields["Sink"]);
            var archiveKey = Assert.IsType<string>(uploaded.ScopeFields["GrainKey"]);
            Assert.Equal(ArchiveKey.Parse(archiveKey).Partition, uploaded.ScopeFields["Partition"]);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }
    }
}
