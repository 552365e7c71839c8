using System.Text;
using Tributary.Kafka;

namespace Tributary.Streaming.Kafka.Tests;

public sealed class KafkaQueueMapperTests
{
    private static readonly KafkaTopology Topology = new(new Dictionary<string, int> { ["pins"] = 16, ["users"] = 3 });

    [Fact]
    public void GetAllQueues_OneQueuePerPartition_DecodesBack()
    {
        var mapper = new KafkaQueueMapper(Topology, null);
        var queues = mapper.GetAllQueues().ToArray();
        Assert.Equal(19, queues.Length);
        Assert.Equal(19, queues.Select(q => q.GetUniformHashCode()).Distinct().Count());
        Assert.Contains(("users", 2), queues.Select(KafkaQueueMapper.Decode));
    }

    [Fact]
    public void GetQueueForStream_PartitionStream_MapsToThatPartition()
    {
        var mapper = new KafkaQueueMapper(Topology, "ns");
        var stream = mapper.StreamFor("pins", 11);
        Assert.Equal("ns", stream.GetNamespace());
        Assert.Equal(("pins", 11), KafkaQueueMapper.Decode(mapper.GetQueueForStream(stream)));
    }

    [Fact]
    public void GetQueueForStream_KeyedStream_MapsByMurmur2LikeProducers()
    {
        var mapper = new KafkaQueueMapper(Topology, null);
        foreach (var key in new[] { "1234567", "pin-9", "ünïcode" })
        {
            var (topic, partition) = KafkaQueueMapper.Decode(mapper.GetQueueForStream(StreamId.Create("pins", key)));
            Assert.Equal("pins", topic);
            Assert.Equal(Murmur2Partitioner.Partition(Encoding.UTF8.GetBytes(key), 16), partition);
        }
    }

    [Fact]
    public void GetQueueForStream_UnknownNamespace_ThrowsNamingTheTopics()
    {
        var mapper = new KafkaQueueMapper(Topology, null);
        var ex = Assert.Throws<ArgumentException>(() => mapper.GetQueueForStream(StreamId.Create("elsewhere", "k")));
        Assert.Contains("pins, users", ex.Message, StringComparison.Ordinal);
    }
}
