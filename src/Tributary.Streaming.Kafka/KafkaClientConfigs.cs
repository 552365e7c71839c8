using Confluent.Kafka;

namespace Tributary.Streaming.Kafka;

/// <summary>Builds the librdkafka configurations of a provider's clients from its options.</summary>
internal static class KafkaClientConfigs
{
    public static ConsumerConfig Consumer(string providerName, KafkaStreamOptions options, string clientIdSuffix)
    {
        var config = new ConsumerConfig(Merge(options.Settings, options.ConsumerSettings))
        {
            BootstrapServers = options.BootstrapServers,
            GroupId = options.EffectiveConsumerGroup(providerName),
            ClientId = $"tributary-{providerName}-{clientIdSuffix}",
            // Offsets are committed only from checkpoints that consumers report durable.
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = options.StartOffset == KafkaStartOffset.Earliest ? AutoOffsetReset.Earliest : AutoOffsetReset.Latest,
            EnablePartitionEof = false,
        };
        // Latency matters more than fetch efficiency at the tail; throughput comes from prefetching.
        config.FetchWaitMaxMs ??= 50;
        config.QueuedMinMessages ??= 20_000;

        // Once a partition's prefetch queue passes queued.min.messages or queued.max.messages.kbytes, librdkafka waits
        // fetch.queue.backoff.ms (1 s by default) before fetching it again: a partition then trickles in one fetch a
        // second. The provider bounds memory with its own per-partition buffer, so fetch again soon.
        if (config.Get("fetch.queue.backoff.ms") is null)
        {
            config.Set("fetch.queue.backoff.ms", "20");
        }

        return config;
    }

    public static ProducerConfig Producer(string providerName, KafkaStreamOptions options)
    {
        var config = new ProducerConfig(Merge(options.Settings, options.ProducerSettings))
        {
            BootstrapServers = options.BootstrapServers,
            ClientId = $"tributary-{providerName}-producer",
        };
        // Same partitioner as Murmur2Partitioner and the Java client, for records we let librdkafka place.
        config.Partitioner ??= Partitioner.Murmur2Random;
        config.LingerMs ??= 5;
        config.EnableIdempotence ??= true;
        return config;
    }

    public static AdminClientConfig Admin(string providerName, KafkaStreamOptions options)
        => new(Merge(options.Settings, new Dictionary<string, string>()))
        {
            BootstrapServers = options.BootstrapServers,
            ClientId = $"tributary-{providerName}-admin",
        };

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
