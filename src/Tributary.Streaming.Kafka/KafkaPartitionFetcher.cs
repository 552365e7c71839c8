using System.Collections.Concurrent;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Tributary.Streaming.Kafka;

/// <summary>
/// One Kafka consumer per silo and provider, shared by all the partitions (queues) the silo owns.
/// A dedicated thread runs the blocking <c>Consume</c> loop and appends records to per-partition
/// buffers; receivers drain those buffers on the Orleans scheduler without ever blocking it.
/// A partition whose buffer is full is paused (back pressure) and resumed once drained to half.
/// </summary>
internal sealed class KafkaPartitionFetcher : IDisposable
{
    private readonly IConsumer<byte[]?, byte[]?> _consumer;
    private readonly ConcurrentDictionary<TopicPartition, PartitionBuffer> _buffers = new();
    private readonly KafkaStreamOptions _options;
    private readonly ILogger _logger;
    private readonly Thread _thread;
    private readonly Lock _assignmentLock = new();
    private readonly string _providerName;
    private volatile bool _stopping;

    public KafkaPartitionFetcher(string providerName, KafkaStreamOptions options, ILogger logger)
    {
        _providerName = providerName;
        _options = options;
        _logger = logger;
        _consumer = new ConsumerBuilder<byte[]?, byte[]?>(KafkaStreamClients.Consumer(providerName, options, $"fetch-{Environment.ProcessId}"))
            .SetErrorHandler((_, error) => KafkaLog.ClientError(_logger, providerName, error.Code, error.Reason))
            .SetLogHandler((_, m) => KafkaLog.ClientLog(_logger, providerName, m.Facility, m.Message))
            .Build();
        _thread = new Thread(PollLoop) { IsBackground = true, Name = $"kafka-fetch-{providerName}" };
        _thread.Start();
    }

    /// <summary>Partitions this silo currently reads.</summary>
    public IReadOnlyCollection<TopicPartition> Assigned => _buffers.Keys.ToArray();

    /// <summary>Assigned partitions with the cached high watermark (no broker round trip) and the buffered count.</summary>
    public IEnumerable<(string Topic, int Partition, long HighWatermark, int Buffered, long Records, long Bytes)> Positions()
    {
        foreach (var (partition, buffer) in _buffers)
        {
            long high;
            try
            {
                high = _consumer.GetWatermarkOffsets(partition)?.High.Value ?? -1;
            }
            catch (ObjectDisposedException)
            {
                yield break;
            }

            yield return (partition.Topic, partition.Partition.Value, high, buffer.Count, Volatile.Read(ref buffer.FetchedRecords), Volatile.Read(ref buffer.FetchedBytes));
        }
    }

    /// <summary>
    /// Starts reading <paramref name="partition"/> at its committed offset (the durable checkpoint its
    /// consumer reported), or at the configured start offset when the group has none.
    /// </summary>
    public async Task<PartitionBuffer> AssignAsync(TopicPartition partition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Committed() blocks on a broker round trip: keep it off the Orleans scheduler.
        var start = await Task.Run(() =>
        {
            var committed = _consumer.Committed([partition], timeout);
            var offset = committed.Count == 1 ? committed[0].Offset : Offset.Unset;
            return offset.IsSpecial
                ? (_options.StartOffset == KafkaStartOffset.Earliest ? Offset.Beginning : Offset.End)
                : offset;
        }, cancellationToken).ConfigureAwait(false);

        var buffer = new PartitionBuffer(partition, start, _options.MaxBufferedRecordsPerPartition);
        await Task.Run(() =>
        {
            lock (_assignmentLock)
            {
                if (_buffers.TryRemove(partition, out _))
                {
                    _consumer.IncrementalUnassign([partition]);
                }

                _buffers[partition] = buffer;
                _consumer.IncrementalAssign([new TopicPartitionOffset(partition, start)]);
            }
        }, cancellationToken).ConfigureAwait(false);
        KafkaLog.PartitionAssigned(_logger, partition.Topic, partition.Partition.Value, start.Value);
        return buffer;
    }

    /// <summary>Stops reading <paramref name="buffer"/>'s partition; records already fetched are dropped (they are re-read by the next owner).</summary>
    public void Unassign(PartitionBuffer buffer)
    {
        lock (_assignmentLock)
        {
            if (_buffers.TryGetValue(buffer.Partition, out var current) && ReferenceEquals(current, buffer))
            {
                _buffers.TryRemove(buffer.Partition, out _);
                _consumer.IncrementalUnassign([buffer.Partition]);
            }
        }
    }

    /// <summary>Resumes a paused partition once its buffer drained below half.</summary>
    public void ResumeIfDrained(PartitionBuffer buffer)
    {
        if (buffer.IsPaused && buffer.Count <= buffer.Capacity / 2)
        {
            lock (_assignmentLock)
            {
                if (buffer.IsPaused && _buffers.TryGetValue(buffer.Partition, out var current) && ReferenceEquals(current, buffer))
                {
                    buffer.IsPaused = false;
                    _consumer.Resume([buffer.Partition]);
                }
            }
        }
    }

    private void PollLoop()
    {
        while (!_stopping)
        {
            ConsumeResult<byte[]?, byte[]?>? result;
            try
            {
                result = _consumer.Consume(100);
            }
            catch (ConsumeException ex)
            {
                KafkaMetrics.ConsumeErrors.Add(1, new KeyValuePair<string, object?>("provider", _providerName));
                KafkaLog.ConsumeFailed(_logger, ex.ConsumerRecord?.TopicPartitionOffset?.ToString() ?? "?", ex);
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            if (result is null || result.IsPartitionEOF || !_buffers.TryGetValue(result.TopicPartition, out var buffer))
            {
                continue;
            }

            buffer.Enqueue(KafkaRecords.FromConsumeResult(result, buffer.Topic));
            // Plain fields written by this thread only and observed by the meter: no per-record metric call.
            buffer.FetchedRecords++;
            buffer.FetchedBytes += (result.Message.Key?.Length ?? 0) + (result.Message.Value?.Length ?? 0);
            if (buffer.Count >= buffer.Capacity && !buffer.IsPaused)
            {
                lock (_assignmentLock)
                {
                    if (_buffers.TryGetValue(buffer.Partition, out var current) && ReferenceEquals(current, buffer))
                    {
                        buffer.IsPaused = true;
                        _consumer.Pause([buffer.Partition]);
                    }
                }
            }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join(TimeSpan.FromSeconds(5));
        try
        {
            _consumer.Close();
        }
        catch (KafkaException)
        {
            // Closing only leaves the (unused) group membership; nothing durable depends on it.
        }

        _consumer.Dispose();
    }
}

/// <summary>Records fetched ahead for one partition, filled by the poll thread and drained by the receiver.</summary>
internal sealed class PartitionBuffer(TopicPartition partition, Offset start, int capacity)
{
    private readonly ConcurrentQueue<KafkaRecord> _records = new();
    private int _count;

    public TopicPartition Partition { get; } = partition;
    public string Topic { get; } = partition.Topic;
    public Offset Start { get; } = start;
    public int Capacity { get; } = capacity;
    public int Count => Volatile.Read(ref _count);
    public volatile bool IsPaused;

    /// <summary>Records fetched into this buffer (written by the poll thread only).</summary>
    public long FetchedRecords;

    /// <summary>Key and value bytes fetched into this buffer (written by the poll thread only).</summary>
    public long FetchedBytes;

    public void Enqueue(KafkaRecord record)
    {
        _records.Enqueue(record);
        Interlocked.Increment(ref _count);
    }

    /// <summary>Moves up to <paramref name="max"/> records into a new array; null when empty.</summary>
    public KafkaRecord[]? TakeBatch(int max)
    {
        var n = Math.Min(max, Count);
        if (n == 0)
        {
            return null;
        }

        var batch = new KafkaRecord[n];
        var taken = 0;
        while (taken < n && _records.TryDequeue(out var record))
        {
            batch[taken++] = record;
        }

        Interlocked.Add(ref _count, -taken);
        return taken == n ? batch : batch[..taken];
    }
}
