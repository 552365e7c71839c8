using BenchmarkDotNet.Attributes;
using Tributary.Segments;
using Tributary.Segments.Ingest;
using Tributary.Segments.Schema;

namespace Tributary.Benchmarks;

/// <summary>
/// Segment append on generated pin-engagement events of one partition (parse with Utf8JsonReader, dictionary
/// encode, roll up by minute, update bitmaps and metrics), per event; and sealing. Prints the memory held per
/// event and per row once in the setup (search the log for "segment memory").
/// </summary>
[MemoryDiagnoser]
public class SegmentBenchmarks
{
    private const int Events = 500_000;
    private byte[][] _events = [];
    private DatasourceSpec _spec = null!;
    private OpenSegment _filled = null!;

    [GlobalSetup]
    public void Setup()
    {
        _spec = DatasourceSpecLoader.LoadFile(FindSpec());
        _events = PinEventSource.Generate(Events);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        _filled = Fill();
        var managed = GC.GetTotalMemory(forceFullCollection: true) - before;
        var native = _filled.MemoryUsage;
        Console.WriteLine(
            $"segment memory: events={Events} rows={_filled.RowCount} estimate={native} B ({(double)native / Events:F1} B/event, {(double)native / _filled.RowCount:F1} B/row); " +
            $"GC-measured managed={managed} B");
    }

    [GlobalCleanup]
    public void Cleanup() => _filled.Dispose();

    [Benchmark(OperationsPerInvoke = Events, Description = "segment append: parse + rollup + bitmaps (per event)")]
    public int Append()
    {
        using var segment = Fill();
        return segment.RowCount;
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "parse only (per event)")]
    public long ParseOnly()
    {
        var parser = new RowParser(_spec);
        var row = new ParsedRow(_spec);
        long sum = 0;
        foreach (var json in _events)
        {
            parser.TryParse(json, row, out _);
            sum += row.TimestampMs;
        }

        return sum;
    }

    [Benchmark(Description = "seal 500k-event segment to a stream")]
    public long Seal()
    {
        using var buffer = new MemoryStream();
        return _filled.SealTo(buffer);
    }

    private OpenSegment Fill()
    {
        var segment = new OpenSegment(_spec, new SegmentId(_spec.Name, PinEventSource.HourStart, 0));
        var parser = new RowParser(_spec);
        var row = new ParsedRow(_spec);
        foreach (var json in _events)
        {
            if (!segment.TryAppend(json, parser, row, out var error))
            {
                throw new InvalidOperationException(error);
            }
        }

        return segment;
    }

    internal static string FindSpec()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "silo-config", "datasources", "pin_engagement.json")))
        {
            directory = directory.Parent;
        }

        return Path.Combine(directory?.FullName ?? throw new FileNotFoundException("silo-config/datasources/pin_engagement.json not found above " + AppContext.BaseDirectory), "silo-config", "datasources", "pin_engagement.json");
    }
}
