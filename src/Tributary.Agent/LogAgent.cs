using System.IO.Hashing;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tributary.Agent.Configuration;
using Tributary.Agent.Files;
using Tributary.Agent.Kubernetes;
using Tributary.Agent.Options;
using Tributary.Agent.Producing;

namespace Tributary.Agent;

/// <summary>
/// The log agent: runs one <see cref="LogStreamWorker"/> per stream (main file, conf.d folder, Kubernetes
/// discovery), picks up stream files added, changed or removed while running, sends heartbeats and
/// audit records. Start it with <see cref="StartAsync"/>, stop it with <see cref="StopAsync"/> (graceful:
/// every stream sends its batch in hand and writes its final watermark).
/// </summary>
public sealed class LogAgent : IAsyncDisposable
{
    private static readonly JsonSerializerOptions FingerprintJson = new() { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
    private readonly AgentOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly Dictionary<string, (LogStreamWorker Worker, string Fingerprint, string Source)> _workers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (ulong Hash, LogStreamOptions? Stream)> _confFiles = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _reconcileLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private AgentContext? _context;
    private ProducerPool? _producers;
    private ProducerPool.Lease? _side;
    private Task? _background;
    private long _sideErrors;

    /// <summary>Creates an agent from validated options.</summary>
    public LogAgent(AgentOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = new AgentOptionsValidator().Validate(null, options);
        if (result.Failed)
        {
            throw new AgentConfigException(string.Join("; ", result.Failures!));
        }

        _options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<LogAgent>();
        Host = string.IsNullOrEmpty(options.Host) ? Environment.MachineName : options.Host;
    }

    /// <summary>The agent's version (assembly informational version).</summary>
    public static string Version { get; } = typeof(LogAgent).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>Host name in heartbeats and audit records.</summary>
    public string Host { get; }

    /// <summary>Names of the running streams.</summary>
    public IReadOnlyList<string> Streams
    {
        get
        {
            lock (_workers)
            {
                return [.. _workers.Keys.Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Raised on the stream's thread each time Kafka acknowledged a whole batch (keep handlers short).</summary>
    public event Action<BatchAcknowledgement>? BatchAcknowledged;

    /// <summary>Heartbeat or audit records that could not be delivered.</summary>
    public long SideChannelErrors => Interlocked.Read(ref _sideErrors);

    /// <summary>
    /// Starts every stream and the background loop. Invalid stream files fail here, naming the file and the key.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(_options.DataDirectory);
        _producers = new ProducerPool(_logger);
        _side = _producers.Acquire(ProducerPool.Effective(_options.Kafka, null));
        _context = new AgentContext(Host, _options.Zone, _options.DataDirectory, _options.Kafka, new WatermarkStore(_options.DataDirectory), _producers, _loggerFactory, string.IsNullOrEmpty(_options.Audit.Topic) ? null : PublishAudit, b => BatchAcknowledged?.Invoke(b));
        await ReconcileAsync(startup: true, cancellationToken).ConfigureAwait(false);
        AgentLog.AgentStarted(_logger, Host, _options.Zone ?? "-", Streams.Count, _options.DataDirectory);
        _background = Task.Run(() => BackgroundAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Rescans conf.d and the Kubernetes root now and applies the changes (the background loop does it every <c>confPollIntervalMs</c>).</summary>
    public Task ReconcileNowAsync(CancellationToken cancellationToken = default) => ReconcileAsync(startup: false, cancellationToken);

    /// <summary>Completes when the stream has started (its start file chosen) or failed to.</summary>
    public Task WhenStreamStartedAsync(string stream)
    {
        lock (_workers)
        {
            return _workers.TryGetValue(stream, out var w) ? w.Worker.Started : throw new ArgumentException($"no stream named '{stream}'", nameof(stream));
        }
    }

    /// <summary>The last watermark a stream wrote, or null.</summary>
    public Watermark? CommittedWatermark(string stream)
    {
        lock (_workers)
        {
            return _workers.TryGetValue(stream, out var w) ? w.Worker.Committed : null;
        }
    }

    /// <summary>Bytes of a stream not yet acknowledged.</summary>
    public long Lag(string stream)
    {
        lock (_workers)
        {
            return _workers.TryGetValue(stream, out var w) ? w.Worker.Lag() : 0;
        }
    }

    /// <summary>Stops gracefully: each stream sends what it has read, waits for Kafka, and writes its final watermark.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_background is not null)
        {
            await _background.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await _reconcileLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            List<LogStreamWorker> workers;
            lock (_workers)
            {
                workers = [.. _workers.Values.Select(w => w.Worker)];
                _workers.Clear();
            }

            await Task.WhenAll(workers.Select(w => w.DisposeAsync().AsTask())).ConfigureAwait(false);
            _side?.Producer.Flush(TimeSpan.FromSeconds(10));
            _side?.Dispose();
            _side = null;
            _producers?.Dispose();
            _producers = null;
        }
        finally
        {
            _reconcileLock.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
        _reconcileLock.Dispose();
    }

    private async Task BackgroundAsync(CancellationToken stop)
    {
        var nextHeartbeat = DateTime.UtcNow;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Min(_options.ConfPollIntervalMs, 1000)));
        var nextReconcile = DateTime.UtcNow.AddMilliseconds(_options.ConfPollIntervalMs);
        try
        {
            do
            {
                if (DateTime.UtcNow >= nextReconcile)
                {
                    nextReconcile = DateTime.UtcNow.AddMilliseconds(_options.ConfPollIntervalMs);
                    try
                    {
                        await ReconcileAsync(startup: false, stop).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        AgentMetrics.Errors.Add(1, new KeyValuePair<string, object?>("kind", "config"));
                        AgentLog.ConfigRejected(_logger, "reconcile", ex);
                    }
                }

                if (!string.IsNullOrEmpty(_options.Heartbeat.Topic) && DateTime.UtcNow >= nextHeartbeat)
                {
                    nextHeartbeat = DateTime.UtcNow.AddSeconds(_options.Heartbeat.IntervalSeconds);
                    SendHeartbeat();
                }
            }
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    private async Task ReconcileAsync(bool startup, CancellationToken cancellationToken)
    {
        await _reconcileLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_context is null || _stop.IsCancellationRequested)
            {
                return;
            }

            var desired = new Dictionary<string, (LogStreamOptions Stream, string Source)>(StringComparer.Ordinal);
            foreach (var s in _options.Streams)
            {
                desired[s.Name!] = (s, "main");
            }

            foreach (var (path, stream) in ReadConfDirectory(startup))
            {
                if (desired.TryGetValue(stream.Name!, out var clash))
                {
                    var error = new AgentConfigException($"{path}: name: stream '{stream.Name}' is already defined by {clash.Source}");
                    if (startup)
                    {
                        throw error;
                    }

                    AgentLog.ConfigRejected(_logger, path, error);
                    continue;
                }

                desired[stream.Name!] = (stream, path);
            }

            if (_options.Kubernetes.Enabled)
            {
                foreach (var pod in PodLogDiscovery.Discover(_options.Kubernetes))
                {
                    desired.TryAdd(pod.Name!, (pod, "kubernetes"));
                }
            }

            List<(string Name, LogStreamWorker Worker, string Source)> stopping = [];
            lock (_workers)
            {
                foreach (var (name, running) in _workers)
                {
                    if (!desired.TryGetValue(name, out var want) || Fingerprint(want.Stream) != running.Fingerprint)
                    {
                        stopping.Add((name, running.Worker, running.Source));
                    }
                }

                foreach (var s in stopping)
                {
                    _workers.Remove(s.Name);
                }
            }

            foreach (var (name, worker, source) in stopping)
            {
                await worker.DisposeAsync().ConfigureAwait(false);
                var removed = !desired.ContainsKey(name);
                AgentLog.StreamChanged(_logger, name, removed ? "removed" : "changed; restarting from its watermark");
                if (removed && source == "kubernetes")
                {
                    // The pod's log directory is gone, and with it the files the watermark pointed at.
                    _context.Watermarks.Delete(name);
                }
            }

            foreach (var (name, (stream, source)) in desired)
            {
                lock (_workers)
                {
                    if (_workers.ContainsKey(name))
                    {
                        continue;
                    }
                }

                var worker = new LogStreamWorker(stream, _context);
                lock (_workers)
                {
                    _workers[name] = (worker, Fingerprint(stream), source);
                }

                worker.Start();
                if (!startup)
                {
                    AgentLog.StreamChanged(_logger, name, "added");
                }
            }
        }
        finally
        {
            _reconcileLock.Release();
        }
    }

    private List<(string Path, LogStreamOptions Stream)> ReadConfDirectory(bool startup)
    {
        var result = new List<(string, LogStreamOptions)>();
        if (string.IsNullOrEmpty(_options.ConfDirectory) || !Directory.Exists(_options.ConfDirectory))
        {
            _confFiles.Clear();
            return result;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in Directory.GetFiles(_options.ConfDirectory, "*.json").Order(StringComparer.Ordinal))
        {
            seen.Add(path);
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (IOException)
            {
                // being replaced right now: the next scan reads it
                if (_confFiles.TryGetValue(path, out var kept) && kept.Stream is not null)
                {
                    result.Add((path, kept.Stream));
                }

                continue;
            }

            var hash = XxHash64.HashToUInt64(bytes);
            if (_confFiles.TryGetValue(path, out var known) && known.Hash == hash)
            {
                if (known.Stream is not null)
                {
                    result.Add((path, known.Stream));
                }

                continue;
            }

            try
            {
                var stream = AgentConfigLoader.LoadStream(path);
                _confFiles[path] = (hash, stream);
                result.Add((path, stream));
            }
            catch (AgentConfigException ex)
            {
                if (startup)
                {
                    throw;
                }

                AgentMetrics.Errors.Add(1, new KeyValuePair<string, object?>("kind", "config"));
                AgentLog.ConfigRejected(_logger, path, ex);
                // Keep running what the file defined before it broke.
                var previous = _confFiles.TryGetValue(path, out var p) ? p.Stream : null;
                _confFiles[path] = (hash, previous);
                if (previous is not null)
                {
                    result.Add((path, previous));
                }
            }
        }

        foreach (var gone in _confFiles.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            _confFiles.Remove(gone);
        }

        return result;
    }

    private static string Fingerprint(LogStreamOptions stream) => JsonSerializer.Serialize(stream, FingerprintJson);

    private void SendHeartbeat()
    {
        List<LogStreamWorker> workers;
        lock (_workers)
        {
            workers = [.. _workers.Values.Select(w => w.Worker)];
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("host", Host);
            json.WriteString("zone", _options.Zone);
            json.WriteString("version", Version);
            json.WriteString("time", DateTimeOffset.UtcNow);
            json.WriteNumber("lagBytes", workers.Sum(w => w.Lag()));
            json.WriteStartArray("streams");
            foreach (var w in workers)
            {
                json.WriteStartObject();
                json.WriteString("name", w.Name);
                json.WriteString("topic", w.Options.Topic);
                if (w.Committed is { } c)
                {
                    json.WriteString("file", c.Path);
                    json.WriteNumber("offset", c.Offset);
                }

                json.WriteNumber("lagBytes", w.Lag());
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        ProduceSide(_options.Heartbeat.Topic!, Encoding.UTF8.GetBytes(Host), buffer.ToArray());
    }

    private void PublishAudit(byte[] record) => ProduceSide(_options.Audit.Topic!, null, record);

    private void ProduceSide(string topic, byte[]? key, byte[] value)
    {
        var side = _side;
        if (side is null)
        {
            return;
        }

        try
        {
            side.Producer.Produce(topic, new Message<byte[]?, byte[]> { Key = key, Value = value }, r =>
            {
                if (r.Error.IsError)
                {
                    Interlocked.Increment(ref _sideErrors);
                    AgentMetrics.Errors.Add(1, new KeyValuePair<string, object?>("kind", "side_channel"));
                    AgentLog.SideChannelFailed(_logger, r.Error.Reason);
                }
            });
        }
        catch (KafkaException ex)
        {
            Interlocked.Increment(ref _sideErrors);
            AgentMetrics.Errors.Add(1, new KeyValuePair<string, object?>("kind", "side_channel"));
            AgentLog.SideChannelFailed(_logger, ex.Error.Reason);
        }
    }
}
