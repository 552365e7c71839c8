using Orleans.TestingHost;
using Tributary.Grains.Streaming;
using Tributary.TestKit.Cluster;

namespace Tributary.Grains.Tests;

/// <summary>
/// Builds an Orleans test cluster whose silos are composed exactly like production silos
/// (<see cref="TributarySiloBuilderExtensions.AddTributary"/>): Redis grain storage, and a Kafka stream
/// provider <c>stats</c> over one topic of the mock cluster feeding <see cref="PartitionStatsGrain"/>.
/// </summary>
internal static class StreamTestCluster
{
    public static Task<TestCluster> StartAsync(string topic, short silos, IDictionary<string, string?>? extra = null) =>
        new TributaryClusterBuilder(silos, TributaryClusterBuilder.NewId('t'))
            .WithStream("stats", topic, PartitionStatsGrain.StreamNamespace, batchSize: 1000)
            .With(extra)
            .DeployAsync();
}
