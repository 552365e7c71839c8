using Confluent.Kafka;
using Orleans.Streams;

namespace Tributary.Streaming.Kafka;

/// <summary>The receiver of one queue: drains its partition's fetch buffer into batch containers.</summary>
internal sealed class KafkaQueueAdapterReceiver(KafkaProviderRuntime runtime, KafkaQueueMapper mapper, QueueId queueId) : IQueueAdapterReceiver
{
    // The pulling agent asks for "unlimited" with -1; a bound keeps each turn short.
    private const int MaxBatchesPerRead = 64;
    private readonly (string Topic, int Partition) _partition = KafkaQueueMapper.Decode(queueId);
    private PartitionBuffer? _buffer;

    public async Task Initialize(TimeSpan timeout)
    {
        var (topic, partition) = _partition;
        _buffer = await runtime.Fetcher.AssignAsync(new TopicPartition(topic, partition), timeout, CancellationToken.None).ConfigureAwait(false);
    }

    public Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount)
    {
        var buffer = _buffer;
        if (buffer is null || buffer.Count == 0)
        {
            return Task.FromResult<IList<IBatchContainer>>([]);
        }

        var limit = maxCount is QueueAdapterConstants.UNLIMITED_GET_QUEUE_MSG or > MaxBatchesPerRead ? MaxBatchesPerRead : Math.Max(1, maxCount);
        var stream = mapper.StreamFor(_partition.Topic, _partition.Partition);
        var batches = new List<IBatchContainer>(Math.Min(limit, buffer.Count / runtime.Options.BatchSize + 1));
        while (batches.Count < limit && buffer.TakeBatch(runtime.Options.BatchSize) is { } records)
        {
            batches.Add(new KafkaBatchContainer(stream, records));
        }

        runtime.Fetcher.ResumeIfDrained(buffer);
        return Task.FromResult<IList<IBatchContainer>>(batches);
    }

    // Delivery is not durability: only the consumer's reported checkpoint moves the committed offset.
    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages) => Task.CompletedTask;

    public Task Shutdown(TimeSpan timeout)
    {
        if (_buffer is { } buffer)
        {
            runtime.Fetcher.Unassign(buffer);
            _buffer = null;
        }

        return Task.CompletedTask;
    }
}
