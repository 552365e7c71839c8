using System.Text;
using Orleans.Streams;
using Tributary.Kafka;

namespace Tributary.Streaming.Kafka;

/// <summary>
/// Maps Kafka partitions to Orleans queues one to one. A record's stream is
/// (namespace = topic or the configured namespace, key = <c>{topic}/{partition}</c>), so the single
/// implicit subscriber of a partition is one grain activation. Streams keyed otherwise (a service
/// publishing to <c>(topic, pinId)</c>) map to the partition murmur2 gives their key, exactly as a
/// Java or librdkafka producer would place it.
/// </summary>
public sealed class KafkaQueueMapper : IConsistentRingStreamQueueMapper
{
    private readonly QueueId[] _queues;
    private readonly Dictionary<(string Topic, int Partition), QueueId> _byPartition = new();
    private readonly KafkaTopology _topology;
    private readonly string? _streamNamespace;

    /// <summary>Creates the mapper for <paramref name="topology"/>.</summary>
    public KafkaQueueMapper(KafkaTopology topology, string? streamNamespace)
    {
        _topology = topology;
        _streamNamespace = streamNamespace;
        var all = topology.AllPartitions().ToArray();
        _queues = new QueueId[all.Length];
        for (var i = 0; i < all.Length; i++)
        {
            // Spread queues evenly over the ring so the consistent-ring balancer splits them evenly.
            var hash = (uint)((ulong)i * (1UL << 32) / (ulong)all.Length);
            var queue = QueueId.GetQueueId(all[i].Topic, (uint)all[i].Partition, hash);
            _queues[i] = queue;
            _byPartition[all[i]] = queue;
        }
    }

    /// <inheritdoc />
    public IEnumerable<QueueId> GetAllQueues() => _queues;

    /// <inheritdoc />
    public IEnumerable<QueueId> GetQueuesForRange(IRingRange range)
        => _queues.Where(q => range.InRange(q.GetUniformHashCode()));

    /// <inheritdoc />
    public QueueId GetQueueForStream(StreamId streamId)
    {
        var (topic, partition) = PartitionForStream(streamId, out _);
        return _byPartition[(topic, partition)];
    }

    /// <summary>The queue of one Kafka partition.</summary>
    public QueueId QueueFor(string topic, int partition) => _byPartition[(topic, partition)];

    /// <summary>The Kafka (topic, partition) a queue stands for.</summary>
    public static (string Topic, int Partition) Decode(QueueId queue)
        => (queue.GetStringNamePrefix(), (int)queue.GetNumericId());

    /// <summary>The stream that carries the records of one partition.</summary>
    public StreamId StreamFor(string topic, int partition)
        => StreamId.Create(_streamNamespace ?? topic, TopicPartitionKey.Format(topic, partition));

    /// <summary>
    /// The partition a stream's records go to. <paramref name="recordKey"/> is the Kafka key to write:
    /// null for partition streams, the UTF-8 stream key for keyed streams.
    /// </summary>
    public (string Topic, int Partition) PartitionForStream(StreamId streamId, out byte[]? recordKey)
    {
        var key = streamId.GetKeyAsString();
        if (TopicPartitionKey.TryParse(key, out var topic, out var partition) && _topology.Contains(topic))
        {
            if (partition >= _topology.PartitionCount(topic))
            {
                throw new ArgumentException($"Stream '{streamId}' names partition {partition} of '{topic}', which has {_topology.PartitionCount(topic)} partitions.", nameof(streamId));
            }

            recordKey = null;
            return (topic, partition);
        }

        var ns = streamId.GetNamespace();
        if (ns is null || !_topology.Contains(ns))
        {
            throw new ArgumentException(
                $"Stream '{streamId}' cannot be mapped to a Kafka partition: its namespace must be one of the provider's topics ({string.Join(", ", _topology.Topics)}) or its key '{{topic}}/{{partition}}'.",
                nameof(streamId));
        }

        recordKey = Encoding.UTF8.GetBytes(key);
        return (ns, Murmur2Partitioner.Partition(recordKey, _topology.PartitionCount(ns)));
    }
}
