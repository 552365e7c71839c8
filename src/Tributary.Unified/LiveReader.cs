using System.Collections.Concurrent;
using System.Threading.Channels;
using Confluent.Kafka;
using Tributary.Kafka;

namespace Tributary.Unified;

/// <summary>
/// The live side of a <see cref="UnifiedSource"/>: one Kafka consumer (assigned, never in a group, never committing) that
/// partitions join when their archive phase ends, each at its exact next offset. librdkafka's blocking consume runs on a
/// dedicated thread that hands batches to an async dispatcher; the dispatcher decodes them and offers them to the partitions.
/// A partition whose offset is no longer on the broker (the log start passed it) leaves with "out of range", so its reader
/// can wait for the archive; nothing is ever reset to another offset.
/// </summary>
internal sealed class LiveReader : IDisposable
{
    private readonly string _topic;
    private readonly IConsumer<byte[]?, byte[]?> _consumer;
    private readonly RecordDecoder _decoder;
    private readonly Func<PartitionState, UnifiedRecord, ValueTask<bool>> _offer;
    private readonly ConcurrentQueue<Action> _commands = new();
    private readonly ConcurrentDictionary<int, Follower> _followers = new();
    private readonly Channel<Item> _items = Channel.CreateBounded<Item>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop;
    private readonly HashSet<int> _assigned = [];
    private readonly Thread _thread;
    private readonly Task _dispatcher;

    public LiveReader(UnifiedSourceOptions options, RecordDecoder decoder, Func<PartitionState, UnifiedRecord, ValueTask<bool>> offer, CancellationToken cancellationToken)
    {
        _topic = options.Topic;
        _decoder = decoder;
        _offer = offer;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var config = KafkaClientConfigs.RangeConsumer(options.Kafka, options.GroupId);
        config.AutoOffsetReset = AutoOffsetReset.Error; // never jump over offsets that are gone: the reader decides
        config.EnablePartitionEof = true;
        _consumer = new ConsumerBuilder<byte[]?, byte[]?>(config).SetLogHandler((_, _) => { }).Build();
        _thread = new Thread(Poll) { IsBackground = true, Name = $"unified-live-{options.Topic}" };
        _thread.Start();
        _dispatcher = Task.Run(DispatchAsync, CancellationToken.None);
    }

    /// <summary>Follows <paramref name="state"/>'s partition from its next offset; true when it ended (until), false when its offset left the broker.</summary>
    public Task<bool> FollowAsync(PartitionState state)
    {
        var follower = new Follower(state);
        _followers[state.Partition] = follower;
        var offset = state.Next;
        _commands.Enqueue(() =>
        {
            _consumer.IncrementalAssign([new TopicPartitionOffset(_topic, state.Partition, offset)]);
            _assigned.Add(state.Partition);
        });
        _wake.Release();

        // a follower that joins while the reader stops must not wait for a dispatcher that is gone
        return follower.Done.Task.WaitAsync(_stop.Token);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stop.Cancel();
        _wake.Release();
        _thread.Join();
        _items.Writer.TryComplete();
        try
        {
            _dispatcher.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
            // its failure was delivered to the followers
        }

        _consumer.Close();
        _consumer.Dispose();
        _stop.Dispose();
        _wake.Dispose();
    }

    private void Poll()
    {
        var token = _stop.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                while (_commands.TryDequeue(out var command))
                {
                    command();
                }

                if (_assigned.Count == 0)
                {
                    _wake.Wait(TimeSpan.FromMilliseconds(200), token);
                    continue;
                }

                var batch = new List<ConsumeResult<byte[]?, byte[]?>>();
                try
                {
                    while (batch.Count < 4096)
                    {
                        var result = _consumer.Consume(batch.Count == 0 ? TimeSpan.FromMilliseconds(100) : TimeSpan.Zero);
                        if (result is null)
                        {
                            break;
                        }

                        if (result.IsPartitionEOF)
                        {
                            Push(new Item(batch, null, null, null), token);
                            batch = [];
                            Push(new Item(null, new TopicPartitionOffset(result.TopicPartition, result.Offset), null, null), token);
                            continue;
                        }

                        batch.Add(result);
                    }
                }
                catch (ConsumeException ex) when (ex.Error.Code is ErrorCode.Local_AutoOffsetReset or ErrorCode.OffsetOutOfRange && ex.ConsumerRecord?.TopicPartition is { } gone)
                {
                    Push(new Item(batch, null, null, null), token);
                    batch = [];
                    _consumer.IncrementalUnassign([gone]);
                    _assigned.Remove(gone.Partition.Value);
                    Push(new Item(null, null, gone.Partition.Value, null), token);
                }

                Push(new Item(batch, null, null, null), token);
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
        catch (Exception ex) when (ex is KafkaException or InvalidOperationException)
        {
            Push(new Item(null, null, null, ex), CancellationToken.None);
        }
    }

    private void Push(Item item, CancellationToken token)
    {
        if (item.Batch is { Count: 0 })
        {
            return;
        }

        while (!_items.Writer.TryWrite(item))
        {
            // a dedicated thread, not a grain or the thread pool: blocking here is how back-pressure reaches librdkafka
            if (!_items.Writer.WaitToWriteAsync(token).AsTask().GetAwaiter().GetResult())
            {
                return;
            }
        }
    }

    private async Task DispatchAsync()
    {
        try
        {
            await foreach (var item in _items.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                if (item.Failure is { } failure)
                {
                    throw failure;
                }

                if (item.Batch is { } batch)
                {
                    foreach (var group in batch.GroupBy(r => r.Partition.Value))
                    {
                        if (!_followers.TryGetValue(group.Key, out var follower))
                        {
                            continue;
                        }

                        var records = await _decoder.DecodeAsync(group.Key, [.. group], _stop.Token).ConfigureAwait(false);
                        foreach (var record in records)
                        {
                            if (record.Offset < follower.State.Next)
                            {
                                continue;
                            }

                            if (!await _offer(follower.State, record).ConfigureAwait(false))
                            {
                                Finish(follower, ended: true);
                                break;
                            }
                        }
                    }
                }
                else if (item.Eof is { } eof && _followers.TryGetValue(eof.Partition.Value, out var atEnd))
                {
                    // offsets below the end that were never served are holes Kafka left (transaction markers, compaction)
                    atEnd.State.Next = Math.Max(atEnd.State.Next, eof.Offset.Value);
                    if (atEnd.State.ReachedUntil)
                    {
                        atEnd.State.Done = true;
                        Finish(atEnd, ended: true);
                    }
                }
                else if (item.OutOfRange is { } partition && _followers.TryGetValue(partition, out var gone))
                {
                    Finish(gone, ended: false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            foreach (var follower in _followers.Values)
            {
                follower.Done.TrySetCanceled();
            }
        }
        catch (Exception ex)
        {
            foreach (var follower in _followers.Values)
            {
                follower.Done.TrySetException(ex);
            }
        }
    }

    private void Finish(Follower follower, bool ended)
    {
        var partition = follower.State.Partition;
        _followers.TryRemove(partition, out _);
        if (ended)
        {
            _commands.Enqueue(() =>
            {
                _consumer.IncrementalUnassign([new TopicPartition(_topic, partition)]);
                _assigned.Remove(partition);
            });
            _wake.Release();
        }

        follower.Done.TrySetResult(ended);
    }

    private sealed record Item(List<ConsumeResult<byte[]?, byte[]?>>? Batch, TopicPartitionOffset? Eof, int? OutOfRange, Exception? Failure);

    private sealed class Follower(PartitionState state)
    {
        public PartitionState State { get; } = state;

        public TaskCompletionSource<bool> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
