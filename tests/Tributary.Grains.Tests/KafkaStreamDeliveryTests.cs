using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Tributary.Streaming.Kafka;
using Tributary.TestKit;

namespace Tributary.Grains.Tests;

/// <summary>
/// End-to-end guarantees of the Kafka stream provider: one grain per partition, every record exactly
/// once in offset order, through silo kills, restarts and queue hand-overs.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class KafkaStreamDeliveryTests
{
    private const int Partitions = 16;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task KeyedEvents_100kOver16Partitions_ReachPartitionGrainsExactlyOnceInOrder()
    {
        var topic = KafkaTestCluster.CreateTopic("exactly-once", Partitions);
        var expected = KafkaTestCluster.ProduceKeyed(topic, Partitions, 0, 100_000);
        var cluster = await StreamTestCluster.StartAsync(topic, silos: 2);
        try
        {
            var stats = await WaitForAsync(cluster, topic, 100_000);
            // Exactly once as applied. Replays may still be delivered and dropped by offset: a queue can move to
            // the second silo while the cluster starts, and its new owner resumes from the last commit.
            AssertExactlyOnce(expected, stats);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task SiloKilledMidStream_LosesNothing_AndConsumersDropReplayedDuplicates()
    {
        var topic = KafkaTestCluster.CreateTopic("kill", Partitions);
        var expected = KafkaTestCluster.ProduceKeyed(topic, Partitions, 0, 60_000);
        // Commits to Kafka lag far behind persisted state, so the next owner of a moved queue replays
        // records the consumer already applied: they must be dropped, not counted twice.
        var cluster = await StreamTestCluster.StartAsync(topic, silos: 2, new Dictionary<string, string?>
        {
            ["Tributary:Streams:stats:CommitInterval"] = "01:00:00",
        });
        try
        {
            await WaitForAsync(cluster, topic, 60_000);
            var victim = cluster.SecondarySilos[0];
            var victimQueues = Runtime(cluster, victim).AssignedPartitions.Count;
            Assert.True(victimQueues > 0, "the secondary silo should own some partitions before it is killed");

            await cluster.KillSiloAsync(victim, TestContext.Current.CancellationToken);
            var more = KafkaTestCluster.ProduceKeyed(topic, Partitions, 60_000, 40_000);
            var stats = await WaitForAsync(cluster, topic, 100_000);

            AssertExactlyOnce(Merge(expected, more), stats);
            Assert.True(stats.Sum(s => s.DuplicatesDropped) > 0, "the replay after the kill should have been seen and dropped");
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task SiloRestartedMidStream_LosesNothing()
    {
        var topic = KafkaTestCluster.CreateTopic("restart", Partitions);
        var expected = KafkaTestCluster.ProduceKeyed(topic, Partitions, 0, 30_000);
        var cluster = await StreamTestCluster.StartAsync(topic, silos: 2);
        try
        {
            await WaitForAsync(cluster, topic, 10_000);
            await cluster.RestartSiloAsync(cluster.SecondarySilos[0]);
            var more = KafkaTestCluster.ProduceKeyed(topic, Partitions, 30_000, 30_000);
            var stats = await WaitForAsync(cluster, topic, 60_000);
            AssertExactlyOnce(Merge(expected, more), stats);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task TwoSilos_ShareTheQueues_AndTheSurvivorTakesOverWhenOneStops()
    {
        var topic = KafkaTestCluster.CreateTopic("handover", Partitions);
        var expected = KafkaTestCluster.ProduceKeyed(topic, Partitions, 0, 20_000);
        var cluster = await StreamTestCluster.StartAsync(topic, silos: 2);
        try
        {
            await WaitForAsync(cluster, topic, 20_000);
            var primary = Runtime(cluster, cluster.Primary!).AssignedPartitions;
            var secondary = Runtime(cluster, cluster.SecondarySilos[0]).AssignedPartitions;
            Assert.NotEmpty(primary);
            Assert.NotEmpty(secondary);
            Assert.Empty(primary.Intersect(secondary));
            Assert.Equal(Partitions, primary.Count + secondary.Count);

            await cluster.StopSiloAsync(cluster.SecondarySilos[0], TestContext.Current.CancellationToken);
            await Eventually.HoldsAsync(
                () => Task.FromResult(Runtime(cluster, cluster.Primary!).AssignedPartitions.Count),
                n => n == Partitions, Deadline, "partitions owned by the surviving silo");

            var more = KafkaTestCluster.ProduceKeyed(topic, Partitions, 20_000, 20_000);
            var stats = await WaitForAsync(cluster, topic, 40_000);
            AssertExactlyOnce(Merge(expected, more), stats);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task CommittedOffsets_FollowTheDurableCheckpoints()
    {
        var topic = KafkaTestCluster.CreateTopic("commits", Partitions);
        var expected = KafkaTestCluster.ProduceKeyed(topic, Partitions, 0, 8_000);
        var cluster = await StreamTestCluster.StartAsync(topic, silos: 1, new Dictionary<string, string?>
        {
            ["Tributary:Streams:stats:CommitInterval"] = "00:00:00.200",
        });
        try
        {
            var stats = await WaitForAsync(cluster, topic, 8_000);
            var group = StreamGroup(cluster);
            using var consumer = new Confluent.Kafka.ConsumerBuilder<byte[], byte[]>(new Confluent.Kafka.ConsumerConfig
            {
                BootstrapServers = KafkaTestCluster.BootstrapServers,
                GroupId = group,
            }).Build();
            var partitions = Enumerable.Range(0, Partitions).Select(p => new Confluent.Kafka.TopicPartition(topic, p)).ToList();
            var committed = await Eventually.HoldsAsync(
                () => Task.FromResult(consumer.Committed(partitions, TimeSpan.FromSeconds(10))),
                c => c.All(o => o.Offset.Value == stats.Single(s => s.Partition == o.Partition.Value).NextOffset),
                Deadline, "committed offsets equal to the consumers' durable next offsets");
            Assert.Equal(8_000, committed.Sum(c => c.Offset.Value));
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    private static string StreamGroup(TestCluster cluster)
        => Runtime(cluster, cluster.Primary!).Options.EffectiveConsumerGroup("stats");

    private static KafkaProviderRuntime Runtime(TestCluster cluster, SiloHandle silo)
        => cluster.GetSiloServiceProvider(silo.SiloAddress).GetRequiredKeyedService<KafkaProviderRuntime>("stats");

    private static async Task<PartitionStats[]> WaitForAsync(TestCluster cluster, string topic, long total)
    {
        var grains = Enumerable.Range(0, Partitions)
            .Select(p => cluster.Client.GetGrain<IPartitionStatsGrain>(TopicPartitionKey.Format(topic, p)))
            .ToArray();
        var view = await Eventually.HoldsAsync(
            async () => new StatsView(await Task.WhenAll(grains.Select(g => g.GetStatsAsync().AsTask()))),
            v => v.Stats.Sum(s => s.Records) >= total,
            Deadline, $"{total} records consumed from {topic}");
        return view.Stats;
    }

    private static void AssertExactlyOnce(Dictionary<int, (long Count, ulong Checksum)> expected, PartitionStats[] stats)
    {
        foreach (var s in stats)
        {
            var (count, checksum) = expected.GetValueOrDefault(s.Partition);
            Assert.Equal(count, s.Records);
            Assert.Equal(checksum, s.ValueChecksum);
            Assert.Equal(count, s.NextOffset);
            Assert.Equal(0, s.OffsetGaps);
        }
    }

    private static Dictionary<int, (long Count, ulong Checksum)> Merge(Dictionary<int, (long Count, ulong Checksum)> a, Dictionary<int, (long Count, ulong Checksum)> b)
    {
        var merged = new Dictionary<int, (long Count, ulong Checksum)>(a);
        foreach (var (p, (c, sum)) in b)
        {
            var (c0, s0) = merged.GetValueOrDefault(p);
            merged[p] = (c0 + c, s0 + sum);
        }

        return merged;
    }
}

internal sealed record StatsView(PartitionStats[] Stats)
{
    public override string ToString()
        => $"total {Stats.Sum(s => s.Records)}: " + string.Join(", ", Stats.Select(s => $"p{s.Partition}={s.Records}/next {s.NextOffset}/dup {s.DuplicatesDropped}@{s.Silo}"));
}

/// <summary>Cluster tests share the machine's two cores: run them one at a time.</summary>
[CollectionDefinition(nameof(ClusterTests), DisableParallelization = true)]
public sealed class ClusterTests;
