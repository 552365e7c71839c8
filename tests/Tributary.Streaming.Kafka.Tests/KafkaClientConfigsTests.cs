namespace Tributary.Streaming.Kafka.Tests;

public sealed class KafkaClientConfigsTests
{
    [Fact]
    public void Consumer_NoFetchQueueBackoffSet_FetchesAgainWithin20Ms()
    {
        // librdkafka's default (1 s) made a partition whose prefetch queue filled trickle in one fetch a second.
        var config = KafkaClientConfigs.Consumer("p", Options(), "t");
        Assert.Equal("20", config.Get("fetch.queue.backoff.ms"));
        Assert.False(config.EnableAutoCommit);
    }

    [Fact]
    public void Consumer_FetchQueueBackoffInSettings_KeepsTheOperatorsValue()
    {
        var options = Options();
        options.ConsumerSettings["fetch.queue.backoff.ms"] = "250";
        Assert.Equal("250", KafkaClientConfigs.Consumer("p", options, "t").Get("fetch.queue.backoff.ms"));
    }

    private static KafkaStreamOptions Options() => new() { BootstrapServers = "127.0.0.1:9092", Topics = ["t"] };
}
