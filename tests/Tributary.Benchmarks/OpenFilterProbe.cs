using System.Diagnostics;
using System.Globalization;
using Tributary.Segments;
using Tributary.Segments.Ingest;
using Tributary.Segments.Schema;

namespace Tributary.Benchmarks;

/// <summary>
/// What a filter costs on an open segment now that it keeps no bitmaps while open: the first selector on a value
/// (a vectorized scan of the id column, then cached), the same selector again (cached), and again after more appends
/// (caught up by scanning only the new rows). 1M generated events of one partition with rollup off, like
/// <see cref="SegmentQueryBenchmarks"/>. Wall time per call, median over a few hundred values.
/// Run: <c>dotnet run -c Release --project tests/Tributary.Benchmarks -- open-filter</c>. Prints one JSON line.
/// </summary>
internal static class OpenFilterProbe
{
    public static void Run()
    {
        var loaded = DatasourceSpecLoader.LoadFile(SegmentBenchmarks.FindSpec());
        var spec = loaded with { Granularity = loaded.Granularity with { Rollup = false } };
        var events = PinEventSource.Generate(1_001_000);
        using var segment = new OpenSegment(spec, new SegmentId(spec.Name, PinEventSource.HourStart, 0));
        var parser = new RowParser(spec);
        var row = new ParsedRow(spec);
        for (var i = 0; i < 1_000_000; i++)
        {
            segment.TryAppend(events[i], parser, row, out _);
        }

        var pins = segment.GetDimension("pin_id")!;
        var random = new Random(5);
        var ids = Enumerable.Range(0, 300).Select(_ => random.Next(pins.Cardinality)).Distinct().ToArray();
        var cold = Time(ids, id => pins.GetRows(id).Cardinality);
        var cached = Time(ids, id => pins.GetRows(id).Cardinality);
        for (var i = 1_000_000; i < 1_001_000; i++)
        {
            segment.TryAppend(events[i], parser, row, out _);
        }

        var caughtUp = Time(ids, id => pins.GetRows(id).Cardinality);
        var actions = segment.GetDimension("action")!;
        var coldAction = Time([.. Enumerable.Range(0, actions.Cardinality)], id => actions.GetRows(id).Cardinality); // 4-44% of the rows each
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"scenario\":\"open-filter\",\"rows\":{segment.RowCount},\"pins\":{pins.Cardinality},\"first_selector_us\":{cold:F1},\"cached_selector_us\":{cached:F2},\"after_1000_appends_us\":{caughtUp:F2},\"first_selector_action_value_us\":{coldAction:F1},\"cached_bytes\":{segment.NativeMemoryUsage}}}"));
    }

    private static double Time(int[] ids, Func<int, long> call)
    {
        var micros = new List<double>();
        long sink = 0;
        foreach (var id in ids)
        {
            var start = Stopwatch.GetTimestamp();
            sink += call(id);
            micros.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }

        GC.KeepAlive(sink);
        micros.Sort();
        return micros[micros.Count / 2];
    }
}
