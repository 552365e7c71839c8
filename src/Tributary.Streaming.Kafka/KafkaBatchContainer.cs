using System.Text;
using System.Text.Json;
using Orleans.Providers.Streams.Common;
using Orleans.Streams;

namespace Tributary.Streaming.Kafka;

/// <summary>
/// Consecutive records of one Kafka partition, delivered to the partition's consumer in one grain call.
/// The batch's sequence token is its first offset; each record's token is its own offset.
/// </summary>
[GenerateSerializer, Immutable, Alias("tributary.KafkaBatchContainer")]
public sealed class KafkaBatchContainer : IBatchContainer
{
    /// <summary>Creates a batch; <paramref name="records"/> must be non-empty and in offset order.</summary>
    public KafkaBatchContainer(StreamId streamId, KafkaRecord[] records)
    {
        StreamId = streamId;
        Records = records;
        Token = new EventSequenceTokenV2(records[0].Offset);
    }

    /// <inheritdoc />
    [Id(0)] public StreamId StreamId { get; }

    /// <summary>The records, in offset order.</summary>
    [Id(1)] public KafkaRecord[] Records { get; }

    [Id(2)] internal EventSequenceTokenV2 Token { get; private set; }

    /// <inheritdoc />
    public StreamSequenceToken SequenceToken => Token;

    /// <summary>First offset of the batch.</summary>
    public long FirstOffset => Records[0].Offset;

    /// <summary>Last offset of the batch.</summary>
    public long LastOffset => Records[^1].Offset;

    /// <summary>
    /// The records as <typeparamref name="T"/>: <see cref="KafkaRecord"/> (everything), <c>byte[]</c>
    /// (the value), <c>string</c> (the value as UTF-8), or any other type deserialized from JSON values.
    /// </summary>
    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>()
    {
        foreach (var record in Records)
        {
            var token = new EventSequenceTokenV2(record.Offset);
            if (record is T asRecord)
            {
                yield return Tuple.Create(asRecord, (StreamSequenceToken)token);
            }
            else if (typeof(T) == typeof(byte[]))
            {
                yield return Tuple.Create((T)(object)(record.Value ?? []), (StreamSequenceToken)token);
            }
            else if (typeof(T) == typeof(string))
            {
                yield return Tuple.Create((T)(object)Encoding.UTF8.GetString(record.Value ?? []), (StreamSequenceToken)token);
            }
            else if (record.Value is { Length: > 0 } value && JsonSerializer.Deserialize<T>(value) is { } item)
            {
                yield return Tuple.Create(item, (StreamSequenceToken)token);
            }
        }
    }

    /// <inheritdoc />
    public bool ImportRequestContext() => false;

    /// <inheritdoc />
    public override string ToString() => $"KafkaBatchContainer({StreamId}, offsets {FirstOffset}..{LastOffset}, {Records.Length} records)";
}
