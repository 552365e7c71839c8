using System.IO.Hashing;
using Confluent.Kafka;
using Tributary.Kafka;
using Tributary.Kafka.DevBroker;

namespace Tributary.TestKit;

/// <summary>
/// One librdkafka mock cluster (real Kafka protocol on loopback) per test process, with helpers to
/// create unique topics and produce keyed records the way every Tributary producer does.
/// </summary>
public static class KafkaTestCluster
{
    private static readonly Lazy<MockKafkaCluster> Cluster = new(() => MockKafkaCluster.Start(3), LazyThreadSafetyMode.ExecutionAndPublication);
    private static int _topicCounter;

    /// <summary>The shared mock cluster.</summary>
    public static MockKafkaCluster Instance => Cluster.Value;

    /// <summary>Its bootstrap servers.</summary>
    public static string BootstrapServers => Cluster.Value.BootstrapServers;

    /// <summary>Creates a topic with a name unique in this process.</summary>
    public static string CreateTopic(string prefix, int partitions)
    {
        var name = $"{prefix}-{Environment.ProcessId}-{Interlocked.Increment(ref _topicCounter)}";
        Cluster.Value.CreateTopic(name, partitions);
        return name;
    }

    /// <summary>A producer using the murmur2 partitioner (Java-compatible), acks=all, idempotent.</summary>
    public static IProducer<byte[], byte[]> CreateProducer()
        => new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = BootstrapServers,
            Partitioner = Partitioner.Murmur2Random,
            LingerMs = 5,
            EnableIdempotence = true,
        }).SetLogHandler((_, _) => { }).Build();

    /// <summary>
    /// Produces <paramref name="count"/> records keyed <c>key-{i}</c> (i from <paramref name="first"/>) and
    /// returns, per partition, the produced count and XxHash64 checksum sum of the values.
    /// </summary>
    public static Dictionary<int, (long Count, ulong Checksum)> ProduceKeyed(string topic, int partitions, int first, int count)
    {
        using var producer = CreateProducer();
        var failures = 0;
        for (var i = first; i < first + count; i++)
        {
            var key = System.Text.Encoding.UTF8.GetBytes($"key-{i}");
            var value = System.Text.Encoding.UTF8.GetBytes($"{{\"i\":{i},\"pin_id\":\"key-{i}\"}}");
            while (true)
            {
                try
                {
                    producer.Produce(topic, new Message<byte[], byte[]> { Key = key, Value = value }, r =>
                    {
                        if (r.Error.IsError)
                        {
                            Interlocked.Increment(ref failures);
                        }
                    });
                    break;
                }
                catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == Confluent.Kafka.ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(20));
                }
            }
        }

        producer.Flush(TimeSpan.FromMinutes(1));
        if (failures > 0)
        {
            throw new InvalidOperationException($"{failures} records were not acknowledged");
        }

        return Expected(first, count, partitions);
    }

    /// <summary>What <see cref="ProduceKeyed"/> puts in each partition, computed with our murmur2 partitioner.</summary>
    public static Dictionary<int, (long Count, ulong Checksum)> Expected(int first, int count, int partitions)
    {
        var expected = new Dictionary<int, (long Count, ulong Checksum)>();
        for (var i = first; i < first + count; i++)
        {
            var key = System.Text.Encoding.UTF8.GetBytes($"key-{i}");
            var value = System.Text.Encoding.UTF8.GetBytes($"{{\"i\":{i},\"pin_id\":\"key-{i}\"}}");
            var p = Murmur2Partitioner.Partition(key, partitions);
            var (c, sum) = expected.GetValueOrDefault(p);
            expected[p] = (c + 1, sum + XxHash64.HashToUInt64(value));
        }

        return expected;
    }
}
