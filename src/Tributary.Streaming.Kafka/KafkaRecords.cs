using Confluent.Kafka;

namespace Tributary.Streaming.Kafka;

/// <summary>Turns consumed Confluent records into the <see cref="KafkaRecord"/> contract that grains receive.</summary>
public static class KafkaRecords
{
    /// <summary>
    /// The <see cref="KafkaRecord"/> of <paramref name="result"/> (position, timestamp, key, value, headers); the
    /// projection to pass to <see cref="Tributary.Kafka.KafkaRangeReader.Open"/> when replaying into a sink.
    /// </summary>
    public static KafkaRecord FromConsumeResult(ConsumeResult<byte[]?, byte[]?> result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return FromConsumeResult(result, result.Topic);
    }

    /// <summary>As <see cref="FromConsumeResult(ConsumeResult{byte[], byte[]})"/>, sharing one topic string across records.</summary>
    internal static KafkaRecord FromConsumeResult(ConsumeResult<byte[]?, byte[]?> result, string topic)
    {
        var message = result.Message;
        KafkaHeader[]? headers = null;
        if (message.Headers is { Count: > 0 } h)
        {
            headers = new KafkaHeader[h.Count];
            for (var i = 0; i < h.Count; i++)
            {
                headers[i] = new KafkaHeader(h[i].Key, h[i].GetValueBytes());
            }
        }

        return new KafkaRecord
        {
            Topic = topic,
            Partition = result.Partition.Value,
            Offset = result.Offset.Value,
            TimestampMs = message.Timestamp.UnixTimestampMs,
            Key = message.Key,
            Value = message.Value,
            Headers = headers,
        };
    }
}
