using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Tributary.Client.Unified;
using Tributary.Storage;
using Tributary.TestKit;
using Tributary.Unified;

namespace Tributary.Grains.Tests;

/// <summary><c>AddTributaryClient</c> registers the unified source from the service's configuration.</summary>
public sealed class TributaryClientUnifiedTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "client-unified-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public async Task AddTributaryClient_UnifiedEnabled_FactoryReadsWithTheConfiguredStoreKafkaAndLayout()
    {
        var topic = KafkaTestCluster.CreateTopic("client-unified", 2);
        var produced = KafkaTestCluster.ProduceKeyed(topic, 2, 0, 120);
        using var host = Build(new()
        {
            ["Tributary:Unified:Enabled"] = "true",
            ["Tributary:Unified:Watermarks:OutOfOrderness"] = "00:00:05",
            ["Tributary:Kafka:BootstrapServers"] = KafkaTestCluster.BootstrapServers,
            ["Tributary:Archive:Format"] = "Raw",
            ["Tributary:Archive:EventTime:Source"] = "KafkaTimestamp",
            ["Tributary:Archive:Store:Kind"] = "local",
            ["Tributary:Archive:Store:LocalPath"] = _dir,
        });

        var factory = host.Services.GetRequiredService<IUnifiedSourceFactory>();
        var source = factory.Create(topic, o => o.Until = UnifiedUntil.LatestAtOpen);
        var read = new List<UnifiedRecord>();
        await foreach (var r in source.ReadAsync(TestContext.Current.CancellationToken))
        {
            read.Add(r);
        }

        Assert.Equal(produced.Values.Sum(p => p.Count), read.Count);
        Assert.All(read, r => Assert.NotNull(r.Value)); // the Raw layout of Tributary:Archive
        var max = read.Where(r => r.Partition == 0).Max(r => r.EventTimeMs!.Value);
        Assert.Equal(max - 5_000, source.Watermarks.Single(w => w.Partition == 0).WatermarkMs); // Tributary:Unified:Watermarks
        Assert.IsType<LocalDirectoryObjectStore>(host.Services.GetRequiredKeyedService<IObjectStore>(TributaryClientKeys.ArchiveStore));
    }

    [Fact]
    public async Task AddTributaryClient_BadUnifiedSettings_StartFailsNamingEachKey()
    {
        using var host = Build(new()
        {
            ["Tributary:Unified:Enabled"] = "true",
            ["Tributary:Unified:Watermarks:IdleTimeout"] = "00:00:00",
            ["Tributary:Unified:Alignment:ReportInterval"] = "-00:00:01",
            ["Tributary:Unified:PrefetchFiles"] = "500",
            ["Tributary:Archive:Format"] = "Parquet",
            ["Tributary:Archive:Store:Kind"] = "s3",
        });

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync(TestContext.Current.CancellationToken));

        var failures = ex is AggregateException all ? all.InnerExceptions : [ex];
        var messages = string.Join(" | ", failures.Cast<OptionsValidationException>().SelectMany(f => f.Failures));
        Assert.True(messages.Contains("Tributary:Kafka:BootstrapServers is required", StringComparison.Ordinal), messages);
        Assert.Contains("Tributary:Unified:Watermarks:IdleTimeout", messages);
        Assert.Contains("Tributary:Unified:Alignment:ReportInterval", messages);
        Assert.Contains("Tributary:Unified:PrefetchFiles", messages);
        Assert.Contains("Tributary:Archive:Fields", messages);
        Assert.Contains("Tributary:Archive:Store:S3", messages);
        Assert.DoesNotContain("UnifiedSourceOptions", messages);
    }

    [Fact]
    public void AddTributaryClient_UnifiedNotEnabled_RegistersNoFactory()
    {
        using var host = Build(new() { ["Tributary:Kafka:BootstrapServers"] = "unused:9092" });

        Assert.Null(host.Services.GetService<IUnifiedSourceFactory>());
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.UseOrleansClient(client => client.AddTributaryClient(o => o.GatewayPort = FreePort.Next()));
        return builder.Build();
    }
}
