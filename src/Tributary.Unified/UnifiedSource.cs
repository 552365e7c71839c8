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
    private readonly IWatermarkAlignment? _alignment;
    private long _archiveRecords;
    private long _liveRecords;
    private long _alignmentReports;
    private long _alignmentFailures;
    private volatile Exception? _lastAlignmentError;
    private volatile WatermarkTracker? _watermarks;
    private volatile FileAnnouncements? _announcements;
    private volatile bool _paused;

    /// <summary>
    /// Creates a source over <paramref name="store"/> (the archive's store) and the Kafka of <paramref name="options"/>; with
    /// <paramref name="alignment"/> the reader aligns its watermark with the other readers of its job (see <see cref="UnifiedSourceOptions.Alignment"/>).
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid (the message names it).</exception>
    public UnifiedSource(IObjectStore store, UnifiedSourceOptions options, IWatermarkAlignment? alignment = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate().ToList();
        if (alignment is not null && string.IsNullOrWhiteSpace(options.Alignment.ReaderId))
        {
            problems.Add("UnifiedSourceOptions.Alignment.ReaderId is required when the source is given an alignment.");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _store = store;
        _options = options;
        _alignment = alignment;
    }

    /// <summary>Records (and dead letters) yielded from the archive so far, over every enumeration.</summary>
    public long ArchiveRecords => Interlocked.Read(ref _archiveRecords);

    /// <summary>Records (and dead letters) yielded from live Kafka so far, over every enumeration.</summary>
    public long LiveRecords => Interlocked.Read(ref _liveRecords);

    /// <summary>
    /// The event-time watermark of each partition of the current (or last) enumeration, by partition: the largest event time
    /// yielded minus <see cref="WatermarkOptions.OutOfOrderness"/>, and whether the partition is idle or finished. Empty before
    /// the first enumeration opened.
    /// </summary>
    public IReadOnlyList<PartitionWatermark> Watermarks => _watermarks?.Snapshot() ?? [];

    /// <summary>
    /// The reader's watermark: the minimum over its partitions that are neither idle nor finished; <see cref="long.MinValue"/> while
    /// one of them has yielded no event time yet; null when every partition is idle or finished (or before the first enumeration).
    /// This is what the reader reports to its <see cref="IWatermarkAlignment"/>.
    /// </summary>
    public long? WatermarkMs => _watermarks?.Minimum();

    /// <summary>Whether the reader is paused because its watermark is more than <see cref="AlignmentOptions.MaxDrift"/> ahead of its job's minimum.</summary>
    public bool IsAlignmentPaused => _paused;

    /// <summary>Reports the alignment answered so far, over every enumeration (coalesced: far fewer than records).</summary>
    public long AlignmentReports => Interlocked.Read(ref _alignmentReports);

    /// <summary>Reports that failed (the alignment unreachable); the reader kept its last known minimum and retried after an interval.</summary>
    public long AlignmentFailures => Interlocked.Read(ref _alignmentFailures);

    /// <summary>The error of the last failed report, or null.</summary>
    public Exception? LastAlignmentError => _lastAlignmentError;

    /// <summary>Files of the selected partitions announced on <see cref="UnifiedSourceOptions.NotificationTopic"/> during the current (or last) enumeration.</summary>
    public long AnnouncedFiles => _announcements?.Announced ?? 0;

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
                run.Watermarks.Yielded(record);
                yield return record;

                // when the consumer asks for more: the watermark covers exactly what it was given
                await run.AlignAsync().ConfigureAwait(false);
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
        private readonly TimeProvider _time = source._options.TimeProvider;
        private readonly SemaphoreSlim _reporting = new(1, 1);
        private IConsumer<byte[]?, byte[]?>? _meta;
        private IConsumer<byte[]?, byte[]?>? _archiveGroup;
        private LiveReader? _live;
        private FileAnnouncements? _announcements;
        private Task? _keepAlive;
        private int _running;
        private bool _reported;
        private bool _failing;
        private long? _lastReported;
        private long _lastReportAt;
        private long? _globalMinimum;

        public ChannelReader<UnifiedRecord> Output => _output.Reader;

        public WatermarkTracker Watermarks { get; private set; } = new([], new WatermarkOptions(), TimeProvider.System);

        public async Task StartAsync()
        {
            var partitions = await PartitionsAsync().ConfigureAwait(false);
            Watermarks = new WatermarkTracker(partitions, _options.Watermarks, _time);
            source._watermarks = Watermarks;
            if (_options.NotificationTopic is not null)
            {
                // before the first listing: a file is then either listed or announced after this point
                _announcements = new FileAnnouncements(_options, partitions);
                source._announcements = _announcements;
                using var admin = new AdminClientBuilder(KafkaClientConfigs.Admin(_options.Kafka, "tributary-unified-source")).SetLogHandler((_, _) => { }).Build();
                await _announcements.StartAsync(admin, _cts.Token).ConfigureAwait(false);
            }

            if (source._alignment is not null)
            {
                _keepAlive = Task.Run(KeepAliveAsync, CancellationToken.None);
            }
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

            if (_keepAlive is not null)
            {
                await _keepAlive.ConfigureAwait(false);
                await LeaveAsync().ConfigureAwait(false);
            }

            source._paused = false;
            _live?.Dispose();
            _announcements?.Dispose();
            _meta?.Dispose();
            _archiveGroup?.Dispose();
            _reporting.Dispose();
            _cts.Dispose();
        }

        /// <summary>
        /// Reports the reader's watermark when a report is due (first, <see cref="AlignmentOptions.MinChange"/> moved, an interval
        /// passed, or it looks ahead of the last known minimum), then pauses while it is more than the drift ahead of the job's
        /// global minimum, reporting every interval until the minimum caught up. Pausing stops taking records: the partition
        /// readers then wait on the full buffer, and a partition with records waiting is never idle.
        /// </summary>
        public async ValueTask AlignAsync()
        {
            if (source._alignment is null)
            {
                return;
            }

            var alignment = _options.Alignment;
            var drift = (long)alignment.MaxDrift.TotalMilliseconds;
            var watermark = Watermarks.Minimum();
            if (ReportDue(watermark, drift))
            {
                watermark = await ReportAsync().ConfigureAwait(false);
            }

            while (WatermarkMath.IsAhead(watermark, _globalMinimum, drift))
            {
                source._paused = true;
                await Task.Delay(alignment.ReportInterval, _time, _cts.Token).ConfigureAwait(false);
                watermark = await ReportAsync().ConfigureAwait(false);
            }

            source._paused = false;
        }

        private bool ReportDue(long? watermark, long drift)
        {
            if (!_reported || _time.GetElapsedTime(_lastReportAt) >= _options.Alignment.ReportInterval)
            {
                return true;
            }

            if (_failing)
            {
                return false; // retried once an interval passed
            }

            if (watermark.HasValue != _lastReported.HasValue)
            {
                return true;
            }

            if (watermark is { } w && _lastReported is { } last && w != last
                && (w == long.MinValue || last == long.MinValue || Math.Abs((double)w - last) >= _options.Alignment.MinChange.TotalMilliseconds))
            {
                return true;
            }

            return WatermarkMath.IsAhead(watermark, _globalMinimum, drift);
        }

        /// <summary>
        /// Reports the reader's current watermark and returns it. The watermark is read once the report slot is held, so a keep-alive
        /// that waited behind a newer report never sends an older value after it.
        /// </summary>
        private async Task<long?> ReportAsync()
        {
            await _reporting.WaitAsync(_cts.Token).ConfigureAwait(false);
            var watermark = Watermarks.Minimum();
            try
            {
                _globalMinimum = await source._alignment!.ReportAsync(_options.Alignment.ReaderId, watermark, _cts.Token).ConfigureAwait(false);
                _lastReported = watermark;
                _failing = false;
                Interlocked.Increment(ref source._alignmentReports);
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
            {
                // the job's watermark grain moving between silos: keep the last minimum (a paused reader stays paused) and retry
                // after an interval; the readers' next reports rebuild what the grain lost
                _failing = true;
                Interlocked.Increment(ref source._alignmentFailures);
                source._lastAlignmentError = ex;
            }
            finally
            {
                _reported = true;
                _lastReportAt = _time.GetTimestamp();
                _reporting.Release();
            }

            return watermark;
        }

        /// <summary>Reports every interval while no record moves the reader (idle partitions, a slow consumer), so the job sees it alive.</summary>
        private async Task KeepAliveAsync()
        {
            try
            {
                while (true)
                {
                    await Task.Delay(_options.Alignment.ReportInterval, _time, _cts.Token).ConfigureAwait(false);
                    if (!_reported || _time.GetElapsedTime(_lastReportAt) >= _options.Alignment.ReportInterval)
                    {
                        await ReportAsync().ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // the enumeration ended
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // the alignment is unreachable: the consumer's next report fails the stream with the cause
            }
        }

        private async Task LeaveAsync()
        {
            try
            {
                // an ended reader must not hold its job's minimum back; a crashed one expires in the job's watermark grain
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await source._alignment!.LeaveAsync(_options.Alignment.ReaderId, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // best effort: the stream's own outcome is what the consumer sees
            }
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
                Watermarks.Finished(state.Partition);
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
            List<Storage.Archive.ArchiveFileInfo>? files = null;
            var list = true;
            while (!state.Done && !state.ReachedUntil)
            {
                token.ThrowIfCancellationRequested();
                var committed = await ArchiveCommittedAsync(p).ConfigureAwait(false);
                if (list || files is null)
                {
                    files = await ArchiveManifest.ListAsync(source._store, _options.Topic, p, token).ConfigureAwait(false);
                }

                if (_announcements is not null)
                {
                    files = Announced(files, p);
                }

                list = _announcements is null;
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

                if (_announcements is null)
                {
                    await Task.Delay(_options.ManifestPollInterval, token).ConfigureAwait(false);
                }
                else
                {
                    // woken by an announcement of one of this partition's files; the listing is the fallback when none comes
                    list = !await _announcements.WaitAsync(p, _options.ManifestPollInterval, token).ConfigureAwait(false);
                }
            }
        }

        /// <summary><paramref name="known"/> with the files announced since, by first offset (an announcement repeated is kept once).</summary>
        private List<Storage.Archive.ArchiveFileInfo> Announced(List<Storage.Archive.ArchiveFileInfo> known, int partition)
        {
            var files = new Dictionary<string, Storage.Archive.ArchiveFileInfo>(StringComparer.Ordinal);
            foreach (var file in known.Concat(_announcements!.Take(partition)))
            {
                files[file.Key] = file;
            }

            return [.. files.Values.OrderBy(f => f.FirstOffset)];
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

            Watermarks.Offered(record.Partition);
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
