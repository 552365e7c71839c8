using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using Tributary.Grains.Segments;

namespace Tributary.Grains.Telemetry;

/// <summary>
/// The grains' instruments on meter <see cref="MeterName"/> (System.Diagnostics.Metrics; the silo exports them through
/// OpenTelemetry at <c>/metrics</c>): ingest per sink and partition, segments, queries and the archive. Names follow
/// OpenTelemetry's conventions (dotted, units in UCUM); the Prometheus exporter turns <c>tributary.query.duration</c>
/// in <c>ms</c> into <c>tributary_query_duration_milliseconds</c> and appends <c>_total</c> to counters.
/// </summary>
/// <remarks>
/// Counters of rare events (dead letters, retries) are created at zero when a sink activates, so the series exists
/// (and <c>rate()</c> works) before the first one happens.
/// </remarks>
public static class TributaryMetrics
{
    /// <summary>Meter name.</summary>
    public const string MeterName = "Tributary.Grains";

    private static readonly Meter Meter = new(MeterName);
    private static readonly ConcurrentDictionary<SegmentGauge, byte> Segments = new();
    private static readonly ConcurrentDictionary<SegmentMemoryBudget, byte> Budgets = new();

    /// <summary>Records routed by a sink (fresh records only; replays of what was routed before are dropped first). Tags sink, topic, partition.</summary>
    public static readonly Counter<long> IngestRecords = Meter.CreateCounter<long>("tributary.ingest.records", "{record}", "Records routed by a sink, per sink, topic and partition.");

    /// <summary>Records a sink dead-lettered. Tags sink, topic, partition.</summary>
    public static readonly Counter<long> IngestDeadLetters = Meter.CreateCounter<long>("tributary.ingest.dead_letters", "{record}", "Records a sink could not take, sent to the dead-letter topic (or kept in the archive file's dead-letter column).");

    /// <summary>Records dropped as already routed (offset below the sink's next offset). Tags sink, topic, partition.</summary>
    public static readonly Counter<long> IngestDuplicates = Meter.CreateCounter<long>("tributary.ingest.duplicates", "{record}", "Redelivered records dropped because the sink had routed them.");

    /// <summary>Records replayed straight from Kafka after a gap or a failure. Tags sink, topic, partition.</summary>
    public static readonly Counter<long> IngestReplayed = Meter.CreateCounter<long>("tributary.ingest.replayed", "{record}", "Records re-read from Kafka to fill a gap or recover after a failure.");

    /// <summary>Work retried after a failure (memory forgotten, replayed from the checkpoint). Tags sink, topic, partition.</summary>
    public static readonly Counter<long> IngestRetries = Meter.CreateCounter<long>("tributary.ingest.retries", "{attempt}", "Deliveries or flushes retried after a failure (for the archive: failed uploads).");

    /// <summary>Time to persist an open segment's pending events (chunk upload plus state write). Tags datasource.</summary>
    public static readonly Histogram<double> SegmentPersistDuration = Meter.CreateHistogram<double>("tributary.segment.persist.duration", "ms", "Time to persist an open segment's pending events: chunk upload and grain state write.");

    /// <summary>Time to seal a segment (serialize, upload, state write, catalog registration). Tags datasource.</summary>
    public static readonly Histogram<double> SegmentSealDuration = Meter.CreateHistogram<double>("tributary.segment.seal.duration", "ms", "Time to seal a segment: serialize, upload, state write, catalog registration.");

    /// <summary>Time to load a sealed segment from the object store. Tags datasource.</summary>
    public static readonly Histogram<double> SegmentLoadDuration = Meter.CreateHistogram<double>("tributary.segment.load.duration", "ms", "Time to load a sealed segment from the object store on its first query.");

    /// <summary>Sealed segments unloaded to keep a silo's loaded segments within its memory budget.</summary>
    public static readonly Counter<long> SegmentUnloads = Meter.CreateCounter<long>("tributary.segment.unloads", "{segment}", "Sealed segments unloaded (least recently queried first) to keep the silo within Tributary:Segments:MemoryBudgetMb; they reload on their next query.");

    /// <summary>Broker time of a native query, parse to response. Tags datasource, query_type, status.</summary>
    public static readonly Histogram<double> QueryDuration = Meter.CreateHistogram<double>("tributary.query.duration", "ms", "Broker time of a native query, from parse to response, by datasource, query type and HTTP status.");

    /// <summary>Segments a query fanned out to. Tags datasource, query_type.</summary>
    public static readonly Counter<long> QuerySegmentsScanned = Meter.CreateCounter<long>("tributary.query.segments.scanned", "{segment}", "Segments queries fanned out to.");

    /// <summary>Segments of the timeline a query did not visit. Tags datasource, query_type, reason (interval, partition, bloom_filter).</summary>
    public static readonly Counter<long> QuerySegmentsPruned = Meter.CreateCounter<long>("tributary.query.segments.pruned", "{segment}", "Segments of the timeline pruned, by reason: interval, partition, bloom_filter.");

    /// <summary>Archive files uploaded. Tags topic, partition.</summary>
    public static readonly Counter<long> ArchiveFiles = Meter.CreateCounter<long>("tributary.archive.files", "{file}", "Parquet files the archive uploaded.");

    /// <summary>Bytes of archive files uploaded. Tags topic, partition.</summary>
    public static readonly Counter<long> ArchiveBytes = Meter.CreateCounter<long>("tributary.archive.bytes", "By", "Bytes of the Parquet files the archive uploaded.");

    /// <summary>Rows in archive files uploaded. Tags topic, partition.</summary>
    public static readonly Counter<long> ArchiveRows = Meter.CreateCounter<long>("tributary.archive.rows", "{row}", "Rows in the Parquet files the archive uploaded.");

    /// <summary>Time to complete and upload one archive file, then write its manifest entry. Tags topic.</summary>
    public static readonly Histogram<double> ArchiveUploadDuration = Meter.CreateHistogram<double>("tributary.archive.upload.duration", "ms", "Time to complete and upload one archive file and write its manifest entry.");

    static TributaryMetrics()
    {
        Meter.CreateObservableGauge("tributary.segment.count", ObserveSegmentCount, "{segment}", "Segment activations in this silo, by datasource and state (open, sealed: loaded in memory, unloaded: sealed, not loaded).");
        Meter.CreateObservableGauge("tributary.segment.budget.loaded", () => Budgets.Keys.Sum(b => b.LoadedBytes), "By", "Bytes of sealed segments loaded in this silo, as accounted against its memory budget.");
        Meter.CreateObservableGauge("tributary.segment.budget.limit", () => Budgets.Keys.Sum(b => b.BudgetBytes), "By", "The silo's memory budget for loaded sealed segments (Tributary:Segments:MemoryBudgetMb).");
        SegmentUnloads.Add(0);
        Meter.CreateObservableGauge("tributary.segment.memory", ObserveSegmentMemory, "By", "Memory held by the segments of this silo (open: columns and bitmaps; sealed: the loaded segment's bytes), by datasource and state.");
    }

    /// <summary>The tags of one sink's partition.</summary>
    public static KeyValuePair<string, object?>[] SinkTags(string sink, string topic, int partition)
        => [new("sink", sink), new("topic", topic), new("partition", partition.ToString(CultureInfo.InvariantCulture))];

    /// <summary>Creates the series of a sink's rare events at zero.</summary>
    public static void InitializeSink(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        IngestDeadLetters.Add(0, tags);
        IngestRetries.Add(0, tags);
        IngestReplayed.Add(0, tags);
        IngestDuplicates.Add(0, tags);
        IngestRecords.Add(0, tags);
    }

    /// <summary>Tracks one segment activation for the segment gauges until <see cref="SegmentGauge.Dispose"/>.</summary>
    public static SegmentGauge TrackSegment(string datasource)
    {
        var gauge = new SegmentGauge(datasource);
        Segments.TryAdd(gauge, 0);
        return gauge;
    }

    /// <summary>Reports <paramref name="budget"/> in the budget gauges until <see cref="UntrackBudget"/>.</summary>
    public static void TrackBudget(SegmentMemoryBudget budget) => Budgets.TryAdd(budget, 0);

    /// <summary>Stops reporting <paramref name="budget"/>.</summary>
    public static void UntrackBudget(SegmentMemoryBudget budget) => Budgets.TryRemove(budget, out _);

    private static IEnumerable<Measurement<long>> ObserveSegmentCount()
        => Observe(g => 1);

    private static IEnumerable<Measurement<long>> ObserveSegmentMemory()
        => Observe(g => g.MemoryBytes);

    private static IEnumerable<Measurement<long>> Observe(Func<SegmentGauge, long> value)
    {
        foreach (var group in Segments.Keys.GroupBy(g => (g.Datasource, g.State)))
        {
            yield return new Measurement<long>(
                group.Sum(value),
                new KeyValuePair<string, object?>("datasource", group.Key.Datasource),
                new KeyValuePair<string, object?>("state", group.Key.State));
        }
    }

    /// <summary>
    /// One segment activation's state and memory as its grain last published them (read by the gauges on the
    /// exporter's thread, so the grain writes plain values instead of being read while it works).
    /// </summary>
    public sealed class SegmentGauge : IDisposable
    {
        private volatile string _state = "open";
        private long _memory;

        internal SegmentGauge(string datasource) => Datasource = datasource;

        /// <summary>The datasource.</summary>
        public string Datasource { get; }

        /// <summary><c>open</c>, <c>sealed</c> (loaded) or <c>unloaded</c>.</summary>
        public string State => _state;

        /// <summary>Bytes held in memory.</summary>
        public long MemoryBytes => Interlocked.Read(ref _memory);

        /// <summary>Publishes the segment's state and memory.</summary>
        public void Publish(string state, long memoryBytes)
        {
            _state = state;
            Interlocked.Exchange(ref _memory, memoryBytes);
        }

        /// <inheritdoc />
        public void Dispose() => Segments.TryRemove(this, out _);
    }
}
