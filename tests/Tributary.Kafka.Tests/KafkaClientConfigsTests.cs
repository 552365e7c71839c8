using Confluent.Kafka;

namespace Tributary.Kafka.Tests;

public sealed class KafkaClientConfigsTests
{
    [Fact]
    public void Consumer_NoFetchQueueBackoffSet_FetchesAgainWithin20Ms()
    {
        // librdkafka's default (1 s) made a partition whose prefetch queue filled trickle in one fetch a second.
        var config = KafkaClientConfigs.Consumer(Options(), "g", "t", AutoOffsetReset.Earliest);
        Assert.Equal("20", config.Get("fetch.queue.backoff.ms"));
        Assert.False(config.EnableAutoCommit);
    }

    [Fact]
    public void Consumer_FetchQueueBackoffInSettings_KeepsTheOperatorsValue()
    {
        var options = Options();
        options.ConsumerSettings["fetch.queue.backoff.ms"] = "250";
        Assert.Equal("250", KafkaClientConfigs.Consumer(options, "g", "t", AutoOffsetReset.Earliest).Get("fetch.queue.backoff.ms"));
    }

    private static KafkaClientOptions Options() => new() { BootstrapServers = "127.0.0.1:9092" };
}
