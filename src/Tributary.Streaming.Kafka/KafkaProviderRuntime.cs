using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Tributary.Streaming.Kafka;

/// <summary>
/// Everything one Kafka stream provider holds in one process (silo or client): the topology, the
/// shared fetch consumer, the producer and the checkpointer. Disposed with the host, which commits the
/// last checkpoints and flushes the producer.
/// </summary>
public sealed class KafkaProviderRuntime : IAsyncDisposable
{
    private readonly Lazy<KafkaPartitionFetcher> _fetcher;
    private readonly Lazy<IProducer<byte[]?, byte[]?>> _producer;
    private readonly Lazy<KafkaCheckpointer> _checkpointer;
    private readonly SemaphoreSlim _topologyGate = new(1, 1);
    private KafkaTopology? _topology;

    internal KafkaProviderRuntime(string name, KafkaStreamOptions options, ILoggerFactory loggerFactory, string? configurationSection = null)
    {
        Name = name;
        Options = options;
        ConfigurationSection = configurationSection;
        Logger = loggerFactory.CreateLogger($"Tributary.Streaming.Kafka.{name}");
        _fetcher = new(() => new KafkaPartitionFetcher(name, options, Logger));
        _producer = new(() => new ProducerBuilder<byte[]?, byte[]?>(KafkaStreamClients.Producer(name, options))
            .SetLogHandler((_, m) => KafkaLog.ClientLog(Logger, name, m.Facility, m.Message))
            .SetErrorHandler((_, e) => KafkaLog.ClientError(Logger, name, e.Code, e.Reason))
            .Build());
        _checkpointer = new(() => new KafkaCheckpointer(name, options, Logger));
        KafkaMetrics.Track(this);
    }

    /// <summary>The provider name.</summary>
    public string Name { get; }

    /// <summary>The provider's options.</summary>
    public KafkaStreamOptions Options { get; }

    /// <summary>The configuration section the options were bound from (<c>Tributary:Streams:stats</c>), when known: errors name its keys.</summary>
    public string? ConfigurationSection { get; }

    internal ILogger Logger { get; }

    internal KafkaPartitionFetcher Fetcher => _fetcher.Value;

    internal IProducer<byte[]?, byte[]?> Producer => _producer.Value;

    /// <summary>The provider's checkpointer.</summary>
    public IKafkaCheckpointer Checkpointer => _checkpointer.Value;

    /// <summary>Partitions this process currently reads (empty on clients).</summary>
    public IReadOnlyCollection<(string Topic, int Partition)> AssignedPartitions
        => _fetcher.IsValueCreated ? _fetcher.Value.Assigned.Select(tp => (tp.Topic, tp.Partition.Value)).ToArray() : [];

    /// <summary>Per assigned partition: the broker's cached high watermark (-1 before the first fetch) and the records buffered for delivery.</summary>
    internal IEnumerable<(string Topic, int Partition, long HighWatermark, int Buffered, long Records, long Bytes)> FetchPositions()
        => _fetcher.IsValueCreated ? _fetcher.Value.Positions() : [];

    /// <summary>The offset up to which the partition's consumer made data durable (reported, maybe not yet committed); 0 when none.</summary>
    internal long DurableCheckpoint(string topic, int partition)
        => _checkpointer.IsValueCreated ? _checkpointer.Value.Durable(topic, partition) : 0;

    /// <summary>Offsets committed to the consumer group by this process.</summary>
    internal IEnumerable<KeyValuePair<(string Topic, int Partition), long>> CommittedOffsets()
        => _checkpointer.IsValueCreated ? _checkpointer.Value.Committed : [];

    /// <summary>The topology, discovered from the brokers on first use.</summary>
    public KafkaTopology Topology => _topology ?? GetTopologyAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Discovers the topology once (off the caller's thread).</summary>
    public async ValueTask<KafkaTopology> GetTopologyAsync()
    {
        if (_topology is { } known)
        {
            return known;
        }

        await _topologyGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_topology is null)
            {
                var topology = await Task.Run(() => KafkaTopology.Discover(Name, Options, ConfigurationSection)).ConfigureAwait(false);
                KafkaLog.ProviderStarted(
                    Logger, Name, topology.AllPartitions().Count(), string.Join(",", topology.Topics), Options.BootstrapServers,
                    Options.EffectiveConsumerGroup(Name), KafkaStreamOptions.Redact(Options.Settings.Concat(Options.ConsumerSettings).Concat(Options.ProducerSettings)));
                _topology = topology;
            }

            return _topology;
        }
        finally
        {
            _topologyGate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        KafkaMetrics.Untrack(this);
        if (_checkpointer.IsValueCreated)
        {
            await _checkpointer.Value.DisposeAsync().ConfigureAwait(false);
        }

        if (_fetcher.IsValueCreated)
        {
            _fetcher.Value.Dispose();
        }

        if (_producer.IsValueCreated)
        {
            _producer.Value.Flush(TimeSpan.FromSeconds(10));
            _producer.Value.Dispose();
        }

        _topologyGate.Dispose();
    }
}
