using System.Diagnostics;

namespace Tributary.Enrich;

/// <summary>
/// Throughput of the enrich step on the calling thread (one core), for <c>tributary bench sql</c>'s
/// <c>enrich_lookups_per_s_per_core</c> and the benchmark project.
/// </summary>
public static class EnrichBench
{
    /// <summary>
    /// Enrich lookups per second on one thread: the geo enrichers' IP text to country (parse and binary search) and
    /// the pinCategory enrichers' pin id to category (cache hit or miss), with the keys taken from
    /// <paramref name="events"/> beforehand, so JSON parsing is not counted (<see cref="MeasureEventsPerSecond"/> counts
    /// it). One lookup = one key resolved by one enricher. Runs <paramref name="runs"/> timed passes of at least
    /// <paramref name="duration"/> each after a warm-up and returns their median.
    /// </summary>
    /// <exception cref="ArgumentException">No event has a key for a geo or pinCategory enricher.</exception>
    public static double MeasureLookupsPerSecond(EnrichPipeline pipeline, IReadOnlyList<byte[]> events, TimeSpan duration, int runs = 3)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        var (geo, pins) = pipeline.LookupKeys(events);
        if (geo.Count + pins.Count == 0)
        {
            throw new ArgumentException("no event has a key for a geo or pinCategory enricher of this pipeline", nameof(events));
        }

        var sink = 0L;
        var rate = Median(duration, runs, () =>
        {
            foreach (var (database, ip) in geo)
            {
                sink += database.Lookup(ip).Length;
            }

            foreach (var (cache, pin) in pins)
            {
                sink += cache.TryGet(pin, out var category) ? category.Length : 1;
            }

            return geo.Count + pins.Count;
        });
        GC.KeepAlive(sink);
        return rate;
    }

    /// <summary>Whole <see cref="EnrichPipeline.Process"/> calls (parse, filter, enrich, result) per second on one thread; median of <paramref name="runs"/>.</summary>
    public static double MeasureEventsPerSecond(EnrichPipeline pipeline, IReadOnlyList<byte[]> events, TimeSpan duration, int runs = 3)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentOutOfRangeException.ThrowIfZero(events.Count);
        return Median(duration, runs, () =>
        {
            for (var i = 0; i < events.Count; i++)
            {
                pipeline.Process(events[i]);
            }

            return events.Count;
        });
    }

    private static double Median(TimeSpan duration, int runs, Func<long> pass)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(runs);
        Rate(TimeSpan.FromMilliseconds(Math.Min(500, duration.TotalMilliseconds)), pass);
        var rates = new double[runs];
        for (var r = 0; r < runs; r++)
        {
            rates[r] = Rate(duration, pass);
        }

        Array.Sort(rates);
        return rates[runs / 2];
    }

    private static double Rate(TimeSpan duration, Func<long> pass)
    {
        long count = 0;
        var watch = Stopwatch.StartNew();
        do
        {
            count += pass();
        }
        while (watch.Elapsed < duration);

        return count / watch.Elapsed.TotalSeconds;
    }
}
