using System.Collections.Concurrent;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Tributary.Streaming.Kafka;

/// <summary>
/// Coalesces reported checkpoints and commits them with a consumer of the provider's group that never
/// subscribes (Kafka accepts such "simple consumer" commits for any partition).
/// </summary>
internal sealed class KafkaCheckpointer : IKafkaCheckpointer, IAsyncDisposable
{
    private readonly ConcurrentDictionary<(string Topic, int Partition), long> _pending = new();
    private readonly ConcurrentDictionary<(string Topic, int Partition), long> _committed = new();
    private readonly Lazy<IConsumer<byte[], byte[]>> _consumer;
    private readonly SemaphoreSlim _commitGate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _logger;
    private readonly Task _loop;
    private readonly string _providerName;
    private int _disposed;

    public KafkaCheckpointer(string providerName, KafkaStreamOptions options, ILogger logger)
    {
        _providerName = providerName;
        _logger = logger;
        _consumer = new(() => new ConsumerBuilder<byte[], byte[]>(KafkaStreamClients.Consumer(providerName, options, $"commit-{Environment.ProcessId}"))
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, e) => KafkaLog.ClientError(_logger, providerName, e.Code, e.Reason))
            .Build());
        _loop = CommitLoopAsync(options.CommitInterval);
    }

    public IReadOnlyDictionary<(string Topic, int Partition), long> Committed => _committed;

    public long Durable(string topic, int partition)
        => _pending.TryGetValue((topic, partition), out var offset) ? offset : _committed.GetValueOrDefault((topic, partition));

    public void Checkpoint(string topic, int partition, long nextOffset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nextOffset);
        _pending.AddOrUpdate((topic, partition), nextOffset, (_, old) => Math.Max(old, nextOffset));
    }

    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        await _commitGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var due = _pending
                .Where(kv => !_committed.TryGetValue(kv.Key, out var done) || done < kv.Value)
                .Select(kv => (kv.Key, kv.Value))
                .ToList();
            if (due.Count == 0)
            {
                return;
            }

            var offsets = due.Select(d => new TopicPartitionOffset(d.Key.Topic, d.Key.Partition, d.Value)).ToList();
            // Commit() blocks until the coordinator answers.
            try
            {
                await Task.Run(() => _consumer.Value.Commit(offsets), cancellationToken).ConfigureAwait(false);
            }
            catch (KafkaException)
            {
                KafkaMetrics.CommitFailures.Add(1, new KeyValuePair<string, object?>("provider", _providerName));
                throw;
            }

            KafkaMetrics.Commits.Add(1, new KeyValuePair<string, object?>("provider", _providerName));
            foreach (var (key, value) in due)
            {
                _committed.AddOrUpdate(key, value, (_, old) => Math.Max(old, value));
            }
        }
        finally
        {
            _commitGate.Release();
        }
    }

    private async Task CommitLoopAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    await FlushAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (KafkaException ex)
                {
                    KafkaLog.CommitFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Registered both as itself and inside the provider runtime: the container may dispose it twice.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _stop.Cancel();
        await _loop.ConfigureAwait(false);
        try
        {
            await FlushAsync().ConfigureAwait(false);
        }
        catch (KafkaException ex)
        {
            KafkaLog.CommitFailed(_logger, ex);
        }

        if (_consumer.IsValueCreated)
        {
            _consumer.Value.Dispose();
        }

        _stop.Dispose();
    }
}
