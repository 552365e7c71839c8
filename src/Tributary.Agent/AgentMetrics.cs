using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Tributary.Agent;

/// <summary>
/// The agent's instruments on the <c>Tributary.Agent</c> meter (System.Diagnostics.Metrics, which
/// OpenTelemetry's .NET SDK collects with <c>AddMeter("Tributary.Agent")</c>). Per-stream values are
/// tagged with <c>stream</c>.
/// </summary>
public static class AgentMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Tributary.Agent";

    private static readonly ConcurrentDictionary<string, Func<long>> LagSources = new(StringComparer.Ordinal);

    /// <summary>The meter.</summary>
    public static readonly Meter Meter = new(MeterName, typeof(AgentMetrics).Assembly.GetName().Version?.ToString());

    /// <summary>Payload bytes acknowledged by Kafka.</summary>
    public static readonly Counter<long> Bytes = Meter.CreateCounter<long>("tributary.agent.bytes", "By", "Payload bytes acknowledged by Kafka");

    /// <summary>Records acknowledged by Kafka.</summary>
    public static readonly Counter<long> Records = Meter.CreateCounter<long>("tributary.agent.records", "{record}", "Records acknowledged by Kafka");

    /// <summary>Errors by kind (delivery, read, config, metadata).</summary>
    public static readonly Counter<long> Errors = Meter.CreateCounter<long>("tributary.agent.errors", "{error}", "Errors by kind");

    /// <summary>Frames or lines written to the quarantine file.</summary>
    public static readonly Counter<long> Quarantined = Meter.CreateCounter<long>("tributary.agent.quarantined", "{record}", "Malformed frames or rejected lines quarantined");

    /// <summary>Rotations by kind (rename, copytruncate, deleted, inode_reuse).</summary>
    public static readonly Counter<long> Rotations = Meter.CreateCounter<long>("tributary.agent.rotations", "{rotation}", "Rotations seen, by kind");

    /// <summary>Bytes that may be shipped twice: a file truncated to a non-zero size still starts with bytes already shipped, and is read again from 0.</summary>
    public static readonly Counter<long> PossibleDuplicateBytes = Meter.CreateCounter<long>("tributary.agent.possible_duplicate_bytes", "By", "Bytes possibly shipped twice after a truncation");

    /// <summary>Times the locality-aware partitioner found no partition in the zone and used all.</summary>
    public static readonly Counter<long> LocalityFallbacks = Meter.CreateCounter<long>("tributary.agent.locality.fallbacks", "{fallback}", "Locality-aware partitioner fell back to all partitions");

    /// <summary>Records without the configured key field (sent round-robin, unkeyed).</summary>
    public static readonly Counter<long> KeylessRecords = Meter.CreateCounter<long>("tributary.agent.records.keyless", "{record}", "Records without the configured key field");

    /// <summary>Batch latency from the first record read to Kafka's acknowledgement.</summary>
    public static readonly Histogram<double> BatchLatency = Meter.CreateHistogram<double>("tributary.agent.batch.latency", "ms", "From reading a batch's first record to Kafka's acknowledgement");

    /// <summary>Time per batch phase (<c>phase</c> = read, produce, ack, watermark): where a batch's time goes.</summary>
    public static readonly Histogram<double> BatchPhase = Meter.CreateHistogram<double>("tributary.agent.batch.phase", "ms", "Time of each phase of a batch: reading and framing, handing records to the producer, waiting for acknowledgements, writing the watermark");

    /// <summary>Bytes not yet acknowledged per stream.</summary>
    public static readonly ObservableGauge<long> Lag = Meter.CreateObservableGauge("tributary.agent.lag", ObserveLag, "By", "Bytes written to the stream's files but not yet acknowledged by Kafka");

    internal static void RegisterLag(string stream, Func<long> lag) => LagSources[stream] = lag;

    internal static void UnregisterLag(string stream) => LagSources.TryRemove(stream, out _);

    private static IEnumerable<Measurement<long>> ObserveLag()
    {
        foreach (var (stream, lag) in LagSources)
        {
            yield return new Measurement<long>(lag(), new KeyValuePair<string, object?>("stream", stream));
        }
    }
}
