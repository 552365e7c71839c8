namespace Tributary.Abstractions.Tests;

public sealed class TopicPartitionKeyTests
{
    [Theory]
    [InlineData("pin_engagement", 0)]
    [InlineData("a.b-c_d", 15)]
    [InlineData("x", 2_000_000)]
    public void Parse_FormattedKey_RoundTrips(string topic, int partition)
    {
        Assert.Equal((topic, partition), TopicPartitionKey.Parse(TopicPartitionKey.Format(topic, partition)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/3")]
    [InlineData("topic/")]
    [InlineData("topic/-1")]
    [InlineData("topic/x")]
    [InlineData("topic")]
    public void Parse_MalformedKey_ThrowsNamingTheKey(string key)
    {
        var ex = Assert.Throws<FormatException>(() => TopicPartitionKey.Parse(key));
        Assert.Contains($"'{key}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_NegativePartition_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TopicPartitionKey.Format("t", -1));
    }
}
