using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace Tributary.Grains.Tracker;

/// <summary>
/// Snapshot progress of every shard snapshotted in this silo as gauges on meter <see cref="MeterName"/>, tagged
/// <c>cluster</c> and <c>shard</c>: rows done, chunks done and total, ETA in seconds, and whether one runs. A
/// finished snapshot keeps its final values (rows = rows written, chunks done = total, ETA 0) until the next
/// one starts, so a dashboard shows the last outcome as well as a run in progress.
/// </summary>
public sealed class TrackerMetrics : IDisposable
{
    /// <summary>Name of the meter.</summary>
    public const string MeterName = "Tributary.Tracker";

    private readonly Meter _meter = new(MeterName);
    private readonly ConcurrentDictionary<(string Cluster, int Shard), Sample> _shards = new();

    /// <summary>Creates the instruments.</summary>
    public TrackerMetrics()
    {
        _meter.CreateObservableGauge("tributary.tracker.snapshot.rows", () => Observe(s => s.Rows), "{row}", "Rows written by the running (or last) snapshot of the shard.");
        _meter.CreateObservableGauge("tributary.tracker.snapshot.rows_estimated", () => Observe(s => s.RowsEstimated), "{row}", "Rows the running (or last) snapshot of the shard expects (table statistics).");
        _meter.CreateObservableGauge("tributary.tracker.snapshot.chunks_done", () => Observe(s => s.ChunksDone), "{chunk}", "Chunks (Parquet parts) written by the running (or last) snapshot.");
        _meter.CreateObservableGauge("tributary.tracker.snapshot.chunks_total", () => Observe(s => s.ChunksTotal), "{chunk}", "Chunks planned for the running (or last) snapshot.");
        _meter.CreateObservableGauge("tributary.tracker.snapshot.eta_seconds", () => Observe(s => s.EtaSeconds), "s", "Estimated seconds left in the running snapshot (0 when none runs).");
        _meter.CreateObservableGauge("tributary.tracker.snapshot.running", () => Observe(s => s.Running ? 1 : 0), "{snapshot}", "1 while the shard's snapshot runs.");
    }

    /// <summary>Publishes progress of a running snapshot.</summary>
    public void Report(string cluster, int shard, long rows, long rowsEstimated, int chunksDone, int chunksTotal, TimeSpan? eta)
        => _shards[(cluster, shard)] = new Sample(rows, rowsEstimated, chunksDone, chunksTotal, eta?.TotalSeconds ?? 0, true);

    /// <summary>Publishes the outcome of a finished (or failed) snapshot.</summary>
    public void Finished(string cluster, int shard, long rows, int chunksDone, int chunksTotal)
        => _shards[(cluster, shard)] = new Sample(rows, rows, chunksDone, chunksTotal, 0, false);

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<double>> Observe(Func<Sample, double> value)
    {
        foreach (var ((cluster, shard), sample) in _shards)
        {
            yield return new Measurement<double>(
                value(sample),
                new KeyValuePair<string, object?>("cluster", cluster),
                new KeyValuePair<string, object?>("shard", shard.ToString(CultureInfo.InvariantCulture)));
        }
    }

    private sealed record Sample(long Rows, long RowsEstimated, int ChunksDone, int ChunksTotal, double EtaSeconds, bool Running);
}
