using System.Text;
using Confluent.Kafka;
using Tributary.TestKit;

namespace Tributary.Kafka.Tests;

public sealed class Murmur2PartitionerTests
{
    // Values from the Java client's UtilsTest.testMurmur2 (org.apache.kafka.common.utils).
    [Theory]
    [InlineData("21", -973932308)]
    [InlineData("foobar", -790332482)]
    [InlineData("a-little-bit-long-string", -985981536)]
    [InlineData("a-little-bit-longer-string", -1486304829)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971)]
    [InlineData("abc", 479470107)]
    public void Hash_JavaClientVectors_Match(string key, int expected)
    {
        Assert.Equal(expected, Murmur2Partitioner.Hash(Encoding.UTF8.GetBytes(key)));
    }

    [Fact]
    public void Partition_IsNeverNegative_ForNegativeHashes()
    {
        // "21" hashes negative; Java masks the sign bit: (-973932308 & 0x7fffffff) % 16.
        Assert.Equal((-973932308 & 0x7fffffff) % 16, Murmur2Partitioner.Partition(Encoding.UTF8.GetBytes("21"), 16));
    }

    [Fact]
    public void Partition_StringOverload_EqualsUtf8Bytes()
    {
        foreach (var key in new[] { "", "x", "pin-123", new string('é', 300) })
        {
            Assert.Equal(Murmur2Partitioner.Partition(Encoding.UTF8.GetBytes(key), 13), Murmur2Partitioner.Partition(key, 13));
        }
    }

    [Fact]
    public void Partition_FanOut_StaysWithinTheKeysConsecutivePartitions()
    {
        var key = Encoding.UTF8.GetBytes("hot-pin");
        var home = Murmur2Partitioner.Partition(key, 16);
        var spread = Enumerable.Range(0, 8).Select(i => Murmur2Partitioner.Partition(key, 16, 4, i)).Distinct().Order().ToArray();
        Assert.Equal(Enumerable.Range(0, 4).Select(i => (home + i) % 16).Order().ToArray(), spread);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(7)]
    public void Partition_EqualsLibrdkafkaMurmur2Random_On100kKeys(int partitions)
    {
        var topic = KafkaTestCluster.CreateTopic("murmur2", partitions);
        using var producer = KafkaTestCluster.CreateProducer();
        var mismatches = 0;
        var delivered = 0;
        var random = new Random(partitions);
        const int keys = 100_000;
        for (var i = 0; i < keys; i++)
        {
            // Mixed lengths and bytes, including non-ASCII and binary keys.
            var key = new byte[random.Next(0, 40)];
            random.NextBytes(key);
            var ours = Murmur2Partitioner.Partition(key, partitions);
            while (true)
            {
                try
                {
                    producer.Produce(topic, new Message<byte[], byte[]> { Key = key, Value = [] }, report =>
                    {
                        if (!report.Error.IsError)
                        {
                            Interlocked.Increment(ref delivered);
                            if (report.Partition.Value != ours)
                            {
                                Interlocked.Increment(ref mismatches);
                            }
                        }
                    });
                    break;
                }
                catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == Confluent.Kafka.ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(10));
                }
            }
        }

        producer.Flush(TimeSpan.FromMinutes(1));
        Assert.Equal(keys, delivered);
        Assert.Equal(0, mismatches);
    }
}
