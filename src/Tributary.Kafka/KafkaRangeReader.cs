using Confluent.Kafka;

namespace Tributary.Kafka;

/// <summary>
/// Reads a range [from, to) of one partition straight from Kafka, a chunk at a time: what a sink uses to re-read
/// from its durable checkpoint records that went to an activation that is gone. Blocking consume calls run on the
/// thread pool, so a grain can await <see cref="KafkaRangeReader{TRecord}.ReadChunkAsync"/> without blocking its
/// scheduler.
/// </summary>
public static class KafkaRangeReader
{
    /// <summary>
    /// Opens a reader of <paramref name="topic"/>[<paramref name="partition"/>] from <paramref name="from"/> up to (not
    /// including) <paramref name="to"/>, or to the current end of the partition with <see cref="long.MaxValue"/>.
    /// </summary>
    /// <typeparam name="TRecord">What each record is turned into.</typeparam>
    /// <param name="options">Bootstrap servers and librdkafka settings (the consumer settings apply).</param>
    /// <param name="groupId">A consumer group that never commits (librdkafka requires one).</param>
    /// <param name="topic">The topic.</param>
    /// <param name="partition">The partition.</param>
    /// <param name="from">First offset to read.</param>
    /// <param name="to">Offset to stop before.</param>
    /// <param name="project">Turns a consumed record into a <typeparamref name="TRecord"/>; called on the reading thread.</param>
    public static KafkaRangeReader<TRecord> Open<TRecord>(
        KafkaClientOptions options, string groupId, string topic, int partition, long from, long to, Func<ConsumeResult<byte[]?, byte[]?>, TRecord> project)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(project);
        var consumer = new ConsumerBuilder<byte[]?, byte[]?>(KafkaClientConfigs.RangeConsumer(options, groupId)).SetLogHandler((_, _) => { }).Build();
        consumer.Assign(new TopicPartitionOffset(topic, partition, from));
        return new KafkaRangeReader<TRecord>(consumer, topic, partition, from, to, project);
    }
}

/// <summary>An open range of one partition (see <see cref="KafkaRangeReader.Open"/>); dispose when done.</summary>
/// <typeparam name="TRecord">What each record is turned into.</typeparam>
public sealed class KafkaRangeReader<TRecord> : IDisposable
{
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(30);
    private readonly IConsumer<byte[]?, byte[]?> _consumer;
    private readonly Func<ConsumeResult<byte[]?, byte[]?>, TRecord> _project;
    private readonly string _topic;
    private readonly int _partition;
    private readonly long _from;
    private readonly long _to;
    private long _last;

    internal KafkaRangeReader(IConsumer<byte[]?, byte[]?> consumer, string topic, int partition, long from, long to, Func<ConsumeResult<byte[]?, byte[]?>, TRecord> project)
    {
        _consumer = consumer;
        _topic = topic;
        _partition = partition;
        _from = from;
        _to = to;
        _project = project;
        _last = from - 1;
    }

    /// <summary>
    /// Up to <paramref name="max"/> next records of the range, and whether the range is done (its end, or the end of the
    /// partition, was reached). Throws <see cref="TimeoutException"/> when no record arrives for 30 s before the end.
    /// </summary>
    /// <param name="max">Most records in one chunk.</param>
    public Task<(List<TRecord> Records, bool Done)> ReadChunkAsync(int max) => Task.Run(() => ReadChunk(max));

    /// <inheritdoc />
    public void Dispose() => _consumer.Dispose(); // it never joined a group (Assign) nor committed: nothing to close

    private (List<TRecord> Records, bool Done) ReadChunk(int max)
    {
        var records = new List<TRecord>(Math.Min(max, 16_384));
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

            records.Add(_project(result));
            _last = result.Offset.Value;
            if (_last == _to - 1)
            {
                return (records, true);
            }
        }

        return (records, false);
    }
}
