using Confluent.Kafka;

namespace Tributary.Streaming.Kafka.Tests;

public sealed class KafkaRecordsTests
{
    [Fact]
    public void FromConsumeResult_RecordWithHeaders_KeepsPositionTimestampKeyValueAndHeaders()
    {
        var result = new ConsumeResult<byte[]?, byte[]?>
        {
            Topic = "pins",
            Partition = 7,
            Offset = 42,
            Message = new Message<byte[]?, byte[]?>
            {
                Key = [1, 2],
                Value = [3],
                Timestamp = new Timestamp(1_700_000_000_000, TimestampType.CreateTime),
                Headers = new Headers { { "source", [9] } },
            },
        };

        var record = KafkaRecords.FromConsumeResult(result);

        Assert.Equal(("pins", 7, 42L, 1_700_000_000_000L), (record.Topic, record.Partition, record.Offset, record.TimestampMs));
        Assert.Equal([1, 2], record.Key!);
        Assert.Equal([3], record.Value!);
        var header = Assert.Single(record.Headers!);
        Assert.Equal("source", header.Key);
        Assert.Equal([9], header.Value!);
    }

    [Fact]
    public void FromConsumeResult_NoHeaders_HasNullHeaders()
    {
        var result = new ConsumeResult<byte[]?, byte[]?>
        {
            Topic = "pins",
            Partition = 0,
            Offset = 0,
            Message = new Message<byte[]?, byte[]?> { Key = null, Value = null, Timestamp = new Timestamp(0, TimestampType.CreateTime) },
        };

        Assert.Null(KafkaRecords.FromConsumeResult(result).Headers);
    }
}
