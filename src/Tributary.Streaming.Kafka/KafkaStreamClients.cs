using Confluent.Kafka;
using Tributary.Kafka;

namespace Tributary.Streaming.Kafka;

/// <summary>The librdkafka configurations of one provider's clients: its group, its client ids, its start offset.</summary>
internal static class KafkaStreamClients
{
    public static ConsumerConfig Consumer(string providerName, KafkaStreamOptions options, string clientIdSuffix)
        => KafkaClientConfigs.Consumer(
            options,
            options.EffectiveConsumerGroup(providerName),
            $"tributary-{providerName}-{clientIdSuffix}",
            options.StartOffset == KafkaStartOffset.Earliest ? AutoOffsetReset.Earliest : AutoOffsetReset.Latest);

    public static ProducerConfig Producer(string providerName, KafkaStreamOptions options)
        => KafkaClientConfigs.Producer(options, $"tributary-{providerName}-producer");

    public static AdminClientConfig Admin(string providerName, KafkaStreamOptions options)
        => KafkaClientConfigs.Admin(options, $"tributary-{providerName}-admin");
}
