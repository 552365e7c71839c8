using System.Diagnostics;
using System.Globalization;
using Tributary.Segments;
using Tributary.Segments.Ingest;
using Tributary.Segments.Schema;

namespace Tributary.Benchmarks;

/// <summary>
/// Where an open segment's memory goes, on the shape of <c>tributary bench ingest</c> (300k events over 40 minutes of
/// a 16-partition topic: one open segment per partition). Measures the managed heap as the difference of
/// <see cref="GC.GetTotalMemory(bool)"/> after forced collections plus the bitmaps' native CRoaring memory, and prints
/// the segments' own per-component accounting next to it.
/// Run: <c>dotnet run -c Release --project tests/Tributary.Benchmarks -- memory [events]</c>. Prints one JSON line.
/// </summary>
internal static class MemoryProbe
{
    private const int Partitions = 16;

    public static void Run(string[] args)
    {
        var events = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 300_000;
        var spec = DatasourceSpecLoader.LoadFile(SegmentBenchmarks.FindSpec());
        var topicRate = events / 2400.0;
        Console.Error.WriteLine($"generating {events:N0} events over 16 partitions at {topicRate:F0} events/s ...");
        var data = Enumerable.Range(0, Partitions).Select(p => PinEventSource.Generate(events / Partitions, p, Partitions, topicRate)).ToArray();
        var parser = new RowParser(spec);
        var row = new ParsedRow(spec);
        double cpuSeconds = 0;
        OpenSegment[] segments = [];
        long managed = 0;
        for (var round = 0; round < 3; round++)
        {
            foreach (var s in segments)
            {
                s.Dispose();
            }

            segments = [];
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var before = GC.GetTotalMemory(forceFullCollection: true);
            segments = new OpenSegment[Partitions];
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            for (var p = 0; p < Partitions; p++)
            {
                var segment = segments[p] = new OpenSegment(spec, new SegmentId(spec.Name, PinEventSource.HourStart, p));
                foreach (var json in data[p])
                {
                    if (!segment.TryAppend(json, parser, row, out var error))
                    {
                        throw new InvalidOperationException(error);
                    }
                }
            }

            var seconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            cpuSeconds = round == 0 ? seconds : Math.Min(cpuSeconds, seconds);
            managed = GC.GetTotalMemory(forceFullCollection: true) - before;
        }

        var rows = segments.Sum(s => (long)s.RowCount);
        var appended = segments.Sum(s => s.EventCount);
        var native = segments.Sum(s => s.NativeMemoryUsage);
        var estimate = segments.Sum(s => s.MemoryUsage);
        var parts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var s in segments)
        {
            foreach (var (key, bytes) in s.MemoryBreakdown())
            {
                parts[key] = parts.GetValueOrDefault(key) + bytes;
            }
        }

        foreach (var (key, bytes) in parts)
        {
            Console.Error.WriteLine($"  {key,-32} {bytes,12:N0} B  {(double)bytes / rows,6:F1} B/row");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"scenario\":\"segment-memory\",\"events\":{appended},\"rows\":{rows},\"bytes_per_row\":{(double)(managed + native) / rows:F1},\"managed_bytes_per_row\":{(double)managed / rows:F1},\"native_bytes_per_row\":{(double)native / rows:F1},\"estimated_bytes_per_row\":{(double)estimate / rows:F1},\"append_rows_per_cpu_s\":{appended / cpuSeconds:F0}}}"));
        foreach (var s in segments)
        {
            s.Dispose();
        }
    }
}
