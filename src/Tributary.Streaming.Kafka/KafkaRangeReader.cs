using Confluent.Kafka;

namespace Tributary.Streaming.Kafka;

/// <summary>
/// Reads a range [from, to) of one partition straight from Kafka, a chunk at a time: what a sink uses to re-read
/// from its durable checkpoint records that went to an activation that is gone. Blocking consume calls run on the
/// thread pool, so a grain can await <see cref="ReadChunkAsync"/> without blocking its scheduler.
/// </summary>
public sealed class KafkaRangeReader : IDisposable
{
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(30);
    private readonly IConsumer<byte[]?, byte[]?> _consumer;
    private readonly string _topic;
    private readonly int _partition;
    private readonly long _from;
    private readonly long _to;
    private long _last;

    private KafkaRangeReader(IConsumer<byte[]?, byte[]?> consumer, string topic, int partition, long from, long to)
    {
        _consumer = consumer;
        _topic = topic;
        _partition = partition;
        _from = from;
        _to = to;
        _last = from - 1;
    }

    /// <summary>
    /// Opens a reader of <paramref name="topic"/>[<paramref name="partition"/>] from <paramref name="from"/> up to (not
    /// including) <paramref name="to"/>, or to the current end of the partition with <see cref="long.MaxValue"/>.
    /// </summary>
    /// <param name="options">The provider's options (bootstrap servers and librdkafka settings).</param>
    /// <param name="groupId">A consumer group that never commits (librdkafka requires one).</param>
    /// <param name="topic">The topic.</param>
    /// <param name="partition">The partition.</param>
    /// <param name="from">First offset to read.</param>
    /// <param name="to">Offset to stop before.</param>
    public static KafkaRangeReader Open(KafkaStreamOptions options, string groupId, string topic, int partition, long from, long to)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = new Dictionary<string, string>(options.Settings, StringComparer.Ordinal);
        foreach (var (key, value) in options.ConsumerSettings)
        {
            settings[key] = value;
        }

        var config = new ConsumerConfig(settings)
        {
            BootstrapServers = options.BootstrapServers,
            GroupId = groupId,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            EnablePartitionEof = true,

            // A checkpoint below the log start (retention) resumes at the oldest record, never at the end.
            AutoOffsetReset = AutoOffsetReset.Earliest,
        };
        var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config).SetLogHandler((_, _) => { }).Build();
        consumer.Assign(new TopicPartitionOffset(topic, partition, from));
        return new KafkaRangeReader(consumer, topic, partition, from, to);
    }

    /// <summary>
    /// Up to <paramref name="max"/> next records of the range, and whether the range is done (its end, or the end of the
    /// partition, was reached). Throws <see cref="TimeoutException"/> when no record arrives for 30 s before the end.
    /// </summary>
    /// <param name="max">Most records in one chunk.</param>
    public Task<(List<KafkaRecord> Records, bool Done)> ReadChunkAsync(int max) => Task.Run(() => ReadChunk(max));

    /// <inheritdoc />
    public void Dispose() => _consumer.Dispose(); // it never joined a group (Assign) nor committed: nothing to close

    private (List<KafkaRecord> Records, bool Done) ReadChunk(int max)
    {
        var records = new List<KafkaRecord>(Math.Min(max, 16_384));
        var deadline = DateTime.UtcNow + Stall;
        while (records.Count < max)
        {
            var result = _consumer.Consume(PollTimeout);
            if (result is null)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"replaying {_topic}[{_partition}] from {_from}: no record after offset {_last} within {Stall.TotalSeconds:0} s");
                }

                continue;
            }

            if (result.IsPartitionEOF || result.Offset.Value >= _to)
            {
                return (records, true);
            }

            var message = result.Message;
            records.Add(new KafkaRecord
            {
                Topic = _topic,
                Partition = _partition,
                Offset = result.Offset.Value,
                TimestampMs = message.Timestamp.UnixTimestampMs,
                Key = message.Key,
                Value = message.Value,
                Headers = message.Headers is { Count: > 0 } h ? [.. h.Select(x => new KafkaHeader(x.Key, x.GetValueBytes()))] : null,
            });
            _last = result.Offset.Value;
            if (_last == _to - 1)
            {
                return (records, true);
            }
        }

        return (records, false);
    }
}
