
using Microsoft.Extensions.Logging;

namespace Tributary.Streaming.Kafka;

internal static partial class KafkaLog
{
    [LoggerMessage(1001, LogLevel.Warning, "Kafka provider {Provider}: client error {Code}: {Reason}")]
    public static partial void ClientError(ILogger logger, string provider, Confluent.Kafka.ErrorCode code, string reason);

    [LoggerMessage(1002, LogLevel.Debug, "Kafka provider {Provider}: librdkafka {Facility}: {Message}")]
    public static partial void ClientLog(ILogger logger, string provider, string facility, string message);

    [LoggerMessage(1003, LogLevel.Information, "Reading {Topic}[{Partition}] from offset {Offset} (negative: start position)")]
    public static partial void PartitionAssigned(ILogger logger, string topic, int partition, long offset);

    [LoggerMessage(1004, LogLevel.Warning, "Consume failed at {Position}")]
    public static partial void ConsumeFailed(ILogger logger, string position, Exception exception);

    [LoggerMessage(1005, LogLevel.Warning, "Committing checkpoints to Kafka failed; they are retried at the next interval")]
    public static partial void CommitFailed(ILogger logger, Exception exception);

    [LoggerMessage(1006, LogLevel.Error, "Delivery of {StreamId} at {Token} to subscription {SubscriptionId} gave up after the maximum delivery time; the consumer's checkpoint did not move past it, so a restart replays it")]
    public static partial void DeliveryFailed(ILogger logger, string streamId, string token, string subscriptionId);

    [LoggerMessage(1007, LogLevel.Information, "Kafka stream provider {Provider}: {Partitions} partitions over topics {Topics} on {Servers}; consumer group {Group}; settings: {Settings}")]
    public static partial void ProviderStarted(ILogger logger, string provider, int partitions, string topics, string servers, string group, string settings);
}
