using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;
using Tributary.Grains.Streaming;
using Tributary.Silo;
using Tributary.TestKit;

namespace Tributary.Grains.Tests;

/// <summary>
/// Builds an Orleans test cluster whose silos are composed exactly like production silos
/// (<see cref="TributarySiloBuilderExtensions.AddTributary"/>): Redis grain storage, and a Kafka stream
/// provider <c>stats</c> over one topic of the mock cluster feeding <see cref="PartitionStatsGrain"/>.
/// </summary>
internal static class StreamTestCluster
{
    public static async Task<TestCluster> StartAsync(string topic, short silos, IDictionary<string, string?>? extra = null)
    {
        var builder = new TestClusterBuilder(silos);
        var id = $"t{Guid.NewGuid():N}"[..12];
        builder.Options.ClusterId = id;
        builder.Options.ServiceId = id;
        var settings = new Dictionary<string, string?>
        {
            ["Tributary:GrainStorage"] = "redis",
            ["Tributary:RedisConnectionString"] = RedisServer.ConnectionString,
            ["Tributary:Kafka:BootstrapServers"] = KafkaTestCluster.BootstrapServers,
            ["Tributary:Kafka:Settings:fetch.wait.max.ms"] = "10",
            ["Tributary:Streams:stats:Topics:0"] = topic,
            ["Tributary:Streams:stats:StreamNamespace"] = PartitionStatsGrain.StreamNamespace,
            ["Tributary:Streams:stats:ConsumerGroup"] = $"group-{id}",
            ["Tributary:Streams:stats:BatchSize"] = "1000",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        builder.ConfigureHostConfiguration(c => c.AddInMemoryCollection(settings));
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var settings = TributarySiloHost.LoadSettings(siloBuilder.Configuration);
            siloBuilder.AddTributary(settings, siloBuilder.Configuration);
        }
    }
}
