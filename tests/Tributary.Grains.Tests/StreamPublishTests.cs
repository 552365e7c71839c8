using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Tributary.Kafka;
using Tributary.TestKit;

namespace Tributary.Grains.Tests;

/// <summary>
/// Publishing through Orleans streams (<c>OnNextAsync</c> on a stream keyed by the record key) lands
/// each record in the same Kafka partition a plain Confluent producer with the murmur2 partitioner picks.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class StreamPublishTests
{
    private const int Partitions = 16;
    private const int Keys = 2_000;

    [Fact]
    public async Task OnNextAsync_KeyedStream_LandsInTheSamePartitionAsAConfluentProducer()
    {
        var topic = KafkaTestCluster.CreateTopic("publish", Partitions);
        var cluster = await StreamTestCluster.StartAsync(topic, silos: 1);
        try
        {
            // The silo's own client carries the silo's stream providers, so it can publish into Kafka.
            var client = cluster.GetSiloServiceProvider(cluster.Primary!.SiloAddress).GetRequiredService<IClusterClient>();
            var provider = client.GetStreamProvider("stats");
            for (var i = 0; i < Keys; i++)
            {
                var stream = provider.GetStream<byte[]>(StreamId.Create(topic, $"pin-{i}"));
                await stream.OnNextAsync(Encoding.UTF8.GetBytes($"orleans-{i}"));
            }

            using (var producer = KafkaTestCluster.CreateProducer())
            {
                for (var i = 0; i < Keys; i++)
                {
                    producer.Produce(topic, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes($"pin-{i}"), Value = Encoding.UTF8.GetBytes($"confluent-{i}") });
                }

                producer.Flush(TimeSpan.FromMinutes(1));
            }

            var placed = ReadAll(topic, 2 * Keys);
            for (var i = 0; i < Keys; i++)
            {
                var key = $"pin-{i}";
                var expected = Murmur2Partitioner.Partition(Encoding.UTF8.GetBytes(key), Partitions);
                Assert.Equal(expected, placed[(key, "orleans")]);
                Assert.Equal(expected, placed[(key, "confluent")]);
            }

            // And the per-partition consumer grains see both copies, exactly once.
            var grains = Enumerable.Range(0, Partitions).Select(p => cluster.Client.GetGrain<IPartitionStatsGrain>(TopicPartitionKey.Format(topic, p))).ToArray();
            await Eventually.HoldsAsync(
                async () => (await Task.WhenAll(grains.Select(g => g.GetStatsAsync().AsTask()))).Sum(s => s.Records),
                n => n == 2 * Keys, TimeSpan.FromSeconds(60), "records consumed by the partition grains");
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    private static Dictionary<(string Key, string Source), int> ReadAll(string topic, int count)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = KafkaTestCluster.BootstrapServers,
            GroupId = $"publish-check-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
            FetchWaitMaxMs = 10,
        }).Build();
        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var placed = new Dictionary<(string, string), int>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (placed.Count < count && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } r)
            {
                var value = Encoding.UTF8.GetString(r.Message.Value);
                placed[(Encoding.UTF8.GetString(r.Message.Key), value[..value.IndexOf('-', StringComparison.Ordinal)])] = r.Partition.Value;
            }
        }

        Assert.Equal(count, placed.Count);
        return placed;
    }
}
