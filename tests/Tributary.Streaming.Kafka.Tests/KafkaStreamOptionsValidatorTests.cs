namespace Tributary.Streaming.Kafka.Tests;

public sealed class KafkaStreamOptionsValidatorTests
{
    private static KafkaStreamOptions Valid() => new() { BootstrapServers = "127.0.0.1:9092", Topics = ["pin_engagement"] };

    [Fact]
    public void Validate_ValidOptions_Succeeds()
    {
        Assert.True(new KafkaStreamOptionsValidator().Validate("s", Valid()).Succeeded);
    }

    [Theory]
    [InlineData("", "BootstrapServers is required")]
    [InlineData("localhost", "BootstrapServers entry 'localhost' is not host:port")]
    [InlineData("h:99999", "BootstrapServers entry 'h:99999'")]
    public void Validate_BadBootstrapServers_NamesTheSetting(string servers, string message)
    {
        var options = Valid();
        options.BootstrapServers = servers;
        var result = new KafkaStreamOptionsValidator().Validate("s", options);
        Assert.True(result.Failed);
        Assert.Contains(message, result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Kafka stream provider 's'", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NoTopicsOrIllegalTopic_NamesTopics()
    {
        var none = Valid();
        none.Topics = [];
        Assert.Contains("KafkaStreamOptions.Topics must name at least one topic", new KafkaStreamOptionsValidator().Validate("s", none).FailureMessage, StringComparison.Ordinal);
        var bad = Valid();
        bad.Topics = ["has space"];
        Assert.Contains("Topics entry 'has space'", new KafkaStreamOptionsValidator().Validate("s", bad).FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ReservedPassthroughSetting_IsRejected()
    {
        var options = Valid();
        options.ConsumerSettings["enable.auto.commit"] = "true";
        Assert.Contains("ConsumerSettings['enable.auto.commit'] is managed by the provider", new KafkaStreamOptionsValidator().Validate("s", options).FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BatchAndBuffer_AreChecked()
    {
        var options = Valid();
        options.BatchSize = 0;
        Assert.Contains("BatchSize must be between", new KafkaStreamOptionsValidator().Validate("s", options).FailureMessage, StringComparison.Ordinal);
        options.BatchSize = 5000;
        options.MaxBufferedRecordsPerPartition = 100;
        Assert.Contains("MaxBufferedRecordsPerPartition (100) must be at least BatchSize (5000)", new KafkaStreamOptionsValidator().Validate("s", options).FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WithSection_NamesTheKeysAsConfigured()
    {
        var options = Valid();
        options.BatchSize = 0;
        options.ConsumerSettings["group.id"] = "mine";
        var failures = new KafkaStreamOptionsValidator("stats", "Tributary:Streams:stats").Validate("stats", options).Failures!;
        Assert.Contains(failures, f => f.StartsWith("Kafka stream provider 'stats': Tributary:Streams:stats:BatchSize must be between", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Tributary:Streams:stats:ConsumerSettings:group.id is managed by the provider", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_WithProviderName_SkipsOtherProviders()
    {
        var options = Valid();
        options.BatchSize = 0;
        Assert.True(new KafkaStreamOptionsValidator("stats", "Tributary:Streams:stats").Validate("segments", options).Skipped);
    }

    [Fact]
    public void Redact_HidesSecrets()
    {
        var text = KafkaStreamOptions.Redact(new Dictionary<string, string> { ["sasl.password"] = "hunter2", ["ssl.key.password"] = "k", ["sasl.username"] = "svc" });
        Assert.DoesNotContain("hunter2", text, StringComparison.Ordinal);
        Assert.Contains("sasl.username=svc", text, StringComparison.Ordinal);
    }
}
