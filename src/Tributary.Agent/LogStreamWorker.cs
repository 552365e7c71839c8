using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
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
/// <remarks>
/// One partial class split by concern: this file holds the lifecycle and the run loop; the rotate-wait draining of
/// renamed files, the framing buffer, the batch being built, sending and acknowledgement, watermarks, opening files,
/// rotation and truncation, and listing and watching the directory each have their own <c>LogStreamWorker.*.cs</c>
/// file.
/// </remarks>
internal sealed partial class LogStreamWorker : IFrameSink, IAsyncDisposable
{
    /// <summary>Header carrying the CRC-32C of the message value (4 bytes, big-endian).</summary>
    public const string CrcHeader = "crc32c";

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
    private readonly WatermarkCommitter _committer;
    private FileSystemWatcher? _watcher;
    private Task? _run;

    private FileCursor? _cursor;
    private Watermark? _pendingWatermark;
    private ResumePoint? _resumeAfter;
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
        // The stream's error series exists from the start (at zero), so an alert on rate() has something to read.
        AgentMetrics.Errors.Add(0, _streamTag, new KeyValuePair<string, object?>("kind", "stream"));
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
}
