using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Tributary.Agent.Producing;

/// <summary>
/// One Confluent producer per distinct effective configuration, shared by the streams that use it
/// (a host with hundreds of pod logs must not start hundreds of librdkafka clients). Defaults:
/// <c>acks=all</c>, <c>enable.idempotence=true</c>, <c>linger.ms=1</c>, status-only delivery reports; any of them can be overridden.
/// </summary>
public sealed class ProducerPool : IDisposable
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly ILogger _logger;

    /// <summary>Creates the pool.</summary>
    public ProducerPool(ILogger logger) => _logger = logger;

    /// <summary>The effective settings for the agent settings plus a stream's overrides.</summary>
    public static SortedDictionary<string, string> Effective(IReadOnlyDictionary<string, string> agent, IReadOnlyDictionary<string, string>? stream)
    {
        var settings = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["acks"] = "all",
            ["enable.idempotence"] = "true",
            ["linger.ms"] = "1",
            ["client.id"] = "tributary-agent",
            // Delivery reports carry only the status: values are not copied back into .NET per record.
            ["dotnet.producer.delivery.report.fields"] = "status",
        };
        foreach (var (k, v) in agent)
        {
            settings[k] = v;
        }

        foreach (var (k, v) in stream ?? new Dictionary<string, string>())
        {
            settings[k] = v;
        }

        return settings;
    }

    /// <summary>A shared producer for <paramref name="settings"/>; give it back with <see cref="Release"/>.</summary>
    public Lease Acquire(SortedDictionary<string, string> settings)
    {
        var key = string.Join('\n', settings.Select(kv => $"{kv.Key}={kv.Value}"));
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                var producer = new ProducerBuilder<byte[]?, byte[]>(new ProducerConfig(settings))
                    .SetLogHandler((_, m) => AgentLog.Librdkafka(_logger, m.Level.ToString(), m.Facility, m.Message))
                    .SetErrorHandler((_, e) =>
                    {
                        AgentMetrics.Errors.Add(1, new KeyValuePair<string, object?>("kind", "client"));
                        AgentLog.ClientError(_logger, e.Code, e.Reason);
                    })
                    .Build();
                entry = new Entry(key, producer, new DependentAdminClientBuilder(producer.Handle).Build(), settings.GetValueOrDefault("bootstrap.servers", string.Empty), settings.GetValueOrDefault("security.protocol", "plaintext"));
                _entries[key] = entry;
            }

            entry.References++;
            return new Lease(this, entry);
        }
    }

    private void Release(Entry entry)
    {
        lock (_lock)
        {
            if (--entry.References > 0)
            {
                return;
            }

            _entries.Remove(entry.Key);
        }

        entry.Dispose();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        List<Entry> all;
        lock (_lock)
        {
            all = [.. _entries.Values];
            _entries.Clear();
        }

        foreach (var entry in all)
        {
            entry.Dispose();
        }
    }

    /// <summary>A producer borrowed from the pool.</summary>
    public sealed class Lease : IDisposable
    {
        private readonly ProducerPool _pool;
        private readonly Entry _entry;
        private int _released;

        internal Lease(ProducerPool pool, Entry entry)
        {
            _pool = pool;
            _entry = entry;
        }

        /// <summary>The producer.</summary>
        public IProducer<byte[]?, byte[]> Producer => _entry.Producer;

        /// <summary>An admin client on the producer's connections (metadata).</summary>
        public IAdminClient Admin => _entry.Admin;

        /// <summary>bootstrap.servers of the producer.</summary>
        public string BootstrapServers => _entry.BootstrapServers;

        /// <summary>security.protocol of the producer.</summary>
        public string SecurityProtocol => _entry.SecurityProtocol;

        /// <inheritdoc />
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                _pool.Release(_entry);
            }
        }
    }

    internal sealed class Entry(string key, IProducer<byte[]?, byte[]> producer, IAdminClient admin, string bootstrapServers, string securityProtocol) : IDisposable
    {
        public string Key { get; } = key;

        public IProducer<byte[]?, byte[]> Producer { get; } = producer;

        public IAdminClient Admin { get; } = admin;

        public string BootstrapServers { get; } = bootstrapServers;

        public string SecurityProtocol { get; } = securityProtocol;

        public int References { get; set; }

        public void Dispose()
        {
            Producer.Flush(TimeSpan.FromSeconds(10));
            Admin.Dispose();
            Producer.Dispose();
        }
    }
}
