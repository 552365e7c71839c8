using Tributary.TestKit;

namespace Tributary.Streaming.Kafka.Tests;

public sealed class KafkaTopologyTests
{
    [Fact]
    public void Discover_ExistingTopic_ReadsItsPartitionCount()
    {
        var topic = KafkaTestCluster.CreateTopic("topology", 5);
        var topology = KafkaTopology.Discover("p", new KafkaStreamOptions { BootstrapServers = KafkaTestCluster.BootstrapServers, Topics = [topic] });
        Assert.Equal(5, topology.PartitionCount(topic));
        Assert.Equal(5, topology.AllPartitions().Count());
    }

    [Fact]
    public void Discover_UnknownTopic_FailsNamingTopicsSetting()
    {
        var ex = Assert.Throws<KafkaStreamConfigurationException>(() => KafkaTopology.Discover("p", new KafkaStreamOptions
        {
            BootstrapServers = KafkaTestCluster.BootstrapServers,
            Topics = ["no-such-topic-" + Guid.NewGuid().ToString("N")],
        }));
        Assert.Contains("KafkaStreamOptions.Topics names 'no-such-topic-", ex.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Discover_UnreachableBrokers_FailsNamingBootstrapServers()
    {
        // A port that was free a moment ago: nothing listens there.
        var port = FreePort.Next();

        var ex = Assert.Throws<KafkaStreamConfigurationException>(() => KafkaTopology.Discover("p", new KafkaStreamOptions
        {
            BootstrapServers = $"127.0.0.1:{port}",
            Topics = ["t"],
            MetadataTimeout = TimeSpan.FromSeconds(2),
        }));
        Assert.Contains($"KafkaStreamOptions.BootstrapServers '127.0.0.1:{port}' did not answer", ex.Message, StringComparison.Ordinal);
    }
}
