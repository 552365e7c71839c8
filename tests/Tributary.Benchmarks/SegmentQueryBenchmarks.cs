using BenchmarkDotNet.Attributes;
using Tributary.Query;
using Tributary.Segments;
using Tributary.Segments.Ingest;
using Tributary.Segments.Query;
using Tributary.Segments.Schema;

namespace Tributary.Benchmarks;

/// <summary>
/// Per-segment query execution (<see cref="SegmentQueryEngine"/>) on a 1M-row segment of generated pin-engagement
/// events (rollup off so that every event is a row; Zipf-distributed pins), open and sealed: the ID-filtered
/// timeseries of the query bench, topN and groupBy. Each call returns the partial a broker would merge.
/// </summary>
[MemoryDiagnoser]
public class SegmentQueryBenchmarks
{
    private const int Events = 1_000_000;
    private ISegment _segment = null!;
    private OpenSegment _open = null!;
    private SealedSegment? _sealed;
    private NativeQuery _timeseriesHotPin = null!;
    private NativeQuery _timeseriesRarePin = null!;
    private NativeQuery _timeseriesPinUsers = null!;
    private NativeQuery _topNPins = null!;
    private NativeQuery _topNActionsOfPin = null!;
    private NativeQuery _groupBy = null!;

    /// <summary>Whether the segment is sealed (sorted, run-optimized, loaded from bytes) or still open.</summary>
    [Params(false, true)]
    public bool Sealed { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var loaded = DatasourceSpecLoader.LoadFile(FindSpec());
        var spec = loaded with { Granularity = loaded.Granularity with { Rollup = false } };
        _open = new OpenSegment(spec, new SegmentId(spec.Name, PinEventSource.HourStart, 0));
        var parser = new RowParser(spec);
        var row = new ParsedRow(spec);
        foreach (var json in PinEventSource.Generate(Events))
        {
            if (!_open.TryAppend(json, parser, row, out var error))
            {
                throw new InvalidOperationException(error);
            }
        }

        if (Sealed)
        {
            _sealed = _open.Seal();
        }

        _segment = (ISegment?)_sealed ?? _open;

        // the hottest pin and one of ordinary popularity (~50 rows)
        var pins = _segment.GetDimension("pin_id")!;
        // rows per pin from one pass over the ids: asking every pin's bitmap would build (open) or load (sealed) them all
        var rowsPerPin = new int[pins.Cardinality];
        for (var r = 0; r < _segment.RowCount; r++)
        {
            rowsPerPin[pins.GetId(r)]++;
        }

        var byRows = Enumerable.Range(0, pins.Cardinality).Select(id => (Value: pins.GetValue(id)!, Rows: rowsPerPin[id])).ToList();
        var hot = byRows.MaxBy(p => p.Rows);
        var rare = byRows.Where(p => p.Rows >= 50).MinBy(p => p.Rows);
        Console.WriteLine($"segment: rows={_segment.RowCount} pins={pins.Cardinality} hot pin {hot.Value} ({hot.Rows} rows), ordinary pin {rare.Value} ({rare.Rows} rows)");

        const string common = "\"dataSource\":\"pin_engagement\",\"intervals\":[\"2026-11-23T10:00Z/2026-11-23T11:00Z\"]";
        _timeseriesHotPin = QueryParser.Parse($$"""{"queryType":"timeseries",{{common}},"granularity":"all","filter":{"type":"selector","dimension":"pin_id","value":"{{hot.Value}}"},"aggregations":[{"type":"count","name":"rows"},{"type":"longSum","name":"events","fieldName":"count"}]}""");
        _timeseriesRarePin = QueryParser.Parse($$"""{"queryType":"timeseries",{{common}},"granularity":"all","filter":{"type":"selector","dimension":"pin_id","value":"{{rare.Value}}"},"aggregations":[{"type":"count","name":"rows"},{"type":"longSum","name":"events","fieldName":"count"}]}""");
        _timeseriesPinUsers = QueryParser.Parse($$"""{"queryType":"timeseries",{{common}},"granularity":"minute","filter":{"type":"selector","dimension":"pin_id","value":"{{hot.Value}}"},"aggregations":[{"type":"longSum","name":"events","fieldName":"count"},{"type":"hyperUnique","name":"users","fieldName":"unique_users"}]}""");
        _topNPins = QueryParser.Parse($$"""{"queryType":"topN",{{common}},"granularity":"all","dimension":"pin_id","metric":"events","threshold":10,"aggregations":[{"type":"longSum","name":"events","fieldName":"count"}]}""");
        _topNActionsOfPin = QueryParser.Parse($$"""{"queryType":"topN",{{common}},"granularity":"all","filter":{"type":"selector","dimension":"pin_id","value":"{{hot.Value}}"},"dimension":"action","metric":"events","threshold":5,"aggregations":[{"type":"longSum","name":"events","fieldName":"count"},{"type":"hyperUnique","name":"users","fieldName":"unique_users"}]}""");
        _groupBy = QueryParser.Parse($$$"""{"queryType":"groupBy",{{{common}}},"granularity":"hour","filter":{"type":"not","field":{"type":"selector","dimension":"action","value":"view"}},"dimensions":["device","action"],"aggregations":[{"type":"longSum","name":"events","fieldName":"count"}]}""");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sealed?.Dispose();
        _open.Dispose();
    }

    [Benchmark(Description = "timeseries all, selector on the hottest pin, count+longSum")]
    public PartialResult TimeseriesHotPin() => SegmentQueryEngine.Execute(_segment, _timeseriesHotPin, null);

    [Benchmark(Description = "timeseries all, selector on an ordinary pin, count+longSum")]
    public PartialResult TimeseriesOrdinaryPin() => SegmentQueryEngine.Execute(_segment, _timeseriesRarePin, null);

    [Benchmark(Description = "timeseries minute, hottest pin, longSum+hyperUnique")]
    public PartialResult TimeseriesHotPinUsers() => SegmentQueryEngine.Execute(_segment, _timeseriesPinUsers, null);

    [Benchmark(Description = "topN 10 pins by events, all 1M rows")]
    public PartialResult TopNPins() => SegmentQueryEngine.Execute(_segment, _topNPins, null);

    [Benchmark(Description = "topN actions of the hottest pin, longSum+hyperUnique")]
    public PartialResult TopNActionsOfPin() => SegmentQueryEngine.Execute(_segment, _topNActionsOfPin, null);

    [Benchmark(Description = "groupBy device x action by hour, not(action=view)")]
    public PartialResult GroupByDeviceAction() => SegmentQueryEngine.Execute(_segment, _groupBy, null);

    private static string FindSpec()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "silo-config", "datasources", "pin_engagement.json")))
        {
            directory = directory.Parent;
        }

        return Path.Combine(directory?.FullName ?? throw new FileNotFoundException("silo-config/datasources/pin_engagement.json not found above " + AppContext.BaseDirectory), "silo-config", "datasources", "pin_engagement.json");
    }
}
