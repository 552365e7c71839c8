using Tributary.Grains.Streaming;

namespace Tributary.Grains.Tests;

/// <summary>The names partition sinks write outside themselves keep their exact shape.</summary>
public sealed class PartitionSinkNamesTests
{
    [Theory]
    [InlineData("segments", "pin_engagement", 3, "tributary-segments-replay-pin_engagement-3")]
    [InlineData("archive", "pins", 0, "tributary-archive-replay-pins-0")]
    public void ReplayConsumerGroup_SinkTopicPartition_KeepsTheHistoricalName(string sink, string topic, int partition, string expected)
        => Assert.Equal(expected, PartitionSinkNames.ReplayConsumerGroup(sink, topic, partition));

    [Fact]
    public void DeadLetterSource_Record_IsTopicSlashPartitionAtOffset()
        => Assert.Equal("pins/12@1234567890123", PartitionSinkNames.DeadLetterSource("pins", 12, 1_234_567_890_123));

    [Theory]
    [InlineData("pins", 12, 1_234_567_890_123L)]
    [InlineData("a/b@c", 0, 0L)]
    public void TryParseDeadLetterSource_FormattedValue_RoundTrips(string topic, int partition, long offset)
    {
        Assert.True(PartitionSinkNames.TryParseDeadLetterSource(PartitionSinkNames.DeadLetterSource(topic, partition, offset), out var t, out var p, out var o));
        Assert.Equal((topic, partition, offset), (t, p, o));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("pins")]
    [InlineData("pins/3")]
    [InlineData("/3@4")]
    [InlineData("pins/x@4")]
    [InlineData("pins/3@-4")]
    public void TryParseDeadLetterSource_Malformed_ReturnsFalse(string? value)
        => Assert.False(PartitionSinkNames.TryParseDeadLetterSource(value, out _, out _, out _));
}
