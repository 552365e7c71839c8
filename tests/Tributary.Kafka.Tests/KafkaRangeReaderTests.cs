using System.Text;
using Confluent.Kafka;
using Tributary.TestKit;

namespace Tributary.Kafka.Tests;

public sealed class KafkaRangeReaderTests
{
    [Fact]
    public async Task ReadChunkAsync_BoundedRange_ReturnsExactlyThatRangeInChunks()
    {
        var topic = Produce(250);
        using var reader = KafkaRangeReader.Open(Options(), "range-" + Guid.NewGuid().ToString("N"), topic, 0, from: 40, to: 190, Project);
        var offsets = await ReadAllAsync(reader, chunk: 60);
        Assert.Equal(Enumerable.Range(40, 150).Select(o => (long)o), offsets);
    }

    [Fact]
    public async Task ReadChunkAsync_ToTheEnd_StopsAtTheEndOfThePartition()
    {
        var topic = Produce(120);
        using var reader = KafkaRangeReader.Open(Options(), "range-" + Guid.NewGuid().ToString("N"), topic, 0, from: 100, to: long.MaxValue, Project);
        var offsets = await ReadAllAsync(reader, chunk: 1_000);
        Assert.Equal(Enumerable.Range(100, 20).Select(o => (long)o), offsets);
    }

    private static async Task<List<long>> ReadAllAsync(KafkaRangeReader<(long Offset, byte[]? Value)> reader, int chunk)
    {
        var offsets = new List<long>();
        var done = false;
        while (!done)
        {
            (var records, done) = await reader.ReadChunkAsync(chunk);
            Assert.InRange(records.Count, 0, chunk);
            offsets.AddRange(records.Select(r => r.Offset));
            Assert.All(records, r => Assert.Equal($"v{r.Offset}", Encoding.UTF8.GetString(r.Value!)));
        }

        return offsets;
    }

    private static string Produce(int count)
    {
        var topic = KafkaTestCluster.CreateTopic("range", 1);
        using var producer = KafkaTestCluster.CreateProducer();
        for (var i = 0; i < count; i++)
        {
            producer.Produce(new TopicPartition(topic, 0), new Message<byte[], byte[]> { Key = [], Value = Encoding.UTF8.GetBytes($"v{i}") });
        }

        producer.Flush(TimeSpan.FromMinutes(1));
        return topic;
    }

    private static (long Offset, byte[]? Value) Project(ConsumeResult<byte[]?, byte[]?> result) => (result.Offset.Value, result.Message.Value);

    private static KafkaClientOptions Options() => new()
    {
        BootstrapServers = KafkaTestCluster.BootstrapServers,
        Settings = { ["fetch.wait.max.ms"] = "10" },
    };
}
