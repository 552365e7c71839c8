using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tributary.TestKit;

namespace Tributary.Silo.Tests;

[Collection(nameof(SiloHostTests))]
public sealed class TributarySiloHostTests
{
    private static Dictionary<string, string?> Ports(out int http) 
    {
        http = FreePort.Next();
        return new Dictionary<string, string?>
        {
            ["Tributary:HttpUrls"] = $"http://127.0.0.1:{http}",
            ["Tributary:SiloPort"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Tributary:GatewayPort"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    [Fact]
    public async Task Build_EmbeddedProfile_ServesHealthAndDashboardAndConsumesTheDevBroker()
    {
        var overrides = Ports(out var http);
        await using var app = TributarySiloHost.Build(["--profile", "embedded"], c => c.AddInMemoryCollection(overrides));
        await app.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}") };
            var health = await client.GetStringAsync("/healthz", TestContext.Current.CancellationToken);
            using var doc = JsonDocument.Parse(health);
            Assert.Equal("ok", doc.RootElement.GetProperty("status").GetString());
            Assert.Equal("embedded", doc.RootElement.GetProperty("profile").GetString());
            Assert.Equal(1, doc.RootElement.GetProperty("silos").GetInt32());

            var dashboard = await client.GetAsync("/dashboard", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
            Assert.Contains("html", (await dashboard.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ToLowerInvariant(), StringComparison.Ordinal);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Healthz_RedisStopped_AnswersUnhealthyNamingRedisWithinTheBound()
    {
        var ct = TestContext.Current.CancellationToken;
        // A Redis of its own: this test stops it.
        var redis = ServiceProcess.Start("redis");
        var endpoint = redis.Variables["TRIBUTARY_REDIS"];
        var overrides = Ports(out var http);
        overrides["Tributary:Clustering"] = "redis";
        overrides["Tributary:GrainStorage"] = "redis";
        overrides["Tributary:RedisConnectionString"] = endpoint;
        overrides["Tributary:ClusterId"] = $"health-{Guid.NewGuid():N}";
        overrides["Tributary:HealthTimeout"] = "00:00:01";
        await using var app = TributarySiloHost.Build(["--profile", "embedded"], c => c.AddInMemoryCollection(overrides));
        await app.StartAsync(ct);
        try
        {
            // The client's own timeout only keeps a regression from hanging the run; the bound is the silo's.
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}"), Timeout = TimeSpan.FromSeconds(60) };
            using (var ok = await client.GetAsync("/healthz", ct))
            {
                Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            }

            redis.Stop();
            using var down = await client.GetAsync("/healthz", ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            using var doc = JsonDocument.Parse(await down.Content.ReadAsStringAsync(ct));
            Assert.Equal("unhealthy", doc.RootElement.GetProperty("status").GetString());
            Assert.Equal("redis", doc.RootElement.GetProperty("dependency").GetString());
            Assert.Contains($"Redis at {endpoint} (Tributary:RedisConnectionString)", doc.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);

            // Back on the same port and data: healthy again (the probe's connection reconnects by itself).
            redis = ServiceProcess.Start("redis", redis.Directory);
            await Eventually.HoldsAsync(
                async () => { using var r = await client.GetAsync("/healthz", ct); return r.StatusCode; },
                code => code == HttpStatusCode.OK,
                TimeSpan.FromSeconds(60), "healthz OK after Redis came back");
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            redis.Stop();
        }
    }

    [Fact]
    public async Task Build_StreamDisabled_ItsProviderIsNotStarted()
    {
        var overrides = Ports(out _);
        overrides["Tributary:Streams:archive:Enabled"] = "false";
        overrides["Tributary:Archive:Enabled"] = "false";
        await using var app = TributarySiloHost.Build(["--profile", "embedded"], c => c.AddInMemoryCollection(overrides));
        await app.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            Assert.NotNull(app.Services.GetKeyedService<Tributary.Streaming.Kafka.KafkaProviderRuntime>("stats"));
            Assert.Null(app.Services.GetKeyedService<Tributary.Streaming.Kafka.KafkaProviderRuntime>("archive"));
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Metrics_AfterConsuming_ExposesFetchedRecordsAndLagPerPartition()
    {
        var overrides = Ports(out var http);
        await using var app = TributarySiloHost.Build(["--profile", "embedded"], c => c.AddInMemoryCollection(overrides));
        await app.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            var broker = app.Services.GetRequiredService<Tributary.Kafka.DevBroker.MockKafkaCluster>();
            using (var producer = new Confluent.Kafka.ProducerBuilder<byte[], byte[]>(new Confluent.Kafka.ProducerConfig { BootstrapServers = broker.BootstrapServers }).Build())
            {
                for (var i = 0; i < 500; i++)
                {
                    producer.Produce("pin_engagement", new Confluent.Kafka.Message<byte[], byte[]> { Key = BitConverter.GetBytes(i), Value = new byte[10] });
                }

                producer.Flush(TimeSpan.FromSeconds(30));
            }

            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}") };
            var text = await Eventually.HoldsAsync(
                () => client.GetStringAsync("/metrics", TestContext.Current.CancellationToken),
                t => SumOf(t, "tributary_kafka_records_fetched_total", "stats") >= 500 && SumOf(t, "tributary_kafka_consumer_lag", "stats") == 0,
                TimeSpan.FromSeconds(60), "500 fetched records and no lag in /metrics");

            Assert.Contains("# TYPE tributary_kafka_records_fetched_total counter", text, StringComparison.Ordinal);
            Assert.Contains("# TYPE tributary_kafka_consumer_lag gauge", text, StringComparison.Ordinal);
            Assert.Contains("tributary_kafka_records_fetched_total{otel_scope_name=\"Tributary.Streaming.Kafka\",partition=\"0\",provider=\"stats\",topic=\"pin_engagement\"}", text, StringComparison.Ordinal);
            // One lag series per partition of pin_engagement for the stats provider (other sinks add their own).
            Assert.Equal(16, text.Split('\n').Count(l => l.StartsWith("tributary_kafka_consumer_lag{", StringComparison.Ordinal) && l.Contains("provider=\"stats\"", StringComparison.Ordinal)));
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }
    }

    private static double SumOf(string exposition, string metric, string provider)
        => exposition.Split('\n')
            .Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal) && l.Contains($"provider=\"{provider}\"", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));

    [Theory]
    [InlineData("Tributary:Clustering", "zookeeper", "Tributary:Clustering must be 'localhost' or 'redis'")]
    [InlineData("Tributary:GrainStorage", "disk", "Tributary:GrainStorage must be 'memory' or 'redis'")]
    [InlineData("Tributary:SiloPort", "70000", "Tributary:SiloPort must be a TCP port")]
    [InlineData("Tributary:HttpUrls", "ftp://x", "Tributary:HttpUrls entry 'ftp://x'")]
    [InlineData("Tributary:Kafka:DevBroker:Topics:0", "pins", "Tributary:Kafka:DevBroker:Topics entry 'pins' is not 'name:partitions'")]
    public void Build_InvalidSetting_FailsNamingTheKey(string key, string value, string message)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => TributarySiloHost.Build(["--profile", "embedded"], c => c.AddInMemoryCollection(new Dictionary<string, string?> { [key] = value })));
        Assert.Contains(ex.Failures, f => f.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Build_RedisStorageWithoutConnectionString_FailsNamingTheKey()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => TributarySiloHost.Build(["--profile", "embedded"], c => c.AddInMemoryCollection(new Dictionary<string, string?> { ["Tributary:GrainStorage"] = "redis" })));
        Assert.Contains(ex.Failures, f => f.Contains("Tributary:RedisConnectionString is required", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_StreamOverUnknownTopic_FailsNamingTopics()
    {
        var overrides = Ports(out _);
        overrides["Tributary:Kafka:DevBroker:Enabled"] = "false";
        overrides["Tributary:Kafka:BootstrapServers"] = KafkaTestCluster.BootstrapServers;
        overrides["Tributary:Streams:stats:Topics:0"] = "missing-" + Guid.NewGuid().ToString("N");
        // Every provider of the embedded profile reads the same (missing) topic.
        overrides["Tributary:Streams:segments:Topics:0"] = overrides["Tributary:Streams:stats:Topics:0"];
        overrides["Tributary:Streams:archive:Topics:0"] = overrides["Tributary:Streams:stats:Topics:0"];
        await using var app = TributarySiloHost.Build(["--profile", "embedded"], c => c.AddInMemoryCollection(overrides));
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync(TestContext.Current.CancellationToken));
        Assert.Matches(@"Tributary:Streams:\w+:Topics names 'missing-", Flatten(ex));
    }

    [Fact]
    public async Task Start_UnreachableBrokers_FailsNamingBootstrapServers()
    {
        var overrides = Ports(out _);
        var deadPort = FreePort.Next();
        overrides["Tributary:Kafka:DevBroker:Enabled"] = "false";
        overrides["Tributary:Kafka:BootstrapServers"] = $"127.0.0.1:{deadPort}";
        overrides["Tributary:Streams:stats:MetadataTimeout"] = "00:00:02";
        await using var app = TributarySiloHost.Build(["--profile", "embedded"], c => c.AddInMemoryCollection(overrides));
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync(TestContext.Current.CancellationToken));
        Assert.Matches($@"Tributary:Streams:\w+:BootstrapServers '127.0.0.1:{deadPort}' did not answer", Flatten(ex));
    }

    [Fact]
    public async Task Start_InvalidStreamOption_FailsNamingTheOption()
    {
        var overrides = Ports(out _);
        overrides["Tributary:Streams:stats:BatchSize"] = "0";
        await using var app = TributarySiloHost.Build(["--profile", "embedded"], c => c.AddInMemoryCollection(overrides));
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("Kafka stream provider 'stats': Tributary:Streams:stats:BatchSize must be between", Flatten(ex), StringComparison.Ordinal);
    }

    private static string Flatten(Exception ex)
    {
        var text = new System.Text.StringBuilder();
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            text.AppendLine(e.Message);
            if (e is AggregateException agg)
            {
                foreach (var inner in agg.InnerExceptions)
                {
                    text.AppendLine(Flatten(inner));
                }
            }
        }

        return text.ToString();
    }
}

[CollectionDefinition(nameof(SiloHostTests), DisableParallelization = true)]
public sealed class SiloHostTests;
