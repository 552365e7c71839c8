using System.Diagnostics;

namespace Tributary.Enrich;

/// <summary>
/// Throughput of the enrich step on the calling thread (one core), for <c>tributary bench sql</c>'s
/// <c>enrich_lookups_per_s_per_core</c> and the benchmark project.
/// </summary>
public static class EnrichBench
{
    /// <summary>
    /// Enricher lookups per second on one thread: each event is parsed and every enricher resolves its key (geo:
    /// the IP text to a country; pinCategory: the pin id to a category; map and bot likewise), without building the
    /// kept event's dictionary. One lookup = one enricher resolving one event's key. Runs <paramref name="runs"/>
    /// timed passes of at least <paramref name="duration"/> each after a warm-up and returns their median.
    /// </summary>
    public static double MeasureLookupsPerSecond(EnrichPipeline pipeline, IReadOnlyList<byte[]> events, TimeSpan duration, int runs = 3)
        => Median(pipeline, events, duration, runs, static (p, e, scratch) => p.LookupOnly(e, scratch));

    /// <summary>Whole <see cref="EnrichPipeline.Process"/> calls (parse, filter, enrich, result) per second on one thread; median of <paramref name="runs"/>.</summary>
    public static double MeasureEventsPerSecond(EnrichPipeline pipeline, IReadOnlyList<byte[]> events, TimeSpan duration, int runs = 3)
        => Median(pipeline, events, duration, runs, static (p, e, _) =>
        {
            p.Process(e);
            return 1;
        });

    private delegate int Step(EnrichPipeline pipeline, ReadOnlySpan<byte> e, Span<object?> scratch);

    private static double Median(EnrichPipeline pipeline, IReadOnlyList<byte[]> events, TimeSpan duration, int runs, Step step)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentOutOfRangeException.ThrowIfZero(events.Count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(runs);
        var scratch = new object?[Math.Max(1, pipeline.OutputColumns.Count)];
        Pass(pipeline, events, TimeSpan.FromMilliseconds(Math.Min(500, duration.TotalMilliseconds)), step, scratch);
        var rates = new double[runs];
        for (var r = 0; r < runs; r++)
        {
            rates[r] = Pass(pipeline, events, duration, step, scratch);
        }

        Array.Sort(rates);
        return rates[runs / 2];
    }

    private static double Pass(EnrichPipeline pipeline, IReadOnlyList<byte[]> events, TimeSpan duration, Step step, object?[] scratch)
    {
        long count = 0;
        var watch = Stopwatch.StartNew();
        do
        {
            for (var i = 0; i < events.Count; i++)
            {
                count += step(pipeline, events[i], scratch);
            }
        }
        while (watch.Elapsed < duration);

        return count / watch.Elapsed.TotalSeconds;
    }
}
