using System.Diagnostics.Metrics;
using Tributary.Grains.Tracker;

namespace Tributary.Tracker.Tests;

public sealed class TrackerMetricsTests
{
    [Fact]
    public void Report_ThenFinished_GaugesShowProgressThenFinalValuesPerShard()
    {
        using var metrics = new TrackerMetrics();
        var seen = new Dictionary<(string Instrument, string Cluster, string Shard), double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Other tests' silos publish on a meter of the same name, under other cluster names.
            if (instrument.Meter.Name == TrackerMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            var cluster = (string)tags.ToArray().Single(t => t.Key == "cluster").Value!;
            var shard = (string)tags.ToArray().Single(t => t.Key == "shard").Value!;
            seen[(instrument.Name, cluster, shard)] = value;
        });
        listener.Start();

        metrics.Report("main", 3, rows: 1500, rowsEstimated: 4000, chunksDone: 1, chunksTotal: 4, eta: TimeSpan.FromSeconds(12.5));
        listener.RecordObservableInstruments();
        var running = new Dictionary<(string, string, string), double>(seen);
        metrics.Finished("main", 3, rows: 4000, chunksDone: 4, chunksTotal: 4);
        listener.RecordObservableInstruments();

        Assert.Equal(1500, running[("tributary.tracker.snapshot.rows", "main", "3")]);
        Assert.Equal(1, running[("tributary.tracker.snapshot.chunks_done", "main", "3")]);
        Assert.Equal(4, running[("tributary.tracker.snapshot.chunks_total", "main", "3")]);
        Assert.Equal(12.5, running[("tributary.tracker.snapshot.eta_seconds", "main", "3")]);
        Assert.Equal(1, running[("tributary.tracker.snapshot.running", "main", "3")]);
        Assert.Equal(4000, seen[("tributary.tracker.snapshot.rows", "main", "3")]);
        Assert.Equal(4, seen[("tributary.tracker.snapshot.chunks_done", "main", "3")]);
        Assert.Equal(0, seen[("tributary.tracker.snapshot.eta_seconds", "main", "3")]);
        Assert.Equal(0, seen[("tributary.tracker.snapshot.running", "main", "3")]);
    }
}
