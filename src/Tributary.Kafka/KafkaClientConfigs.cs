using Confluent.Kafka;

namespace Tributary.Kafka;

/// <summary>
/// Builds librdkafka client configurations from <see cref="KafkaClientOptions"/>: the passthrough settings merged
/// (common, then client-specific), and the defaults Tributary changes unless the operator set them.
/// </summary>
public static class KafkaClientConfigs
{
    /// <summary>
    /// A tailing consumer that never commits by itself: offsets are committed only from checkpoints that
    /// consumers report durable.
    /// </summary>
    /// <param name="options">Bootstrap servers and librdkafka settings.</param>
    /// <param name="groupId">The consumer group whose committed offsets are the checkpoints.</param>
    /// <param name="clientId">librdkafka <c>client.id</c>.</param>
    /// <param name="autoOffsetReset">Where a group without a committed offset starts.</param>
    public static ConsumerConfig Consumer(KafkaClientOptions options, string groupId, string clientId, AutoOffsetReset autoOffsetReset)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = new ConsumerConfig(Merge(options.Settings, options.ConsumerSettings))
        {
            BootstrapServers = options.BootstrapServers,
            GroupId = groupId,
            ClientId = clientId,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = autoOffsetReset,
            EnablePartitionEof = false,
        };
        // Latency matters more than fetch efficiency at the tail; throughput comes from prefetching.
        config.FetchWaitMaxMs ??= 50;
        config.QueuedMinMessages ??= 20_000;

        // Once a partition's prefetch queue passes queued.min.messages or queued.max.messages.kbytes, librdkafka waits
        // fetch.queue.backoff.ms (1 s by default) before fetching it again: a partition then trickles in one fetch a
        // second. The stream provider bounds memory with its own per-partition buffer, so fetch again soon.
        if (config.Get("fetch.queue.backoff.ms") is null)
        {
            config.Set("fetch.queue.backoff.ms", "20");
        }

        return config;
    }

    /// <summary>
    /// A consumer that reads an assigned range and stops at the end of the partition (partition EOF reported); it
    /// never commits, and a start below the log start (retention) resumes at the oldest record, never at the end.
    /// </summary>
    /// <param name="options">Bootstrap servers and librdkafka settings.</param>
    /// <param name="groupId">A consumer group that is never committed to (librdkafka requires one).</param>
    public static ConsumerConfig RangeConsumer(KafkaClientOptions options, string groupId)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new ConsumerConfig(Merge(options.Settings, options.ConsumerSettings))
        {
            BootstrapServers = options.BootstrapServers,
            GroupId = groupId,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            EnablePartitionEof = true,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        };
    }

    /// <summary>A producer that partitions like the Java client (<see cref="Murmur2Partitioner"/>), idempotent.</summary>
    /// <param name="options">Bootstrap servers and librdkafka settings.</param>
    /// <param name="clientId">librdkafka <c>client.id</c>.</param>
    public static ProducerConfig Producer(KafkaClientOptions options, string clientId)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = new ProducerConfig(Merge(options.Settings, options.ProducerSettings))
        {
            BootstrapServers = options.BootstrapServers,
            ClientId = clientId,
        };
        // Same partitioner as Murmur2Partitioner and the Java client, for records we let librdkafka place.
        config.Partitioner ??= Partitioner.Murmur2Random;
        config.LingerMs ??= 5;
        config.EnableIdempotence ??= true;
        return config;
    }

    /// <summary>An admin client (metadata, topic management) with the common settings.</summary>
    /// <param name="options">Bootstrap servers and librdkafka settings.</param>
    /// <param name="clientId">librdkafka <c>client.id</c>.</param>
    public static AdminClientConfig Admin(KafkaClientOptions options, string clientId)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(Merge(options.Settings, new Dictionary<string, string>()))
        {
            BootstrapServers = options.BootstrapServers,
            ClientId = clientId,
        };
    }

    private static Dictionary<string, string> Merge(Dictionary<string, string> common, Dictionary<string, string> specific)
    {
        var merged = new Dictionary<string, string>(common, StringComparer.Ordinal);
        foreach (var (key, value) in specific)
        {
            merged[key] = value;
        }

        return merged;
    }
}
