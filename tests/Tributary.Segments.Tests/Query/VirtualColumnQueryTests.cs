using Tributary.Query;
using Tributary.Segments.Query;

namespace Tributary.Segments.Tests.Query;

/// <summary>Expression virtual columns in the segment engine, against the reference evaluator on open and sealed segments.</summary>
public sealed class VirtualColumnQueryTests
{
    private const string Columns = """
        "virtualColumns":[
          {"type":"expression","name":"region","expression":"if(country == 'US' || country == 'BR', 'America', if(country == '', 'blank', nvl(lower(country), 'none')))"},
          {"type":"expression","name":"nPositive","expression":"if(n, 'yes', 'no')"},
          {"type":"expression","name":"weighted","expression":"clicks * 2 + nvl(n, 0)","outputType":"LONG"},
          {"type":"expression","name":"half","expression":"weighted / 2.0","outputType":"DOUBLE"},
          {"type":"expression","name":"pinPrefix","expression":"substring(pin_id, 0, 5)"}]
        """;

    public static TheoryData<bool> Sealed => [false, true];

    [Theory]
    [MemberData(nameof(Sealed))]
    public void Execute_GroupByAndFilterOnVirtualColumns_EqualsReference(bool seal)
    {
        using var segment = Segment(seal, out var rows);
        var queries = new[]
        {
            $$$"""{"queryType":"groupBy","dataSource":"pin_engagement","intervals":["2026-11-22/P3D"],{{{Columns}}},"dimensions":["region","nPositive"],"aggregations":[{"type":"count","name":"rows"},{"type":"longSum","name":"w","fieldName":"weighted"},{"type":"doubleMax","name":"h","fieldName":"half"}]}""",
            $$$"""{"queryType":"topN","dataSource":"pin_engagement","intervals":["2026-11-22/P3D"],{{{Columns}}},"dimension":"pinPrefix","metric":"rows","threshold":3,"filter":{"type":"bound","dimension":"weighted","lower":"50","ordering":"numeric"},"aggregations":[{"type":"count","name":"rows"}]}""",
            $$$"""{"queryType":"timeseries","dataSource":"pin_engagement","intervals":["2026-11-22/P3D"],{{{Columns}}},"filter":{"type":"and","fields":[{"type":"selector","dimension":"nPositive","value":"yes"},{"type":"in","dimension":"region","values":["America","de"]}]},"aggregations":[{"type":"count","name":"rows"},{"type":"cardinality","name":"c","fields":["region","pinPrefix"]}]}""",
            $$$"""{"queryType":"scan","dataSource":"pin_engagement","intervals":["2026-11-22/P3D"],{{{Columns}}},"columns":["__time","region","half","pinPrefix"],"limit":20,"filter":{"type":"like","dimension":"region","pattern":"A%"}}""",
            $$$"""{"queryType":"groupBy","dataSource":"pin_engagement","intervals":["2026-11-22/P3D"],{{{Columns}}},"dimensions":[{"type":"extraction","dimension":"region","outputName":"r","extractionFn":{"type":"substring","index":0,"length":1}},"half"],"aggregations":[{"type":"count","name":"rows"}]}""",
        };
        foreach (var json in queries)
        {
            var query = QueryParser.Parse(json);
            var expected = Reference(query, rows, segment);
            Assert.Equal(expected, Run(segment, query));
            Assert.DoesNotContain("\"rows\":0", expected, StringComparison.Ordinal);
        }

        Assert.Contains("\"nPositive\":\"no\"", Reference(QueryParser.Parse(queries[0]), rows, segment), StringComparison.Ordinal);
        Assert.Contains("\"region\":\"America\"", Reference(QueryParser.Parse(queries[0]), rows, segment), StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_VirtualColumnNamedLikeThePartitionKey_DoesNotPrune()
    {
        var query = QueryParser.Parse("""{"queryType":"timeseries","dataSource":"pin_engagement","intervals":["2026-11-23/P1D"],"virtualColumns":[{"type":"expression","name":"pin_id","expression":"concat('x', device)"}],"filter":{"type":"selector","dimension":"pin_id","value":"xios"}}""");
        var plan = QueryPlanner.Plan(query, new PartitionLayout("pin_id", 2, 1, (key, partitions) => key.Length % partitions));
        Assert.True(plan.Keys.IsUnconstrained);
    }

    private static ISegment Segment(bool seal, out List<Row> rows)
    {
        var events = new QueryTestData(9).Events(400);
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
        return MergerJson(merger.Complete(TestContext.Current.CancellationToken));
    }

    private static string Reference(NativeQuery query, List<Row> rows, ISegment segment)
    {
        var evaluator = new ReferenceEvaluator(SegmentQueryEngine.Schema(QueryTestData.Spec()), HyperLogLogSketchFactory.Default);
        var merger = new QueryMerger(query, sketches: HyperLogLogSketchFactory.Default);
        merger.Add(evaluator.EvaluatePartial(query, rows, segment.Id.ToString(), new Interval(segment.IntervalStartMs, segment.IntervalEndMs), TestContext.Current.CancellationToken));
        return MergerJson(merger.Complete(TestContext.Current.CancellationToken));
    }

    private static string MergerJson(QueryResult result) => QueryResultWriter.ToJson(result);
}
