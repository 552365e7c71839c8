using System.Diagnostics;
using Tributary.Segments;
using Tributary.Segments.Ingest;
using Tributary.Segments.Schema;

namespace Tributary.Benchmarks;

/// <summary>
/// Segment append measured against the thread's CPU time instead of wall time, so that the rows/s per core
/// figure holds on a machine shared with other work (BenchmarkDotNet's wall-clock numbers do not).
/// Run: <c>dotnet run -c Release --project tests/Tributary.Benchmarks -- append-cpu [events]</c>.
/// Prints one JSON line.
/// </summary>
internal static class AppendCpuProbe
{
    public static void Run(string[] args)
    {
        var events = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
        var spec = DatasourceSpecLoader.LoadFile(SegmentBenchmarks.FindSpec());
        Console.Error.WriteLine($"generating {events:N0} events of partition 0 ...");
        var data = PinEventSource.Generate(events);
        var parser = new RowParser(spec);
        var row = new ParsedRow(spec);
        double best = 0;
        long managed = 0;
        OpenSegment? last = null;
        for (var round = 0; round < 5; round++)
        {
            last?.Dispose();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var managedBefore = GC.GetTotalMemory(forceFullCollection: true);
            var segment = new OpenSegment(spec, new SegmentId(spec.Name, PinEventSource.HourStart, 0));
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            foreach (var json in data)
            {
                if (!segment.TryAppend(json, parser, row, out var error))
                {
                    throw new InvalidOperationException(error);
                }
            }

            var seconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            var rate = events / seconds;
            best = Math.Max(best, rate);
            managed = GC.GetTotalMemory(forceFullCollection: true) - managedBefore;
            Console.Error.WriteLine($"round {round}: {rate:N0} events per CPU second ({segment.RowCount:N0} rows)");
            last = segment;
        }

        var estimated = last!.MemoryUsage;
        var memory = managed + last.NativeMemoryUsage; // measured: managed heap difference plus native bitmap bytes
        double parseRate = 0;
        for (var round = 0; round < 3; round++)
        {
            var parseCpu = Process.GetCurrentProcess().TotalProcessorTime;
            foreach (var json in data)
            {
                parser.TryParse(json, row, out _);
            }

            parseRate = Math.Max(parseRate, events / (Process.GetCurrentProcess().TotalProcessorTime - parseCpu).TotalSeconds);
        }

        var sealCpu = Process.GetCurrentProcess().TotalProcessorTime;
        using var sealedBytes = new MemoryStream();
        last.SealTo(sealedBytes);
        var sealSeconds = (Process.GetCurrentProcess().TotalProcessorTime - sealCpu).TotalSeconds;
        Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{{\"scenario\":\"segment-append\",\"events\":{events},\"rows\":{last.RowCount},\"append_rows_per_s_per_core\":{best:F0},\"parse_only_rows_per_s_per_core\":{parseRate:F0},\"bytes_per_event\":{(double)memory / events:F1},\"bytes_per_row\":{(double)memory / last.RowCount:F1},\"sealed_bytes_per_row\":{(double)sealedBytes.Length / last.RowCount:F1},\"seal_cpu_s\":{sealSeconds:F2},\"gc_managed_bytes\":{managed},\"estimated_bytes\":{estimated}}}"));
        last.Dispose();
    }
}
