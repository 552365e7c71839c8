using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Confluent.Kafka;
using Tributary.Kafka;
using Tributary.Storage;

namespace Tributary.Unified;

/// <summary>
/// One reader over a topic's archive and live Kafka (Flink's unified source, as Pinterest runs it): per partition, the archived
/// history first (files listed from the manifest across every output partition, merged by offset because late events make
/// files of one partition overlap), then live Kafka from exactly the archive's last offset + 1, each partition on its own.
/// </summary>
/// <remarks>
/// No gap and no duplicate: a partition yields its offsets in order, each once. The archive phase passes over a hole in the
/// archive only when it is provably one Kafka left (below the archiver's committed offset, see
/// <see cref="UnifiedSourceOptions.ArchiveConsumerGroup"/>); otherwise the partition switches to Kafka at the hole, and Kafka
/// decides: what the broker serves from there is the truth, its own holes included. When Kafka's log start is already past the
/// switch offset, the partition waits for the archive to catch up, and past <see cref="UnifiedSourceOptions.CatchUpDeadline"/>
/// the stream fails with a <see cref="UnifiedSourceGapException"/> naming the partition and the missing range. A manifest entry
/// whose file is missing or corrupt fails the stream naming the object, after the offsets before it were yielded.
/// </remarks>
public sealed class UnifiedSource
{
    private readonly IObjectStore _store;
    private readonly UnifiedSourceOptions _options;
    private long _archiveRecords;
    private long _liveRecords;

    /// <summary>Creates a source over <paramref name="store"/> (the archive's store) and the Kafka of <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid (the message names it).</exception>
    public UnifiedSource(IObjectStore store, UnifiedSourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate().ToList();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _store = store;
        _options = options;
    }

    /// <summary>Records (and dead letters) yielded from the archive so far, over every enumeration.</summary>
    public long ArchiveRecords => Interlocked.Read(ref _archiveRecords);

    /// <summary>Records (and dead letters) yielded from live Kafka so far, over every enumeration.</summary>
    public long LiveRecords => Interlocked.Read(ref _liveRecords);

    /// <summary>
    /// The records of the selected partitions: per partition in offset order, partitions interleaved. Ends when every partition
    /// reached its <see cref="UnifiedSourceOptions.Until"/> bound; without one it follows live Kafka until cancelled.
    /// </summary>
    /// <exception cref="ArgumentException">The topic is not on Kafka, or a selected partition is not one of its partitions.</exception>
    /// <exception cref="UnifiedSourceGapException">Offsets are in neither the archive nor Kafka past the deadline.</exception>
    /// <exception cref="InvalidDataException">An archive file or manifest object is corrupt (named).</exception>
    /// <exception cref="FileNotFoundException">A file listed in the manifest is missing (named).</exception>
    public async IAsyncEnumerable<UnifiedRecord> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var run = new Run(this, cancellationToken);
        try
        {
            await run.StartAsync().ConfigureAwait(false);
            await foreach (var record in run.Output.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return record;
            }
        }
        finally
        {
            await run.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One enumeration: a pump task per partition, the live reader, and the bounded output channel.</summary>
    private sealed class Run(UnifiedSource source, CancellationToken cancellationToken) : IAsyncDisposable
    {
        private static readonly TimeSpan KafkaTimeout = TimeSpan.FromSeconds(10);
        private readonly UnifiedSourceOptions _options = source._options;
        private readonly CancellationTokenSource _cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        private readonly Channel<UnifiedRecord> _output = Channel.CreateBounded<UnifiedRecord>(new BoundedChannelOptions(source._options.BufferRecords) { SingleReader = true });
        private readonly RecordDecoder _decoder = new(source._options.Archive);
        private readonly List<Task> _pumps = [];
        private IConsumer<byte[]?, byte[]?>? _meta;
        private IConsumer<byte[]?, byte[]?>? _archiveGroup;
        private LiveReader? _live;
        private int _running;

        public ChannelReader<UnifiedRecord> Output => _output.Reader;

        public async Task StartAsync()
        {
            var partitions = await PartitionsAsync().ConfigureAwait(false);
            _meta = new ConsumerBuilder<byte[]?, byte[]?>(KafkaClientConfigs.RangeConsumer(_options.Kafka, _options.GroupId)).SetLogHandler((_, _) => { }).Build();
            if (_options.ArchiveConsumerGroup is { } group)
            {
                _archiveGroup = new ConsumerBuilder<byte[]?, byte[]?>(KafkaClientConfigs.RangeConsumer(_options.Kafka, group)).SetLogHandler((_, _) => { }).Build();
            }

            _live = new LiveReader(_options, _decoder, OfferAsync, _cts.Token);
            var states = new List<PartitionState>();
            foreach (var p in partitions)
            {
                var state = new PartitionState(p) { UntilTimeMs = _options.Until?.TimeMs };
                if (_options.Start.Offsets?.TryGetValue(p, out var offset) == true)
                {
                    state.Next = offset;
                }

                if (_options.Start.TimeMs is { } seek)
                {
                    state.SeekTimeMs = seek;
                    state.SeekByEventTime = _options.Start.ByEventTime;
                }

                if (_options.Until?.Offsets?.TryGetValue(p, out var until) == true)
                {
                    state.UntilOffset = until;
                }
                else if (_options.Until?.Latest == true)
                {
                    state.UntilOffset = (await WatermarksAsync(p).ConfigureAwait(false)).High.Value;
                }

                states.Add(state);
            }

            _running = states.Count;
            if (_running == 0)
            {
                _output.Writer.TryComplete();
            }

            foreach (var state in states)
            {
                _pumps.Add(Task.Run(() => PumpAsync(state), CancellationToken.None));
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _cts.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(_pumps).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // delivered through the output channel
            }

            _live?.Dispose();
            _meta?.Dispose();
            _archiveGroup?.Dispose();
            _cts.Dispose();
        }

        private async Task<IReadOnlyList<int>> PartitionsAsync()
        {
            using var admin = new AdminClientBuilder(KafkaClientConfigs.Admin(_options.Kafka, "tributary-unified-source")).SetLogHandler((_, _) => { }).Build();
            // all topics: a metadata request naming the topic would auto-create it on brokers that allow that
            var metadata = await Task.Run(() => admin.GetMetadata(KafkaTimeout), _cts.Token).ConfigureAwait(false);
            var topic = metadata.Topics.FirstOrDefault(t => t.Topic == _options.Topic);
            if (topic is null || topic.Error.IsError || topic.Partitions.Count == 0)
            {
                throw new ArgumentException($"UnifiedSourceOptions.Topic '{_options.Topic}' is not a topic on {_options.Kafka.BootstrapServers}{(topic?.Error.IsError == true ? $" ({topic.Error.Reason})" : string.Empty)}.", "options");
            }

            var all = topic.Partitions.Select(p => p.PartitionId).Order().ToList();
            if (_options.Partitions is not { Count: > 0 } selected)
            {
                return all;
            }

            foreach (var p in selected)
            {
                if (!all.Contains(p))
                {
                    throw new ArgumentException($"UnifiedSourceOptions.Partitions names partition {p}, but topic '{_options.Topic}' has partitions 0..{all.Count - 1}.", "options");
                }
            }

            return [.. selected.Order()];
        }

        private async Task PumpAsync(PartitionState state)
        {
            try
            {
                await FollowPartitionAsync(state).ConfigureAwait(false);
                if (Interlocked.Decrement(ref _running) == 0)
                {
                    _output.Writer.TryComplete();
                }
            }
            catch (OperationCanceledException) when (_cts.IsCancellationRequested)
            {
                _output.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                _output.Writer.TryComplete(ex);
                await _cts.CancelAsync().ConfigureAwait(false);
            }
        }

        private async Task FollowPartitionAsync(PartitionState state)
        {
            var token = _cts.Token;
            var p = state.Partition;
            Stopwatch? waiting = null;
            while (!state.Done && !state.ReachedUntil)
            {
                token.ThrowIfCancellationRequested();
                var committed = await ArchiveCommittedAsync(p).ConfigureAwait(false);
                var files = await ArchiveManifest.ListAsync(source._store, _options.Topic, p, token).ConfigureAwait(false);
                var marks = await WatermarksAsync(p).ConfigureAwait(false);
                if (state.Next < 0)
                {
                    // the beginning: the earliest offset kept anywhere
                    state.Next = files.Count > 0 ? Math.Min(files[0].FirstOffset, marks.Low.Value) : marks.Low.Value;
                }

                var before = state.Next;
                await ReadArchiveAsync(state, files, committed).ConfigureAwait(false);
                if (state.Done || state.ReachedUntil)
                {
                    return;
                }

                marks = await WatermarksAsync(p).ConfigureAwait(false);
                var low = marks.Low.Value;

                // Offsets below the archiver's committed offset that no file holds are holes Kafka left.
                if (low <= Math.Max(state.Next, committed))
                {
                    state.Next = Math.Max(state.Next, low);
                    if (state.SeekTimeMs is { } seek && !state.SeekByEventTime)
                    {
                        // Kafka's time index jumps ahead; when it finds nothing (no record at or after the time, or a
                        // broker without the index) the live phase keeps scanning and yields from the first record at or
                        // after the time, later arrivals included
                        var found = await OffsetForTimeAsync(p, seek).ConfigureAwait(false);
                        if (found >= 0)
                        {
                            state.Next = Math.Max(state.Next, found);
                        }
                    }

                    if (state.ReachedUntil || await _live!.FollowAsync(state).ConfigureAwait(false))
                    {
                        return;
                    }

                    continue; // the log start passed the next offset while following: back to the archive
                }

                if (state.Next > before)
                {
                    waiting = null;
                }

                waiting ??= Stopwatch.StartNew();
                if (waiting.Elapsed >= _options.CatchUpDeadline)
                {
                    throw new UnifiedSourceGapException(_options.Topic, p, state.Next, low - 1, low, waiting.Elapsed);
                }

                await Task.Delay(_options.ManifestPollInterval, token).ConfigureAwait(false);
            }
        }

        /// <summary>Yields the archive's records of the partition from its next offset, merged by offset, until a hole that is not provably Kafka's, the end of the archive, or the bound.</summary>
        private async Task ReadArchiveAsync(PartitionState state, List<Storage.Archive.ArchiveFileInfo> files, long committed)
        {
            var token = _cts.Token;
            var pending = files.Where(f => f.LastOffset >= state.Next).ToList();
            var downloads = new Queue<ArchiveFileCursor>();
            var heap = new PriorityQueue<ArchiveFileCursor, long>();
            var nextFile = 0;
            try
            {
                while (true)
                {
                    while (downloads.Count < 1 + _options.PrefetchFiles && nextFile < pending.Count)
                    {
                        downloads.Enqueue(ArchiveFileCursor.Download(source._store, pending[nextFile++], _options.Archive.Format, token));
                    }

                    // every file that may hold the smallest offset joins the merge
                    while (downloads.Count > 0 && (!heap.TryPeek(out _, out var smallest) || downloads.Peek().File.FirstOffset <= smallest))
                    {
                        var cursor = downloads.Dequeue();
                        if (await cursor.MoveNextAsync().ConfigureAwait(false))
                        {
                            heap.Enqueue(cursor, cursor.Current.Offset);
                        }
                        else
                        {
                            await cursor.DisposeAsync().ConfigureAwait(false);
                        }

                        if (nextFile < pending.Count)
                        {
                            downloads.Enqueue(ArchiveFileCursor.Download(source._store, pending[nextFile++], _options.Archive.Format, token));
                        }
                    }

                    if (!heap.TryDequeue(out var next, out _))
                    {
                        return;
                    }

                    var record = next.Current;
                    if (record.Offset >= state.Next)
                    {
                        if (record.Offset > state.Next && record.Offset > committed)
                        {
                            // a hole the archive cannot explain: Kafka decides from state.Next
                            heap.Enqueue(next, record.Offset);
                            return;
                        }

                        if (!await OfferAsync(state, record).ConfigureAwait(false))
                        {
                            heap.Enqueue(next, record.Offset);
                            return;
                        }
                    }

                    if (await next.MoveNextAsync().ConfigureAwait(false))
                    {
                        heap.Enqueue(next, next.Current.Offset);
                    }
                    else
                    {
                        await next.DisposeAsync().ConfigureAwait(false);
                    }
                }
            }
            finally
            {
                while (heap.TryDequeue(out var cursor, out _))
                {
                    await cursor.DisposeAsync().ConfigureAwait(false);
                }

                while (downloads.TryDequeue(out var cursor))
                {
                    await cursor.DisposeAsync().ConfigureAwait(false);
                }
            }
        }

        /// <summary>Offers the partition's next record; false once the partition reached its bound (the record is not yielded then).</summary>
        private async ValueTask<bool> OfferAsync(PartitionState state, UnifiedRecord record)
        {
            if ((state.UntilOffset is { } until && record.Offset >= until) || (state.UntilTimeMs is { } untilTime && record.TimestampMs >= untilTime))
            {
                state.Done = true;
                return false;
            }

            state.Next = record.Offset + 1;
            state.Phase = record.Phase;
            if (state.SeekTimeMs is { } seek)
            {
                var time = state.SeekByEventTime ? record.EventTimeMs : record.TimestampMs;
                if (time is null || time < seek)
                {
                    return true;
                }

                state.SeekTimeMs = null;
            }

            await _output.Writer.WriteAsync(record, _cts.Token).ConfigureAwait(false);
            if (record.Phase == UnifiedPhase.Archive)
            {
                Interlocked.Increment(ref source._archiveRecords);
            }
            else
            {
                Interlocked.Increment(ref source._liveRecords);
            }

            if (state.ReachedUntil)
            {
                state.Done = true;
                return false;
            }

            return true;
        }

        private Task<WatermarkOffsets> WatermarksAsync(int partition)
            => Task.Run(() => _meta!.QueryWatermarkOffsets(new TopicPartition(_options.Topic, partition), KafkaTimeout), _cts.Token);

        private Task<long> OffsetForTimeAsync(int partition, long timeMs)
            => Task.Run(() => _meta!.OffsetsForTimes([new TopicPartitionTimestamp(_options.Topic, partition, new Timestamp(timeMs, TimestampType.CreateTime))], KafkaTimeout)[0].Offset.Value, _cts.Token);

        private Task<long> ArchiveCommittedAsync(int partition)
            => _archiveGroup is null
                ? Task.FromResult(-1L)
                : Task.Run(() => _archiveGroup.Committed([new TopicPartition(_options.Topic, partition)], KafkaTimeout)[0].Offset.Value, _cts.Token);
    }
}
