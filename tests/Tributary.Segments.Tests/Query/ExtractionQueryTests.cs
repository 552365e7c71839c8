using Tributary.Query;
using Tributary.Segments.Query;

namespace Tributary.Segments.Tests.Query;

/// <summary>
/// Extraction functions in the segment engine: grouping on extracted values merges the dictionary values that extract
/// alike into one group, filters test extracted values, and the function runs once per distinct dictionary value.
/// </summary>
public sealed class ExtractionQueryTests
{
    public static TheoryData<bool> Sealed => [false, true];

    [Theory]
    [MemberData(nameof(Sealed))]
    public void Execute_GroupByExtraction_CallsTheFunctionOncePerDictionaryValue(bool seal)
    {
        using var segment = Segment(seal, out var rows);
        var counting = new CountingFn(new SubstringExtractionFn(0, 5));
        var query = new GroupByQuery
        {
            DataSource = QueryTestData.Datasource,
            Intervals = [Interval.Eternity],
            Dimensions = [new DimensionSpec("pin_id", "prefix", DimensionOutputType.String, counting)],
            Aggregations = [new AggregatorSpec(AggregatorType.Count, "rows", null), new AggregatorSpec(AggregatorType.LongSum, "clicks", "clicks")],
        };

        var actual = Run(segment, query);

        Assert.Equal(segment.GetDimension("pin_id")!.Cardinality, counting.Calls);
        Assert.True(segment.RowCount > 2 * counting.Calls, "the test needs more rows than values");
        Assert.Equal(Reference(query, rows), actual);
        Assert.Contains("\"prefix\":\"pin-0\"", actual, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Sealed))]
    public void Execute_FilterWithExtraction_CallsTheFunctionOncePerDictionaryValue(bool seal)
    {
        using var segment = Segment(seal, out var rows);
        var counting = new CountingFn(new StrlenExtractionFn());
        var filter = new InFilter("device", ["3", "7"]).WithExtractionFn(counting);
        var query = new TimeseriesQuery
        {
            DataSource = QueryTestData.Datasource,
            Intervals = [Interval.Eternity],
            Filter = new OrFilter([filter, new SelectorFilter("country", "Europe").WithExtractionFn(new LookupExtractionFn(new Dictionary<string, string?> { ["DE"] = "Europe", ["FR"] = "Europe" }, false, null, false))]),
            Aggregations = [new AggregatorSpec(AggregatorType.Count, "rows", null)],
        };

        var actual = Run(segment, query);

        Assert.Equal(segment.GetDimension("device")!.Cardinality, counting.Calls);
        Assert.Equal(Reference(query, rows), actual);
        Assert.DoesNotContain("\"rows\":0", actual, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Sealed))]
    public void Execute_TopNOnTimeFormatAndLookupOfMissingColumn_EqualsReference(bool seal)
    {
        using var segment = Segment(seal, out var rows);
        foreach (var json in new[]
        {
            """{"queryType":"topN","dataSource":"pin_engagement","intervals":["2026-11-22/P3D"],"granularity":"hour","dimension":{"type":"extraction","dimension":"__time","outputName":"m","extractionFn":{"type":"timeFormat","format":"mm","granularity":"ten_minute"}},"metric":"rows","threshold":4,"aggregations":[{"type":"count","name":"rows"}]}""",
            """{"queryType":"groupBy","dataSource":"pin_engagement","intervals":["2026-11-22/P3D"],"dimensions":[{"type":"extraction","dimension":"missing","outputName":"x","extractionFn":{"type":"lookup","lookup":{"type":"map","map":{}},"replaceMissingValueWith":"none"}},{"type":"extraction","dimension":"n","outputName":"nb","extractionFn":{"type":"bucket","size":10}}],"aggregations":[{"type":"count","name":"rows"}]}""",
            """{"queryType":"timeseries","dataSource":"pin_engagement","intervals":["2026-11-22/P3D"],"filter":{"type":"selector","dimension":"missing","value":"none","extractionFn":{"type":"lookup","lookup":{"type":"map","map":{}},"replaceMissingValueWith":"none"}},"aggregations":[{"type":"count","name":"rows"}]}""",
            """{"queryType":"timeseries","dataSource":"pin_engagement","intervals":["2026-11-22/P3D"],"filter":{"type":"search","dimension":"__time","query":{"type":"contains","value":":3"},"extractionFn":{"type":"timeFormat","format":"HH:mm"}},"aggregations":[{"type":"count","name":"rows"}]}""",
        })
        {
            var query = QueryParser.Parse(json);
            Assert.Equal(Reference(query, rows), Run(segment, query));
        }
    }

    private static ISegment Segment(bool seal, out List<Row> rows)
    {
        var events = new QueryTestData(5).Events(400);
        var spec = QueryTestData.Spec();
        var open = QueryTestData.Build(spec, new SegmentId(spec.Name, QueryTestData.Start, 0), events);
        rows = QueryTestData.Rows(spec, events, sealedOrder: seal);
        if (!seal)
        {
            return open;
        }

        var sealedSegment = QueryTestData.SealAndLoad(open);
        open.Dispose();
        return sealedSegment;
    }

    private static string Run(ISegment segment, NativeQuery query)
    {
        var merger = new QueryMerger(query, sketches: HyperLogLogSketchFactory.Default);
        merger.Add(SegmentQueryEngine.Execute(segment, query, HyperLogLogSketchFactory.Default, TestContext.Current.CancellationToken));
        return QueryResultWriter.ToJson(merger.Complete(TestContext.Current.CancellationToken));
    }

    private static string Reference(NativeQuery query, List<Row> rows) =>
        QueryResultWriter.ToJson(new ReferenceEvaluator(SegmentQueryEngine.Schema(QueryTestData.Spec()), HyperLogLogSketchFactory.Default).Evaluate(query, rows, TestContext.Current.CancellationToken));

    private sealed class CountingFn(ExtractionFn inner) : ExtractionFn
    {
        public int Calls { get; private set; }

        public override string TypeName => inner.TypeName;

        public override string? Apply(string? value)
        {
            Calls++;
            return inner.Apply(value);
        }
    }
}
