using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Tributary.Streaming.Kafka;

/// <summary>
/// The provider's instruments on the <c>Tributary.Streaming.Kafka</c> meter (System.Diagnostics.Metrics,
/// so any OpenTelemetry or Prometheus exporter sees them). Tags: <c>provider</c>, <c>topic</c>, <c>partition</c>.
/// </summary>
/// <remarks>
/// <c>tributary.kafka.consumer_lag</c> is the broker's high watermark minus the consumer's durable
/// checkpoint: the records a sink has not yet made durable, the same figure Kafka's consumer-group
/// tools show once the checkpoint is committed.
/// </remarks>
public static class KafkaMetrics
{
    /// <summary>Meter name.</summary>
    public const string MeterName = "Tributary.Streaming.Kafka";

    private static readonly Meter Meter = new(MeterName);
    private static readonly ConcurrentDictionary<KafkaProviderRuntime, byte> Runtimes = new();

    internal static readonly Counter<long> Commits = Meter.CreateCounter<long>("tributary.kafka.commits", "{commit}", "Offset commits of durable checkpoints.");
    internal static readonly Counter<long> CommitFailures = Meter.CreateCounter<long>("tributary.kafka.commit_failures", "{commit}", "Offset commits that failed (retried on the next interval).");
    internal static readonly Counter<long> ConsumeErrors = Meter.CreateCounter<long>("tributary.kafka.consume_errors", "{error}", "Errors returned by the fetch consumer.");

    static KafkaMetrics()
    {
        Meter.CreateObservableCounter("tributary.kafka.records_fetched", () => Observe(p => p.Records), "{record}", "Records fetched from Kafka into partition buffers (resets when a partition moves away).");
        Meter.CreateObservableCounter("tributary.kafka.fetched.bytes", () => Observe(p => p.Bytes), "By", "Key and value bytes fetched from Kafka.");
        Meter.CreateObservableGauge("tributary.kafka.consumer_lag", ObserveLag, "{record}", "High watermark minus the durable checkpoint, per assigned partition.");
        Meter.CreateObservableGauge("tributary.kafka.buffered_records", ObserveBuffered, "{record}", "Records fetched and waiting for delivery to the partition's grain.");
        Meter.CreateObservableGauge("tributary.kafka.committed_offset", ObserveCommitted, "{offset}", "Last offset committed to the consumer group.");
    }

    internal static void Track(KafkaProviderRuntime runtime)
    {
        Runtimes.TryAdd(runtime, 0);

        // The provider's failure series exist (at zero) from the start, so rate() and alerts have something to read.
        var provider = new KeyValuePair<string, object?>("provider", runtime.Name);
        CommitFailures.Add(0, provider);
        ConsumeErrors.Add(0, provider);
    }

    internal static void Untrack(KafkaProviderRuntime runtime) => Runtimes.TryRemove(runtime, out _);

    private static IEnumerable<Measurement<long>> ObserveLag()
    {
        foreach (var runtime in Runtimes.Keys)
        {
            foreach (var (topic, partition, high, _, _, _) in runtime.FetchPositions())
            {
                if (high < 0)
                {
                    continue;
                }

                var durable = runtime.DurableCheckpoint(topic, partition);
                yield return new Measurement<long>(Math.Max(0, high - durable), Tags(runtime, topic, partition));
            }
        }
    }

    private static IEnumerable<Measurement<long>> ObserveBuffered() => Observe(p => p.Buffered);

    private static IEnumerable<Measurement<long>> Observe(Func<(string Topic, int Partition, long HighWatermark, int Buffered, long Records, long Bytes), long> value)
    {
        foreach (var runtime in Runtimes.Keys)
        {
            foreach (var position in runtime.FetchPositions())
            {
                yield return new Measurement<long>(value(position), Tags(runtime, position.Topic, position.Partition));
            }
        }
    }

    private static IEnumerable<Measurement<long>> ObserveCommitted()
    {
        foreach (var runtime in Runtimes.Keys)
        {
            foreach (var ((topic, partition), offset) in runtime.CommittedOffsets())
            {
                yield return new Measurement<long>(offset, Tags(runtime, topic, partition));
            }
        }
    }

    internal static KeyValuePair<string, object?>[] Tags(KafkaProviderRuntime runtime, string topic, int partition)
        => [new("provider", runtime.Name), new("topic", topic), new("partition", partition)];
}
