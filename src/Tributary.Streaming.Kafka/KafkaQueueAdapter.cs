using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Orleans.Streams;

namespace Tributary.Streaming.Kafka;

/// <summary>
/// Reads partitions through <see cref="KafkaQueueAdapterReceiver"/> and writes events published with
/// <c>OnNextAsync</c> to Kafka, keyed and partitioned like any Java-compatible producer would.
/// </summary>
internal sealed class KafkaQueueAdapter(KafkaProviderRuntime runtime, KafkaQueueMapper mapper) : IQueueAdapter
{
    public string Name => runtime.Name;

    // The Orleans cache cannot rewind past what it holds; replays come from Kafka offsets instead.
    public bool IsRewindable => false;

    public StreamProviderDirection Direction => StreamProviderDirection.ReadWrite;

    public IQueueAdapterReceiver CreateReceiver(QueueId queueId) => new KafkaQueueAdapterReceiver(runtime, mapper, queueId);

    public async Task QueueMessageBatchAsync<T>(StreamId streamId, IEnumerable<T> events, StreamSequenceToken? token, Dictionary<string, object>? requestContext)
    {
        if (token is not null)
        {
            throw new ArgumentException("Kafka assigns offsets itself; publish without a sequence token.", nameof(token));
        }

        var (topic, partition) = mapper.PartitionForStream(streamId, out var streamKey);
        var target = new TopicPartition(topic, partition);
        var producer = runtime.Producer;
        var pending = new List<Task<DeliveryResult<byte[]?, byte[]?>>>();
        foreach (var item in events)
        {
            pending.Add(producer.ProduceAsync(target, ToMessage(item, streamKey)));
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
    }

    private static Message<byte[]?, byte[]?> ToMessage<T>(T item, byte[]? streamKey)
    {
        switch (item)
        {
            case KafkaRecord record:
                Headers? headers = null;
                if (record.Headers is { Length: > 0 })
                {
                    headers = [];
                    foreach (var header in record.Headers)
                    {
                        headers.Add(header.Key, header.Value);
                    }
                }

                return new Message<byte[]?, byte[]?> { Key = record.Key ?? streamKey, Value = record.Value, Headers = headers };
            case byte[] bytes:
                return new Message<byte[]?, byte[]?> { Key = streamKey, Value = bytes };
            case string text:
                return new Message<byte[]?, byte[]?> { Key = streamKey, Value = Encoding.UTF8.GetBytes(text) };
            default:
                return new Message<byte[]?, byte[]?> { Key = streamKey, Value = JsonSerializer.SerializeToUtf8Bytes(item) };
        }
    }
}
