using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using ErrorCode = Confluent.Kafka.ErrorCode;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using Tributary.Agent.Files;
using Tributary.Agent.Options;
using Tributary.Agent.Producing;
using Tributary.Agent.Readers;

namespace Tributary.Agent;

/// <summary>
/// Ships one log stream: follows its live file and rotated predecessors, frames records, sends each
/// batch to Kafka, waits for every acknowledgement, and only then writes the watermark. One batch is in
/// flight at a time, so a crash re-sends at most the batch whose watermark was not yet written.
/// </summary>
internal sealed class LogStreamWorker : IFrameSink, IAsyncDisposable
{
    /// <summary>Header carrying the CRC-32C of the message value (4 bytes, big-endian).</summary>
    public const string CrcHeader = "crc32c";

    private const int FinishedKept = 16;
    private const int OpenAttempts = 10;
    private const int GoneListings = 3;
    private const int ParallelProduceMin = 2000;
    private static readonly KeyValuePair<string, object?> PhaseRead = new("phase", "read");
    private static readonly KeyValuePair<string, object?> PhaseProduce = new("phase", "produce");
    private static readonly KeyValuePair<string, object?> PhaseAck = new("phase", "ack");
    private static readonly KeyValuePair<string, object?> PhaseWatermark = new("phase", "watermark");
    private static readonly HashSet<ErrorCode> Permanent = [ErrorCode.MsgSizeTooLarge, ErrorCode.InvalidMsg, ErrorCode.InvalidRecord, ErrorCode.RecordListTooLarge];

    private readonly LogStreamOptions _options;
    private readonly AgentContext _context;
    private readonly ILogger _logger;
    private readonly string _name;
    private readonly string _directory;
    private readonly string _rotatedPattern;
    private readonly IRecordFramer _framer;
    private readonly RecordPartitioner _partitioner;
    private readonly QuarantineWriter _quarantine;
    private readonly (string Key, byte[] Value)[] _headers;
    private readonly KeyValuePair<string, object?> _streamTag;
    private readonly SemaphoreSlim _signal = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly List<Pending> _batch = [];
    private readonly List<FinishedFile> _finished = [];
    private readonly WatermarkCommitter _committer;
    private ProducerPool.Lease? _lease;
    private TopicPartition?[] _topicPartitions = [];
    private TopicLayout? _layout;
    private long _layoutLoaded;
    private FileSystemWatcher? _watcher;
    private Task? _run;

    private Cursor? _cursor;
    private readonly List<Parked> _draining = [];
    private Parked? _visiting;
    private Parked? _parked;
    private long _drainingChecked;
    private Watermark? _pendingWatermark;
    private ResumePoint? _resumeAfter;
    private byte[] _buf;
    private int _bufStart;
    private int _bufEnd;
    private long _bufOffset;

    private long _batchBytes;
    private long _batchStarted;
    private uint _batchCrc = Crc32C.Start;
    private int _batchQuarantined;
    private volatile Watermark? _committed;

    public LogStreamWorker(LogStreamOptions options, AgentContext context)
    {
        _options = options;
        _context = context;
        _name = options.Name!;
        _logger = context.LoggerFactory.CreateLogger($"Tributary.Agent.Stream");
        _directory = Path.GetFullPath(options.Directory!);
        _rotatedPattern = options.RotatedPattern ?? options.Pattern + ".*";
        _framer = options.Reader == ReaderKind.Text
            ? new TextLineFramer(options.MaxLineLength, options.OverlongLines)
            : new LengthPrefixedFramer(options.MaxRecordBytes);
        _buf = new byte[Math.Max(1 << 20, _framer.RequiredBuffer + FileTail.MaxLength + 8)];
        _partitioner = RecordPartitioner.Create(options.Partitioner, context.Zone);
        _quarantine = new QuarantineWriter(context.DataDirectory, _name);
        _committer = new WatermarkCommitter(context.Watermarks, _name);
        _headers = [.. options.Headers.Select(h => (h.Key, Encoding.UTF8.GetBytes(h.Value)))];
        _streamTag = new KeyValuePair<string, object?>("stream", _name);
    }

    public string Name => _name;

    public LogStreamOptions Options => _options;

    /// <summary>The watermark of the last acknowledged batch (on disk, or being written in background mode).</summary>
    public Watermark? Committed => _committed;

    /// <summary>Completes when the stream has been set up (metadata loaded, start file chosen or awaited).</summary>
    public Task Started => _started.Task;

    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Start()
    {
        AgentMetrics.RegisterLag(_name, Lag);
        _run = Task.Factory.StartNew(RunLoopAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Stops gracefully: the batch in hand is sent, acknowledged and its watermark written.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_run is null)
        {
            return;
        }

        try
        {
            await _run.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await _abort.CancelAsync().ConfigureAwait(false);
            await _run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        AgentMetrics.UnregisterLag(_name);
        await _committer.DisposeAsync().ConfigureAwait(false);
        _watcher?.Dispose();
        _cursor?.Dispose();
        _parked?.Cursor.Dispose();
        foreach (var d in _draining)
        {
            d.Cursor.Dispose();
        }

        _quarantine.Dispose();
        _lease?.Dispose();
        _stop.Dispose();
        _abort.Dispose();
        _signal.Dispose();
    }

    /// <summary>Bytes in the stream's files not yet acknowledged (current file and the live file when it is another).</summary>
    public long Lag()
    {
        try
        {
            var committed = _committed;
            var live = FindLive();
            if (committed is null)
            {
                return live?.Stat.Size ?? 0;
            }

            if (live is { } l && l.Stat.Id == committed.Id)
            {
                return Math.Max(0, l.Stat.Size - committed.Offset);
            }

            var cursor = _cursor;
            var current = cursor is not null && cursor.ReportedId == committed.Id && !cursor.Handle.IsClosed ? Math.Max(0, RandomAccess.GetLength(cursor.Handle) - committed.Offset) : 0;
            return current + (live?.Stat.Size ?? 0);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private async Task RunLoopAsync()
    {
        var stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await RunAsync(stop).ConfigureAwait(false);
                break;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // Start over from the last watermark: nothing after it was acknowledged.
                AgentMetrics.Errors.Add(1, _streamTag, new KeyValuePair<string, object?>("kind", "stream"));
                AgentLog.StreamFailed(_logger, _name, ex);
                _started.TrySetException(ex);
                ResetAfterFailure();
                try
                {
                    await Task.Delay(1000, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        _started.TrySetResult();
        if (_committed is { } w)
        {
            AgentLog.StreamStopped(_logger, _name, w.Id.ToString(), w.Offset);
        }
    }

    private void ResetAfterFailure()
    {
        _batch.Clear();
        _batchBytes = 0;
        _batchCrc = Crc32C.Start;
        _batchQuarantined = 0;
        _cursor?.Dispose();
        _cursor = null;
        _parked?.Cursor.Dispose();
        _parked = null;
        _visiting = null;
        foreach (var d in _draining)
        {
            d.Cursor.Dispose();
        }

        _draining.Clear();
    }

    private async Task RunAsync(CancellationToken stop)
    {
        _lease ??= _context.Producers.Acquire(ProducerPool.Effective(_context.Kafka, _options.Kafka));
        await RefreshLayoutAsync(force: true, stop).ConfigureAwait(false);
        StartWatching();
        AgentLog.StreamStarted(_logger, _name, _directory, _options.Pattern!, _options.Topic!, _options.Partitioner.Type.ToString());
        OpenFromWatermark(_context.Watermarks.Read(_name));
        _started.TrySetResult();

        while (true)
        {
            if (stop.IsCancellationRequested)
            {
                await FlushAsync().ConfigureAwait(false);
                return;
            }

            if (_draining.Count > 0 && _batch.Count == 0 && _batchQuarantined == 0 && Stopwatch.GetElapsedTime(_drainingChecked).TotalMilliseconds >= _options.PollIntervalMs)
            {
                // Renamed files get their turn even while the live file keeps the loop busy.
                await VisitDrainingAsync().ConfigureAwait(false);
            }

            if (_cursor is null)
            {
                OpenNext();
                if (_cursor is null)
                {
                    if (!await VisitDrainingAsync().ConfigureAwait(false))
                    {
                        await WaitAsync(_options.PollIntervalMs, stop).ConfigureAwait(false);
                    }

                    continue;
                }
            }

            var cursor = _cursor;
            var read = Fill(cursor);
            if (read < 0)
            {
                // The bytes before the read position changed: truncated (and maybe grown again) under us.
                await OnTruncatedAsync(cursor).ConfigureAwait(false);
                continue;
            }

            Frame(final: false);
            if (IsFull)
            {
                await FlushAsync().ConfigureAwait(false);
                continue;
            }

            if (read > 0)
            {
                // More may be there already: a batch is sent early only once the file has no more (before, every
                // 1 MiB read became a batch of its own, and each batch waits for its acknowledgements).
                continue;
            }

            if (_batch.Count > 0 || _batchQuarantined > 0)
            {
                var remaining = _options.BatchMaxDelayMs - BatchAgeMs();
                if (remaining > 0)
                {
                    await WaitAsync((int)Math.Ceiling(remaining), stop).ConfigureAwait(false);
                    continue;
                }

                await FlushAsync().ConfigureAwait(false);
                continue;
            }

            if (cursor.IsCopy)
            {
                await FinishCopyAsync(cursor).ConfigureAwait(false);
                continue;
            }

            if (await CheckRotationAsync(cursor).ConfigureAwait(false) || await VisitDrainingAsync().ConfigureAwait(false))
            {
                continue;
            }

            await WaitAsync(_options.PollIntervalMs, stop).ConfigureAwait(false);
        }
    }

    // ---- rotate-wait: renamed files read again while writers still append to them

    /// <summary>
    /// Reads every renamed file that grew since it was last read, and finishes those that have not grown for
    /// <see cref="LogStreamOptions.RotateWaitMs"/>. Each is read from its own position, in batches of its own,
    /// between batches of the live file; the watermark carries every position. True when a file was read or finished.
    /// </summary>
    private async Task<bool> VisitDrainingAsync()
    {
        _drainingChecked = Stopwatch.GetTimestamp();
        var any = false;
        foreach (var d in _draining.ToArray())
        {
            long size;
            try
            {
                size = UnixFile.Stat(d.Cursor.Handle).Size;
            }
            catch (IOException)
            {
                size = -1;
            }

            var grown = size > d.SeenSize;
            if (grown)
            {
                d.LastGrowth = Stopwatch.GetTimestamp();
            }

            var expired = !grown && Stopwatch.GetElapsedTime(d.LastGrowth).TotalMilliseconds >= _options.RotateWaitMs;
            if (grown || expired || size < 0)
            {
                await VisitAsync(d, finish: expired || size < 0).ConfigureAwait(false);
                any = true;
            }
        }

        return any;
    }

    private async Task VisitAsync(Parked d, bool finish)
    {
        // The live file's batch goes first; its position (and the bytes before it) are kept while it is parked.
        await FlushAsync().ConfigureAwait(false);
        if (_cursor is { } primary)
        {
            _parked = new Parked(primary, Consumed, ConsumedTailBytes().ToArray());
        }

        _visiting = d;
        Restore(d.Cursor, d.Offset, d.Tail);
        var truncated = false;
        while (!d.Cursor.Handle.IsClosed)
        {
            var read = Fill(d.Cursor);
            if (read < 0)
            {
                truncated = true;
                break;
            }

            Frame(final: false);
            if (IsFull)
            {
                // The framer stops at a full batch: frame the rest of the buffer before reading on.
                await FlushAsync().ConfigureAwait(false);
                continue;
            }

            if (read == 0)
            {
                break;
            }
        }

        if (finish && !truncated)
        {
            Frame(final: true);
        }

        await FlushAsync().ConfigureAwait(false);
        d.Offset = Consumed;
        d.Tail = ConsumedTailBytes().ToArray();
        d.SeenSize = _bufOffset + _bufEnd;
        _visiting = null;
        var done = finish || truncated;
        if (done)
        {
            _draining.Remove(d);
            d.Cursor.Dispose();
            if (truncated)
            {
                AgentMetrics.Errors.Add(1, _streamTag, new KeyValuePair<string, object?>("kind", "rotate_wait_truncated"));
            }

            AgentLog.RotateWaitFinished(_logger, _name, d.Cursor.Path, d.Cursor.ReportedId.ToString(), d.Offset, truncated ? "it was truncated while renamed; what it holds now is not read" : "it stopped growing");
        }

        if (_parked is { } p)
        {
            _parked = null;
            Restore(p.Cursor, p.Offset, p.Tail);
        }
        else
        {
            _cursor = null;
        }

        if (done)
        {
            // A watermark without it (its last records are in the batch just committed).
            await CommitPositionsAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Makes <paramref name="cursor"/> current at <paramref name="offset"/>, with the bytes before it as read earlier (the next read is checked against them).</summary>
    private void Restore(Cursor cursor, long offset, byte[] tail)
    {
        _cursor = cursor;
        tail.CopyTo(_buf, 0);
        _bufOffset = offset - tail.Length;
        _bufStart = tail.Length;
        _bufEnd = tail.Length;
        _framer.Reset();
    }

    private Task CommitPositionsAsync()
    {
        var durable = _options.Watermarks == WatermarkMode.PerBatch;
        if (_cursor is { } cursor)
        {
            return CommitAsync(cursor, durable);
        }

        if (_committed is not { } last)
        {
            return Task.CompletedTask;
        }

        var watermark = last with { Draining = DrainingPositions(), Finished = [.. _finished] };
        _committed = watermark;
        if (durable)
        {
            return _committer.WriteAsync(watermark);
        }

        _committer.Post(watermark);
        return Task.CompletedTask;
    }

    private List<FilePosition> DrainingPositions()
    {
        var positions = new List<FilePosition>(_draining.Count);
        foreach (var d in _draining)
        {
            var visiting = ReferenceEquals(d, _visiting);
            var tail = visiting ? ConsumedTail() : FileTail.Of(d.Tail);
            positions.Add(new FilePosition
            {
                Device = d.Cursor.ReportedId.Device,
                Inode = d.Cursor.ReportedId.Inode,
                Offset = visiting ? Consumed : d.Offset,
                HeadLength = d.Cursor.Head.Length,
                HeadHash = d.Cursor.Head.Hash,
                TailLength = tail.Length,
                TailHash = tail.Hash,
                Path = d.Cursor.Path,
            });
        }

        return positions;
    }

    /// <summary>After a restart: the renamed files the watermark was still reading, each at its position.</summary>
    private void LoadDraining(Watermark watermark)
    {
        foreach (var d in _draining)
        {
            d.Cursor.Dispose();
        }

        _draining.Clear();
        if (watermark.Draining.Count == 0)
        {
            return;
        }

        var files = ListFiles();
        foreach (var position in watermark.Draining)
        {
            Parked? loaded = null;
            foreach (var f in files.Where(f => f.Stat.Id == position.Id && f.Stat.Size >= position.Offset))
            {
                SafeFileHandle handle;
                try
                {
                    handle = OpenHandle(f.Path);
                }
                catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
                {
                    continue;
                }

                var length = (int)Math.Min(position.Offset, FileTail.MaxLength);
                var tail = new byte[length];
                if (UnixFile.Stat(handle).Id == position.Id && position.Head.Matches(handle)
                    && RandomAccess.Read(handle, tail, position.Offset - length) == length
                    && (position.TailLength == 0 || FileTail.Of(tail) == position.Tail))
                {
                    loaded = new Parked(new Cursor(handle, f.Path, position.Id, position.Head, isCopy: false), position.Offset, tail) { SeenSize = position.Offset };
                    break;
                }

                handle.Dispose();
            }

            if (loaded is null)
            {
                AgentMetrics.Errors.Add(1, _streamTag, new KeyValuePair<string, object?>("kind", "rotate_wait_gone"));
                AgentLog.RotateWaitGone(_logger, _name, position.Path ?? position.Id.ToString(), position.Id.ToString(), position.Offset);
                continue;
            }

            _draining.Add(loaded);
            AgentLog.RotateWaitStarted(_logger, _name, loaded.Cursor.Path, position.Id.ToString(), position.Offset, _options.RotateWaitMs);
        }
    }

    // ---- reading and framing

    /// <summary>
    /// Reads more of the file into the buffer: the bytes read (0 at the end), or -1 when the file no longer
    /// holds, just before the read position, the bytes read earlier: it was truncated (and possibly grew past
    /// the position again, which its size alone cannot tell), so the bytes just read may be another generation.
    /// </summary>
    private int Fill(Cursor cursor)
    {
        // Compact, keeping up to FileTail.MaxLength consumed bytes: they fingerprint the watermark's offset and
        // are compared with the file after every read.
        var drop = _bufStart - Math.Min(_bufStart, FileTail.MaxLength);
        if (drop > 0 && (_bufStart == _bufEnd || _bufEnd > _buf.Length / 2))
        {
            Buffer.BlockCopy(_buf, drop, _buf, 0, _bufEnd - drop);
            _bufOffset += drop;
            _bufEnd -= drop;
            _bufStart -= drop;
        }

        if (_bufEnd == _buf.Length)
        {
            return 0;
        }

        var position = _bufOffset + _bufEnd;
        var n = RandomAccess.Read(cursor.Handle, _buf.AsSpan(_bufEnd), position);
        if (n <= 0)
        {
            return 0;
        }

        // Checked after the read: if the bytes before the position are still the ones read earlier, the bytes
        // just read follow them in the same generation (a truncation after this check is caught by the next one).
        var known = Math.Min(_bufEnd, FileTail.MaxLength);
        if (!cursor.IsCopy && known > 0 && !FileTail.Holds(cursor.Handle, _buf.AsSpan(_bufEnd - known, known), position))
        {
            return -1;
        }

        _bufEnd += n;
        return n;
    }

    /// <summary>Fingerprint of the consumed bytes just before <see cref="Consumed"/> (those still in the buffer).</summary>
    private FileTail ConsumedTail()
    {
        var length = Math.Min(_bufStart, FileTail.MaxLength);
        return FileTail.Of(_buf.AsSpan(_bufStart - length, length));
    }

    private ReadOnlySpan<byte> ConsumedTailBytes()
    {
        var length = Math.Min(_bufStart, FileTail.MaxLength);
        return _buf.AsSpan(_bufStart - length, length);
    }

    private void Frame(bool final)
    {
        var consumed = _framer.Frame(_buf.AsSpan(_bufStart, _bufEnd - _bufStart), _bufOffset + _bufStart, final, this);
        _bufStart += consumed;
    }

    private long Consumed => _bufOffset + _bufStart;

    public bool IsFull => _batch.Count >= _options.BatchMaxRecords || _batchBytes >= _options.BatchMaxBytes;

    void IFrameSink.Record(ReadOnlySpan<byte> payload, long offset)
    {
        if (_batch.Count == 0)
        {
            _batchStarted = Stopwatch.GetTimestamp();
        }

        var value = payload.ToArray();
        var crc = Crc32C.Compute(value);
        _batchCrc = Crc32C.Append(_batchCrc, value);
        var headers = new Headers();
        var crcBytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crcBytes, crc);
        headers.Add(CrcHeader, crcBytes);
        foreach (var (key, v) in _headers)
        {
            headers.Add(key, v);
        }

        var partition = _partitioner.Partition(value, _layout!, out var messageKey);
        _batch.Add(new Pending(new Message<byte[]?, byte[]> { Key = messageKey, Value = value, Headers = headers }, partition, offset));
        _batchBytes += value.Length;
    }

    void IFrameSink.Quarantine(ReadOnlySpan<byte> bytes, long offset, string reason)
    {
        var cursor = _cursor!;
        _quarantine.Write(cursor.Path, cursor.ReportedId.ToString(), offset, bytes, reason);
        if (_batch.Count == 0 && _batchQuarantined == 0)
        {
            _batchStarted = Stopwatch.GetTimestamp();
        }

        _batchQuarantined++;
        AgentMetrics.Quarantined.Add(1, _streamTag);
        AgentLog.Quarantined(_logger, _name, bytes.Length, cursor.Path, offset, reason);
    }

    private double BatchAgeMs() => Stopwatch.GetElapsedTime(_batchStarted).TotalMilliseconds;

    // ---- sending and committing

    private async Task FlushAsync()
    {
        var cursor = _cursor;
        if (cursor is null || (_batch.Count == 0 && _batchQuarantined == 0))
        {
            return;
        }

        var abort = _abort.Token;
        if (_batch.Count > 0)
        {
            AgentMetrics.BatchPhase.Record(BatchAgeMs(), _streamTag, PhaseRead);
            await RefreshLayoutAsync(force: false, abort).ConfigureAwait(false);
            await SendAsync(abort).ConfigureAwait(false);
            _context.OnAcknowledged(new BatchAcknowledgement(_name, _batch[0].Offset, Consumed, _batch.Count, _batchBytes, Stopwatch.GetTimestamp()));
        }

        var count = _batch.Count;
        var bytes = _batchBytes;
        var first = count > 0 ? _batch[0].Offset : Consumed;
        var last = count > 0 ? _batch[^1].Offset : Consumed;
        var crc = Crc32C.Finish(_batchCrc);
        if (count > 0)
        {
            AgentMetrics.BatchLatency.Record(BatchAgeMs(), _streamTag);
        }

        var watermarkStarted = Stopwatch.GetTimestamp();
        await CommitAsync(cursor, durable: _options.Watermarks == WatermarkMode.PerBatch).ConfigureAwait(false);
        AgentMetrics.BatchPhase.Record(Stopwatch.GetElapsedTime(watermarkStarted).TotalMilliseconds, _streamTag, PhaseWatermark);
        AgentMetrics.Records.Add(count, _streamTag);
        AgentMetrics.Bytes.Add(bytes, _streamTag);
        if (count > 0)
        {
            _context.PublishAudit(_name, cursor, _options.Topic!, first, last, Consumed, count, bytes, crc);
        }

        _batch.Clear();
        _batchBytes = 0;
        _batchCrc = Crc32C.Start;
        _batchQuarantined = 0;
    }

    /// <summary>One <see cref="TopicPartition"/> per partition, reused by every message.</summary>
    private TopicPartition TopicPartitionOf(int partition)
    {
        if (partition >= _topicPartitions.Length)
        {
            Array.Resize(ref _topicPartitions, partition + 1);
        }

        return _topicPartitions[partition] ??= new TopicPartition(_options.Topic, new Partition(partition));
    }

    private async Task ProduceLaneAsync(IProducer<byte[]?, byte[]> producer, IReadOnlyList<Pending> pending, BatchDelivery delivery, bool perRecord, int lane, int lanes, CancellationToken abort)
    {
        var shared = delivery.Handler;
        foreach (var p in pending)
        {
            if (lanes > 1 && p.Partition % lanes != lane)
            {
                continue;
            }

            var tp = _topicPartitions[p.Partition]!;
            var handler = perRecord ? delivery.HandlerFor(p) : shared;
            while (true)
            {
                try
                {
                    producer.Produce(tp, p.Message, handler);
                    break;
                }
                catch (ProduceException<byte[]?, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                {
                    await Task.Delay(1, abort).ConfigureAwait(false);
                }
                catch (ProduceException<byte[]?, byte[]> ex) when (Permanent.Contains(ex.Error.Code))
                {
                    delivery.Complete(new DeliveryReport<byte[]?, byte[]> { Error = ex.Error, Message = p.Message, TopicPartitionOffset = new TopicPartitionOffset(tp, Offset.Unset) }, p);
                    break;
                }
            }
        }
    }

    private async Task SendAsync(CancellationToken abort)
    {
        var producer = _lease!.Producer;
        var pending = (IReadOnlyList<Pending>)_batch;
        var backoff = 100;
        // Fast path: one handler for the whole batch, delivery reports without fields (no copies back).
        // After any failure the batch is sent again with one handler per record, which tells which failed.
        var perRecord = false;
        while (pending.Count > 0)
        {
            var producing = Stopwatch.GetTimestamp();
            var delivery = new BatchDelivery(pending.Count);
            foreach (var p in pending)
            {
                // Filled before the lanes run: the cache is not thread-safe.
                TopicPartitionOf(p.Partition);
            }

            var batch = pending;
            var retry = perRecord;
            if (pending.Count >= ParallelProduceMin && Environment.ProcessorCount > 1)
            {
                // Produce is most of a batch's time (librdkafka calls per record): two lanes, each owning whole
                // partitions, so every partition still receives its records in file order.
                await Task.WhenAll(
                    Task.Run(() => ProduceLaneAsync(producer, batch, delivery, retry, 0, 2, abort), abort),
                    Task.Run(() => ProduceLaneAsync(producer, batch, delivery, retry, 1, 2, abort), abort)).ConfigureAwait(false);
            }
            else
            {
                await ProduceLaneAsync(producer, batch, delivery, retry, 0, 1, abort).ConfigureAwait(false);
            }

            var acknowledging = Stopwatch.GetTimestamp();
            AgentMetrics.BatchPhase.Record(Stopwatch.GetElapsedTime(producing, acknowledging).TotalMilliseconds, _streamTag, PhaseProduce);
            await delivery.Task.WaitAsync(abort).ConfigureAwait(false);
            AgentMetrics.BatchPhase.Record(Stopwatch.GetElapsedTime(acknowledging).TotalMilliseconds, _streamTag, PhaseAck);
            foreach (var (p, error) in delivery.Rejected)
            {
                _quarantine.Write(_cursor!.Path, _cursor.ReportedId.ToString(), p.Offset, p.Message.Value, $"rejected by Kafka: {error.Code} {error.Reason}");
                AgentMetrics.Quarantined.Add(1, _streamTag);
                AgentLog.Rejected(_logger, _name, p.Message.Value.Length, p.Offset, error.Reason);
            }

            if (delivery.FailedCount == 0)
            {
                return;
            }

            var firstError = delivery.FirstError!;
            AgentMetrics.Errors.Add(delivery.FailedCount, _streamTag, new KeyValuePair<string, object?>("kind", "delivery"));
            AgentLog.DeliveryFailed(_logger, _name, delivery.FailedCount, _options.Topic!, firstError.Code, firstError.Reason);
            // Without per-record reports the failed records are unknown: send the whole batch again.
            pending = perRecord ? delivery.Failed : pending;
            perRecord = true;
            await Task.Delay(backoff, abort).ConfigureAwait(false);
            backoff = Math.Min(backoff * 2, 5000);
            await RefreshLayoutAsync(force: true, abort).ConfigureAwait(false);
        }
    }

    private Task CommitAsync(Cursor cursor, bool durable)
    {
        _quarantine.Sync();
        var stat = UnixFile.Stat(cursor.Handle);
        if (!cursor.IsCopy && cursor.Head.Length < FileHead.MaxLength && stat.Size > cursor.Head.Length)
        {
            var head = FileHead.Read(cursor.Handle, stat.Size);
            // Only extend a fingerprint that still describes the same bytes, and only while the file still holds
            // what was just shipped: a head read after a truncation would describe the next generation, and a
            // restart would then resume at this offset in it (the loss the crash test caught).
            if (cursor.Head.Matches(cursor.Handle) && FileTail.Holds(cursor.Handle, ConsumedTailBytes(), Consumed))
            {
                cursor.Head = head;
            }
        }

        var tail = ConsumedTail();
        var draining = DrainingPositions();
        Watermark watermark;
        if (_visiting is null)
        {
            watermark = new Watermark
            {
                Device = cursor.ReportedId.Device,
                Inode = cursor.ReportedId.Inode,
                Offset = Consumed,
                HeadLength = cursor.Head.Length,
                HeadHash = cursor.Head.Hash,
                TailLength = tail.Length,
                TailHash = tail.Hash,
                ModifiedNanos = stat.ModifiedNanos,
                Path = cursor.Path,
                Finished = [.. _finished],
                Draining = draining,
            };
        }
        else if (_parked is { } p)
        {
            // Reading a renamed file: the live file's position is the one it was parked at.
            var parkedTail = FileTail.Of(p.Tail);
            watermark = new Watermark
            {
                Device = p.Cursor.ReportedId.Device,
                Inode = p.Cursor.ReportedId.Inode,
                Offset = p.Offset,
                HeadLength = p.Cursor.Head.Length,
                HeadHash = p.Cursor.Head.Hash,
                TailLength = parkedTail.Length,
                TailHash = parkedTail.Hash,
                ModifiedNanos = UnixFile.Stat(p.Cursor.Handle).ModifiedNanos,
                Path = p.Cursor.Path,
                Finished = [.. _finished],
                Draining = draining,
            };
        }
        else if (_committed is { } last)
        {
            // No live file open (waiting for the successor): the last main position stays.
            watermark = last with { Finished = [.. _finished], Draining = draining };
        }
        else
        {
            return Task.CompletedTask;
        }

        _committed = watermark;
        if (durable)
        {
            return _committer.WriteAsync(watermark);
        }

        _committer.Post(watermark);
        return Task.CompletedTask;
    }

    private async Task RefreshLayoutAsync(bool force, CancellationToken cancellationToken)
    {
        if (!force && _layout is not null && Stopwatch.GetElapsedTime(_layoutLoaded).TotalSeconds < _options.Partitioner.MetadataRefreshSeconds)
        {
            return;
        }

        var layout = await TopicLayoutSource.LoadAsync(_lease!, _options.Topic!, _options.Partitioner.Type == PartitionerKind.Locality, cancellationToken).ConfigureAwait(false);
        _partitioner.Check(layout);
        _partitioner.Update(layout);
        _layout = layout;
        _layoutLoaded = Stopwatch.GetTimestamp();
    }

    // ---- files, rotation, truncation

    private void OpenFromWatermark(Watermark? watermark)
    {
        _resumeAfter = null;
        _pendingWatermark = null;
        if (watermark is null)
        {
            OpenLiveAtStart(_options.StartAt);
            return;
        }

        _finished.Clear();
        _finished.AddRange(watermark.Finished);
        _committed ??= watermark;
        LoadDraining(watermark);
        // A file renamed or truncated between listing and opening: list again.
        for (var attempt = 0; attempt < OpenAttempts; attempt++)
        {
            if (TryOpenFromWatermark(watermark, attempt))
            {
                return;
            }
        }

        // Never settled (the directory kept changing): try again on the next turn, never from the live file's start.
        _pendingWatermark = watermark;
    }

    /// <summary>With no file open: the watermark not yet settled, the successor of a finished file, or (first start only) the live file.</summary>
    private void OpenNext()
    {
        if (_pendingWatermark is { } pending)
        {
            OpenFromWatermark(pending);
            return;
        }

        if (_resumeAfter is { } after)
        {
            for (var attempt = 0; attempt < OpenAttempts; attempt++)
            {
                if (NextAfter(after.ModifiedNanos, after.Id, after.Head, ListFiles()) is not { } n)
                {
                    return;
                }

                if (TryOpen(n, 0, null))
                {
                    _resumeAfter = null;
                    return;
                }
            }

            return;
        }

        OpenLiveAtStart(_options.StartAt);
    }

    /// <param name="watermark">The watermark.</param>
    /// <param name="attempt">How many listings came before this one.</param>
    private bool TryOpenFromWatermark(Watermark watermark, int attempt)
    {
        var files = ListFiles();
        foreach (var f in files.Where(f => f.Stat.Id == watermark.Id))
        {
            if (watermark.Head.Matches(f.Path) && f.Stat.Size >= watermark.Offset && watermark.Tail.Matches(f.Path, watermark.Offset))
            {
                if (!TryOpen(f, watermark.Offset, watermark.Head))
                {
                    return false;
                }

                if (watermark.TailLength > 0 && ConsumedTail() != watermark.Tail)
                {
                    // Truncated between the check and the open: list again.
                    _cursor!.Dispose();
                    _cursor = null;
                    return false;
                }

                _committed = watermark;
                return true;
            }

            // Same inode, other bytes (at the start or just before the offset): truncated in place (copy-truncate,
            // perhaps grown past the offset again) or the inode was reused.
            var copy = FindCopy(watermark.Head, watermark.Tail, watermark.Offset, watermark.Id, files);
            AgentMetrics.Rotations.Add(1, _streamTag, new KeyValuePair<string, object?>("kind", copy is null ? "inode_reuse" : "copytruncate"));
            var handle = OpenHandle(f.Path);
            if (copy is not null)
            {
                AgentLog.Truncated(_logger, _name, f.Path, watermark.Id.ToString(), watermark.Offset, $"the rest is read from its copy {copy.Value.Path}");
                OpenCopy(copy.Value.Path, watermark.Offset, watermark.Id, watermark.Head, new Cursor(handle, f.Path, f.Stat.Id, FileHead.Read(handle, f.Stat.Size), isCopy: false));
            }
            else
            {
                AgentLog.Truncated(_logger, _name, f.Path, watermark.Id.ToString(), watermark.Offset, "no copy found: restarting it at offset 0 (inode reuse or truncation)");
                SetCursor(new Cursor(handle, f.Path, f.Stat.Id, FileHead.Read(handle, f.Stat.Size), isCopy: false), 0);
            }

            return true;
        }

        // Not listed. A listing taken while the file is renamed can miss both its names (the old name listed
        // before the rename, stat'ed after it): only a file missing from several listings is gone. (Deciding on one
        // listing skipped the rest of a renamed generation after a restart: the crash test's lost lines.)
        if (attempt < GoneListings - 1)
        {
            return false;
        }

        // The file is gone (deleted, or rotated out of the patterns): continue with what came after it.
        var next = NextAfter(watermark.ModifiedNanos, watermark.Id, watermark.Head, files);
        AgentMetrics.Rotations.Add(1, _streamTag, new KeyValuePair<string, object?>("kind", "deleted"));
        AgentLog.WatermarkFileGone(_logger, _name, watermark.Id.ToString(), next?.Path ?? "(waiting for the live file)");
        if (next is not { } n)
        {
            // Nothing yet: the successor (first the live file) is opened from its start when it appears.
            _resumeAfter = new ResumePoint(watermark.ModifiedNanos, watermark.Id, watermark.Head);
            return true;
        }

        return TryOpen(n, 0, null);
    }

    private void OpenLiveAtStart(StartPosition start)
    {
        if (FindLive() is not { } live)
        {
            return;
        }

        TryOpen(live, start == StartPosition.End && _committed is null ? live.Stat.Size : 0, null);
    }

    /// <summary>
    /// Opens a listed file if its path still names that inode and it has not shrunk since it was listed
    /// (renamed or copy-truncated in between: the caller lists again, and finds the copy).
    /// </summary>
    private bool TryOpen(LogFile listed, long offset, FileHead? head)
    {
        SafeFileHandle handle;
        try
        {
            handle = OpenHandle(listed.Path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }

        // The head is read before the size is checked: a file that still has its listed size afterwards
        // had not been truncated when its head was read.
        var fingerprint = head ?? FileHead.Read(handle, listed.Stat.Size);
        var stat = UnixFile.Stat(handle);
        if (stat.Id != listed.Stat.Id || stat.Size < listed.Stat.Size)
        {
            handle.Dispose();
            return false;
        }

        SetCursor(new Cursor(handle, listed.Path, stat.Id, fingerprint, isCopy: false), offset);
        return true;
    }

    private void OpenCopy(string path, long offset, FileId reportedId, FileHead head, Cursor after)
    {
        var handle = OpenHandle(path);
        SetCursor(new Cursor(handle, path, reportedId, head, isCopy: true) { After = after }, offset);
    }

    private void SetCursor(Cursor cursor, long offset)
    {
        // Callers dispose what they replace: a truncated file's handle lives on in its restarted cursor.
        _cursor = cursor;
        _bufOffset = offset;
        _bufStart = 0;
        _bufEnd = 0;
        _framer.Reset();
        if (offset > 0)
        {
            // The bytes before the offset, as already consumed: the first read is checked against them, and the
            // first watermark fingerprints them.
            var length = (int)Math.Min(offset, FileTail.MaxLength);
            if (RandomAccess.Read(cursor.Handle, _buf.AsSpan(0, length), offset - length) == length)
            {
                _bufOffset = offset - length;
                _bufStart = length;
                _bufEnd = length;
            }
        }

        AgentLog.Opened(_logger, _name, cursor.Path, cursor.ReportedId.ToString(), offset);
    }

    private static SafeFileHandle OpenHandle(string path)
        => File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

    private async Task FinishCopyAsync(Cursor copy)
    {
        Frame(final: true);
        await FlushAsync().ConfigureAwait(false);
        var after = copy.After!;
        copy.Dispose();
        _cursor = null;
        // No watermark here: the last one (the truncated file's old head, an offset in the copy) still leads a
        // restart to the copy and then to this file from 0. One written now, with a head taken from a
        // just-truncated (nearly empty) file, could not tell a second truncation from growth.
        SetCursor(after, 0);
    }

    private async Task OnTruncatedAsync(Cursor cursor)
    {
        // Records framed before the truncation was seen are old content: ship them first.
        await FlushAsync().ConfigureAwait(false);
        var offset = Consumed;
        var files = ListFiles();
        var copy = FindCopy(cursor.Head, ConsumedTail(), offset, cursor.ReportedId, files);
        AgentMetrics.Rotations.Add(1, _streamTag, new KeyValuePair<string, object?>("kind", "copytruncate"));
        var size = RandomAccess.GetLength(cursor.Handle);
        // Truncated to a non-zero size: what is left still starts with the old bytes, shipped already.
        var duplicates = cursor.Head.Length > 0 && cursor.Head.Matches(cursor.Handle) ? Math.Min(size, offset) : 0;
        if (duplicates > 0)
        {
            AgentMetrics.PossibleDuplicateBytes.Add(duplicates, _streamTag);
        }

        var restarted = new Cursor(cursor.Handle, cursor.Path, cursor.ReportedId, FileHead.Read(cursor.Handle, size), isCopy: false);
        if (copy is { } c)
        {
            AgentLog.Truncated(_logger, _name, cursor.Path, cursor.ReportedId.ToString(), offset, $"the rest is read from its copy {c.Path}");
            _cursor = null;
            OpenCopy(c.Path, offset, cursor.ReportedId, cursor.Head, restarted);
        }
        else
        {
            // Whatever was written between the last read and the truncation is only in a copy the patterns do not
            // match (or nowhere): lost by design, counted.
            AgentMetrics.Errors.Add(1, _streamTag, new KeyValuePair<string, object?>("kind", "truncated_without_copy"));
            AgentLog.Truncated(_logger, _name, cursor.Path, cursor.ReportedId.ToString(), offset, $"no copy matching the patterns found: restarting at offset 0 ({duplicates} bytes possibly shipped twice; anything written after offset {offset} before the truncation is not read)");
            _cursor = null;
            SetCursor(restarted, 0);
        }
    }

    /// <summary>At the end of the current file: has it been truncated, rotated away, or replaced?</summary>
    private async Task<bool> CheckRotationAsync(Cursor cursor)
    {
        var stat = UnixFile.Stat(cursor.Handle);
        if (stat.Size < Consumed || !cursor.Head.Matches(cursor.Handle) || !FileTail.Holds(cursor.Handle, ConsumedTailBytes(), Consumed))
        {
            await OnTruncatedAsync(cursor).ConfigureAwait(false);
            return true;
        }

        var live = FindLive();
        if (live is null || live.Value.Stat.Id == cursor.ReportedId)
        {
            return false;
        }

        // Renamed away (or deleted) and a new live file exists: drain the old inode, then move on.
        switch (Fill(cursor))
        {
            case > 0:
                return true;
            case < 0:
                await OnTruncatedAsync(cursor).ConfigureAwait(false);
                return true;
        }

        // With rotate-wait the old inode stays open and is read again while writers still append to it (a last
        // line without newline waits for its end); without it, a last line without newline is shipped now.
        var rotateWait = _options.RotateWaitMs > 0;
        if (!rotateWait)
        {
            Frame(final: true);
        }

        await FlushAsync().ConfigureAwait(false);
        AddFinished(cursor);
        AgentMetrics.Rotations.Add(1, _streamTag, new KeyValuePair<string, object?>("kind", "rename"));
        var finishedAt = Consumed;
        if (rotateWait)
        {
            _draining.Add(new Parked(cursor, finishedAt, ConsumedTailBytes().ToArray()) { SeenSize = _bufOffset + _bufEnd });
            AgentLog.RotateWaitStarted(_logger, _name, cursor.Path, cursor.ReportedId.ToString(), finishedAt, _options.RotateWaitMs);
        }
        else
        {
            cursor.Dispose();
        }

        _cursor = null;
        // The watermark stays at the end of the finished file until the new one has data: a restart then
        // finds the finished file, and every file written after it (copies included) in order.
        for (var attempt = 0; attempt < OpenAttempts; attempt++)
        {
            var next = NextAfter(stat.ModifiedNanos, cursor.ReportedId, cursor.Head, ListFiles());
            if (next is { } n && TryOpen(n, 0, null))
            {
                AgentLog.Rotated(_logger, _name, "rename", cursor.ReportedId.ToString(), finishedAt, n.Path);
                return true;
            }
        }

        // Not settled: the main loop looks for the successor again (never jumps to the live file's start).
        _resumeAfter = new ResumePoint(stat.ModifiedNanos, cursor.ReportedId, cursor.Head);

        return true;
    }

    private void AddFinished(Cursor cursor)
    {
        _finished.Add(new FinishedFile(cursor.ReportedId.Device, cursor.ReportedId.Inode, cursor.Head.Length, cursor.Head.Hash));
        if (_finished.Count > FinishedKept)
        {
            _finished.RemoveAt(0);
        }
    }

    /// <summary>The oldest file written after <paramref name="modifiedNanos"/> that is neither the finished file nor a copy of a file already read.</summary>
    private LogFile? NextAfter(long modifiedNanos, FileId current, FileHead currentHead, List<LogFile> files)
    {
        foreach (var f in files.Where(f => f.Stat.Id != current && f.Stat.ModifiedNanos >= modifiedNanos).OrderBy(f => f.Stat.ModifiedNanos).ThenBy(f => f.Path, StringComparer.Ordinal))
        {
            if (_finished.Any(x => x.Inode == f.Stat.Inode && x.Device == f.Stat.Device) || _draining.Any(d => d.Cursor.ReportedId == f.Stat.Id) || (currentHead.Length > 0 && currentHead.Matches(f.Path)) || _finished.Any(x => x.HeadLength > 0 && x.Head.Matches(f.Path)))
            {
                continue;
            }

            return f;
        }

        return FindLive() is { } live && live.Stat.Id != current ? live : null;
    }

    /// <summary>
    /// The copy that copy-truncate left of a file: at least <paramref name="minSize"/> bytes, holding the bytes
    /// shipped last just before <paramref name="minSize"/> (<paramref name="tail"/>) and, preferably, the same head.
    /// Without a tail (older watermarks) the head alone decides.
    /// </summary>
    private static LogFile? FindCopy(FileHead head, FileTail tail, long minSize, FileId original, List<LogFile> files)
    {
        if (tail.Length == 0 && head.Length == 0)
        {
            return null;
        }

        return files.Where(f => f.Stat.Id != original && f.Stat.Size >= minSize)
            .Select(f => (File: f, Head: head.Length > 0 && head.Matches(f.Path), Tail: tail.Length > 0 && tail.Matches(f.Path, minSize)))
            .Where(c => tail.Length > 0 ? c.Tail : c.Head)
            .OrderByDescending(c => c.Head)
            .ThenByDescending(c => c.File.Stat.Size)
            .Select(c => (LogFile?)c.File)
            .FirstOrDefault();
    }

    private LogFile? FindLive()
    {
        if (_options.Pattern!.IndexOfAny(['*', '?']) < 0)
        {
            // A plain name: one stat instead of listing the directory at every end-of-file check.
            var path = Path.Combine(_directory, _options.Pattern);
            return UnixFile.TryStat(path) is { } only ? new LogFile(path, only) : null;
        }

        LogFile? best = null;
        foreach (var path in SafeEnumerate())
        {
            var name = Path.GetFileName(path);
            if (!Glob.IsMatch(name, _options.Pattern!) || UnixFile.TryStat(path) is not { } stat)
            {
                continue;
            }

            if (best is null || stat.ModifiedNanos > best.Value.Stat.ModifiedNanos)
            {
                best = new LogFile(path, stat);
            }
        }

        return best;
    }

    /// <summary>
    /// The stream's files (live and rotated), by inode. A listing taken while a file is renamed can miss it under
    /// both names (the old name listed before the rename and stat'ed after it), so two listings are merged: a file
    /// renamed once is in at least one of them.
    /// </summary>
    private List<LogFile> ListFiles()
    {
        var byId = new Dictionary<FileId, LogFile>();
        for (var pass = 0; pass < 2; pass++)
        {
            foreach (var path in SafeEnumerate())
            {
                var name = Path.GetFileName(path);
                if ((Glob.IsMatch(name, _options.Pattern!) || Glob.IsMatch(name, _rotatedPattern)) && UnixFile.TryStat(path) is { } stat)
                {
                    byId[stat.Id] = new LogFile(path, stat);
                }
            }
        }

        return [.. byId.Values];
    }

    private IEnumerable<string> SafeEnumerate()
    {
        try
        {
            return Directory.GetFiles(_directory);
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }

    private void StartWatching()
    {
        if (_watcher is not null || !Directory.Exists(_directory))
        {
            return;
        }

        try
        {
            _watcher = new FileSystemWatcher(_directory) { NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size };
            _watcher.Changed += (_, _) => Signal();
            _watcher.Created += (_, _) => Signal();
            _watcher.Renamed += (_, _) => Signal();
            _watcher.Deleted += (_, _) => Signal();
            _watcher.EnableRaisingEvents = true;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException)
        {
            // inotify limits reached: polling alone still works.
            _watcher?.Dispose();
            _watcher = null;
        }
    }

    private void Signal()
    {
        try
        {
            if (_signal.CurrentCount == 0)
            {
                _signal.Release();
            }
        }
        catch (Exception ex) when (ex is SemaphoreFullException or ObjectDisposedException)
        {
            // already signalled, or stopping
        }
    }

    private async Task WaitAsync(int milliseconds, CancellationToken stop)
    {
        try
        {
            await _signal.WaitAsync(milliseconds, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping: the loop flushes and returns
        }

        if (_watcher is null)
        {
            StartWatching();
        }
    }

    private readonly record struct LogFile(string Path, FileStat Stat);

    /// <summary>A file not read right now: where to continue, and the bytes just before that (to check the file still holds them).</summary>
    private sealed class Parked(Cursor cursor, long offset, byte[] tail)
    {
        public Cursor Cursor { get; } = cursor;

        public long Offset { get; set; } = offset;

        public byte[] Tail { get; set; } = tail;

        /// <summary>How far the file had been read (partial last line included): growth beyond it means new data.</summary>
        public long SeenSize { get; set; }

        public long LastGrowth { get; set; } = Stopwatch.GetTimestamp();
    }

    /// <summary>A finished (or vanished) file whose successor is still to be opened.</summary>
    private sealed record ResumePoint(long ModifiedNanos, FileId Id, FileHead Head);

    internal sealed record Pending(Message<byte[]?, byte[]> Message, int Partition, long Offset);

    /// <summary>An open file being read. A copy stands in for a truncated file (<see cref="ReportedId"/>) until its end.</summary>
    internal sealed class Cursor(SafeFileHandle handle, string path, FileId reportedId, FileHead head, bool isCopy) : IDisposable
    {
        public SafeFileHandle Handle { get; } = handle;

        public string Path { get; } = path;

        public FileId ReportedId { get; } = reportedId;

        public FileHead Head { get; set; } = head;

        public bool IsCopy { get; } = isCopy;

        public Cursor? After { get; init; }

        public void Dispose() => Handle.Dispose();
    }

    /// <summary>Counts a batch's delivery reports; one handler for the whole batch.</summary>
    private sealed class BatchDelivery
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Lock _lock = new();
        private int _remaining;
        private int _failed;

        public BatchDelivery(int count)
        {
            _remaining = count;
            Handler = r => Complete(r, null);
        }

        public int FailedCount => Volatile.Read(ref _failed);

        public Action<DeliveryReport<byte[]?, byte[]>> Handler { get; }

        /// <summary>A handler that knows its record (the per-record path after a failure).</summary>
        public Action<DeliveryReport<byte[]?, byte[]>> HandlerFor(Pending pending) => r => Complete(r, pending);

        public Task Task => _done.Task;

        public List<Pending> Failed { get; } = [];

        public List<(Pending Pending, Error Error)> Rejected { get; } = [];

        public Error? FirstError { get; private set; }

        /// <summary>A delivery report; <paramref name="pending"/> is known only on the per-record path.</summary>
        public void Complete(DeliveryReport<byte[]?, byte[]> report, Pending? pending)
        {
            if (report.Error.IsError)
            {
                lock (_lock)
                {
                    if (pending is not null && Permanent.Contains(report.Error.Code))
                    {
                        Rejected.Add((pending, report.Error));
                    }
                    else
                    {
                        FirstError ??= report.Error;
                        _failed++;
                        if (pending is not null)
                        {
                            Failed.Add(pending);
                        }
                    }
                }
            }

            if (Interlocked.Decrement(ref _remaining) == 0)
            {
                _done.TrySetResult();
            }
        }
    }
}

/// <summary>What every stream of an agent shares.</summary>
internal sealed class AgentContext(
    string host,
    string? zone,
    string dataDirectory,
    IReadOnlyDictionary<string, string> kafka,
    WatermarkStore watermarks,
    ProducerPool producers,
    ILoggerFactory loggerFactory,
    Action<byte[]>? audit,
    Action<BatchAcknowledgement>? acknowledged = null)
{
    public void OnAcknowledged(BatchAcknowledgement batch) => acknowledged?.Invoke(batch);

    public string Host { get; } = host;

    public string? Zone { get; } = zone;

    public string DataDirectory { get; } = dataDirectory;

    public IReadOnlyDictionary<string, string> Kafka { get; } = kafka;

    public WatermarkStore Watermarks { get; } = watermarks;

    public ProducerPool Producers { get; } = producers;

    public ILoggerFactory LoggerFactory { get; } = loggerFactory;

    public void PublishAudit(string stream, LogStreamWorker.Cursor cursor, string topic, long first, long last, long end, int count, long bytes, uint crc)
    {
        if (audit is null)
        {
            return;
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("host", Host);
            json.WriteString("stream", stream);
            json.WriteString("topic", topic);
            json.WriteString("file", cursor.Path);
            json.WriteNumber("device", cursor.ReportedId.Device);
            json.WriteNumber("inode", cursor.ReportedId.Inode);
            json.WriteNumber("firstOffset", first);
            json.WriteNumber("lastOffset", last);
            json.WriteNumber("endOffset", end);
            json.WriteNumber("count", count);
            json.WriteNumber("bytes", bytes);
            json.WriteString("crc32c", crc.ToString("x8", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("time", DateTimeOffset.UtcNow);
            json.WriteEndObject();
        }

        audit(buffer.ToArray());
    }
}

/// <summary>Kafka acknowledged a batch of a stream (raised before its watermark is written).</summary>
/// <param name="Stream">The stream.</param>
/// <param name="FirstOffset">File offset of the batch's first record.</param>
/// <param name="EndOffset">File offset just after the batch's last record.</param>
/// <param name="Count">Records in the batch.</param>
/// <param name="Bytes">Payload bytes in the batch.</param>
/// <param name="Timestamp">When the last acknowledgement arrived (<see cref="Stopwatch.GetTimestamp"/>).</param>
public sealed record BatchAcknowledgement(string Stream, long FirstOffset, long EndOffset, int Count, long Bytes, long Timestamp);
