using System.Globalization;
using Tributary.Query;
using Tributary.Segments.Query;

namespace Tributary.Segments.Tests.Query;

/// <summary>
/// The segment engine against the reference evaluator: random events go through the JSON row parser into an open
/// segment (and through seal, serialize and load into a sealed one), random queries of every type run on the
/// segment, and the merged partial must equal the reference evaluation of the same rolled-up rows
/// (see <see cref="QueryTestData"/> for the rollup semantics).
/// </summary>
public sealed class SegmentQueryEngineTests
{
    private const int Seeds = 120;

    public static TheoryData<string> QueryTypes => ["timeseries", "topN", "groupBy", "scan", "timeBoundary", "segmentMetadata"];

    [Theory]
    [MemberData(nameof(QueryTypes))]
    public void Execute_RandomQueriesOnOpenSegment_EqualsReference(string queryType) => RunSingleSegment(queryType, seal: false, rollup: true);

    [Theory]
    [MemberData(nameof(QueryTypes))]
    public void Execute_RandomQueriesOnSealedSegment_EqualsReference(string queryType) => RunSingleSegment(queryType, seal: true, rollup: true);

    [Theory]
    [MemberData(nameof(QueryTypes))]
    public void Execute_RandomQueriesOnOpenSegmentWithoutRollup_EqualsReference(string queryType) => RunSingleSegment(queryType, seal: false, rollup: false);

    [Theory]
    [MemberData(nameof(QueryTypes))]
    public void Execute_RandomQueriesOverManySegments_MergedEqualsReference(string queryType)
    {
        var ct = TestContext.Current.CancellationToken;
        var factory = HyperLogLogSketchFactory.Default;
        var spec = QueryTestData.Spec();
        var nonEmpty = 0;
        for (var seed = 0; seed < Seeds; seed++)
        {
            var data = new QueryTestData((seed * 104729) + queryType.Length, hours: 3);
            var events = data.Events(data.Random.Next(50, 700));
            var json = data.Query(queryType);
            var query = QueryParser.Parse(json);
            var evaluator = new ReferenceEvaluator(SegmentQueryEngine.Schema(spec), factory);

            // one segment per (hour, partition), each randomly open or sealed; the oracle reads the same rows in segment-id order
            var groups = events.GroupBy(e => (Hour: (e.Ts - QueryTestData.Start) / 3_600_000, Partition: int.Parse(e.Pin[4..], CultureInfo.InvariantCulture) % 2))
                .Select(g => (Id: new SegmentId(QueryTestData.Datasource, QueryTestData.Start + (g.Key.Hour * 3_600_000), g.Key.Partition), Events: g.ToList()))
                .OrderBy(g => g.Id.ToString(), StringComparer.Ordinal)
                .ToList();
            var engineMerger = new QueryMerger(query, sketches: factory);
            var referenceMerger = new QueryMerger(query, sketches: factory);
            var allRows = new List<Row>();
            var segments = new List<ISegment>();
            try
            {
                foreach (var (id, segmentEvents) in groups)
                {
                    var open = QueryTestData.Build(spec, id, segmentEvents);
                    var seal = data.Random.Next(2) == 0;
                    ISegment segment = seal ? QueryTestData.SealAndLoad(open) : open;
                    if (seal)
                    {
                        open.Dispose();
                    }

                    segments.Add(segment);
                    var rows = QueryTestData.Rows(spec, segmentEvents, sealedOrder: seal);
                    allRows.AddRange(rows);
                    referenceMerger.Add(evaluator.EvaluatePartial(query, rows, id.ToString(), new Interval(segment.IntervalStartMs, segment.IntervalEndMs), ct));
                }

                foreach (var segment in segments.OrderBy(_ => data.Random.Next()))
                {
                    var partial = SegmentQueryEngine.Execute(segment, query, factory, ct);
                    // odd seeds ship partials through the binary codec, as segment grains answering a remote broker do
                    engineMerger.Add(seed % 2 == 1 ? PartialResultCodec.Deserialize(PartialResultCodec.Serialize(partial), query, factory) : partial);
                }
            }
            finally
            {
                segments.ForEach(s => s.Dispose());
            }

            var actual = Canonical(engineMerger.Complete(ct));
            var expected = Canonical(referenceMerger.Complete(ct));
            Assert.True(expected == actual, $"seed {seed}: {json}\nexpected {expected}\nactual   {actual}");
            if (query is not SegmentMetadataQuery)
            {
                // segmentMetadata folds per-segment analyses (cardinality = max), so only the others equal one pass over all rows
                var onePass = Canonical(evaluator.Evaluate(query, allRows, ct));
                Assert.True(onePass == actual, $"seed {seed} (one pass): {json}\nexpected {onePass}\nactual   {actual}");
            }

            nonEmpty += IsMeaningful(actual) ? 1 : 0;
        }

        Assert.True(nonEmpty > Seeds / 2, $"only {nonEmpty} of {Seeds} queries returned rows");
    }

    private static void RunSingleSegment(string queryType, bool seal, bool rollup)
    {
        var ct = TestContext.Current.CancellationToken;
        var factory = HyperLogLogSketchFactory.Default;
        var spec = QueryTestData.Spec(rollup);
        var id = new SegmentId(QueryTestData.Datasource, QueryTestData.Start, 0);
        var nonEmpty = 0;
        for (var seed = 0; seed < Seeds; seed++)
        {
            var data = new QueryTestData((seed * 7919) + (queryType.Length * 31) + (seal ? 1 : 0) + (rollup ? 0 : 2));
            var events = data.Events(seed % 25 == 0 ? 0 : data.Random.Next(20, 500));
            var json = data.Query(queryType);
            var query = QueryParser.Parse(json);
            using var open = QueryTestData.Build(spec, id, events);
            using var sealedSegment = seal ? QueryTestData.SealAndLoad(open) : null;
            ISegment segment = sealedSegment ?? (ISegment)open;
            var rows = QueryTestData.Rows(spec, events, sealedOrder: seal);
            Assert.Equal(rows.Count, segment.RowCount);

            var evaluator = new ReferenceEvaluator(SegmentQueryEngine.Schema(spec), factory);
            var expectedMerger = new QueryMerger(query, sketches: factory);
            expectedMerger.Add(evaluator.EvaluatePartial(query, rows, id.ToString(), new Interval(segment.IntervalStartMs, segment.IntervalEndMs), ct));
            var actualMerger = new QueryMerger(query, sketches: factory);
            actualMerger.Add(SegmentQueryEngine.Execute(segment, query, factory, ct));

            var expected = Canonical(expectedMerger.Complete(ct));
            var actual = Canonical(actualMerger.Complete(ct));
            Assert.True(expected == actual, $"seed {seed}: {json}\nexpected {expected}\nactual   {actual}");
            nonEmpty += IsMeaningful(actual) ? 1 : 0;
        }

        // the comparison means something only if most random queries return rows
        Assert.True(nonEmpty > Seeds / 2, $"only {nonEmpty} of {Seeds} queries returned rows");
    }

    /// <summary>True when a result holds data (not just the one default row of an empty timeseries).</summary>
    private static bool IsMeaningful(string canonical) => canonical.Length > 2 && canonical != "[]" && !canonical.Contains("\"rows\":0,", StringComparison.Ordinal) && !canonical.Contains("\"rows\":0}", StringComparison.Ordinal);

    /// <summary>The result's JSON; scan events flattened (batch boundaries differ by design), sketches as their bytes.</summary>
    internal static string Canonical(QueryResult result)
    {
        if (result is ScanResult scan)
        {
            return string.Join("\n", scan.Events.Select(e => string.Join(",", e.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={Format(kv.Value)}"))));
        }

        return QueryResultWriter.ToJson(result);
    }

    private static string Format(object? value) => value switch
    {
        null => "null",
        ICardinalitySketch sketch => Convert.ToBase64String(sketch.Serialize()),
        _ => StringComparers.ToDimensionString(value) ?? "null",
    };
}
