using System.Globalization;
using Tributary.Query;
using Tributary.Segments.Ingest;
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

    public static TheoryData<string> QueryTypes => ["timeseries", "topN", "groupBy", "scan", "timeBoundary", "segmentMetadata", "search", "dataSourceMetadata"];

    [Theory]
    [MemberData(nameof(QueryTypes))]
    public void Execute_RandomQueriesOnOpenSegment_EqualsReference(string queryType) => RunSingleSegment(queryType, seal: false, rollup: true);

    [Theory]
    [MemberData(nameof(QueryTypes))]
    public void Execute_RandomQueriesOnSealedSegment_EqualsReference(string queryType) => RunSingleSegment(queryType, seal: true, rollup: true);

    [Theory]
    [MemberData(nameof(QueryTypes))]
    public void Execute_RandomQueriesOnOpenSegmentWithoutRollup_EqualsReference(string queryType) => RunSingleSegment(queryType, seal: false, rollup: false);

    /// <summary>Without rollup, rows with equal time and dimensions may seal in any order, so scan (row order) is left out.</summary>
    [Theory]
    [InlineData("timeseries")]
    [InlineData("topN")]
    [InlineData("groupBy")]
    [InlineData("timeBoundary")]
    [InlineData("segmentMetadata")]
    [InlineData("search")]
    [InlineData("dataSourceMetadata")]
    public void Execute_RandomQueriesOnSealedSegmentWithoutRollup_EqualsReference(string queryType) => RunSingleSegment(queryType, seal: true, rollup: false);

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

    [Theory]
    [InlineData("07", 0)]
    [InlineData("+7", 0)]
    [InlineData("7", 2)]
    public void Execute_SelectorOnLongDimension_MatchesTheDecimalTextOnly(string value, long expected)
    {
        using var segment = Segment(out _);
        var query = QueryParser.Parse($$"""{"queryType":"timeseries","dataSource":"pin_engagement","intervals":["2026-11-23/P1D"],"filter":{"type":"in","dimension":"n","values":["{{value}}"]},"aggregations":[{"type":"count","name":"rows"}]}""");

        var partial = (AggregatePartial)SegmentQueryEngine.Execute(segment, query, null, TestContext.Current.CancellationToken);

        Assert.Equal(expected, partial.Buckets.Values.SelectMany(g => g.Values).Sum(s => ((CountState)s[0]).Count));
    }

    [Fact]
    public void Execute_TimeseriesAllOnSelector_CountsTheValueBitmapAndSumsItsRows()
    {
        using var segment = Segment(out var events);
        var query = QueryParser.Parse("""{"queryType":"timeseries","dataSource":"pin_engagement","intervals":["2026-11-23/P1D"],"filter":{"type":"selector","dimension":"pin_id","value":"pin-001"},"aggregations":[{"type":"count","name":"rows"},{"type":"longSum","name":"clicks","fieldName":"clicks"}]}""");

        var partial = (AggregatePartial)SegmentQueryEngine.Execute(segment, query, null, TestContext.Current.CancellationToken);

        var states = partial.Buckets[Granularity.AllBucket][GroupKey.Empty];
        Assert.Equal(segment.GetDimension("pin_id")!.GetRows(segment.GetDimension("pin_id")!.IndexOf("pin-001")).Cardinality, ((CountState)states[0]).Count);
        Assert.Equal(events.Where(e => e.Pin == "pin-001").Sum(e => e.Clicks), ((LongSumState)states[1]).Sum);
        Assert.Equal(events.Where(e => e.Pin == "pin-001").Min(e => e.Ts - (e.Ts % 60_000)), partial.MinTimestamp);
    }

    [Theory]
    [InlineData(false, "\"clicks\"")]
    [InlineData(true, "\"clicks\"")]
    [InlineData(true, "\"rows\"")]
    [InlineData(false, "{\"type\":\"inverted\",\"metric\":\"clicks\"}")]
    public void Execute_TopNOverMoreValuesThanSegmentThreshold_EqualsReference(bool seal, string metric)
    {
        // 3,000 pins with few distinct click totals: the per-segment cut at 1,000 falls among many ties
        var ct = TestContext.Current.CancellationToken;
        var random = new Random(3);
        var events = Enumerable.Range(0, 6000)
            .Select(i => new QueryTestData.Event(QueryTestData.Start + random.NextInt64(3_600_000), QueryTestData.PinId(random.Next(3000)), "US", "ios", null, random.Next(0, 4), 1, "u" + i))
            .ToList();
        var spec = QueryTestData.Spec();
        var id = new SegmentId(spec.Name, QueryTestData.Start, 0);
        using var open = QueryTestData.Build(spec, id, events);
        using var sealedSegment = seal ? QueryTestData.SealAndLoad(open) : null;
        ISegment segment = sealedSegment ?? (ISegment)open;
        var query = QueryParser.Parse($$"""{"queryType":"topN","dataSource":"pin_engagement","intervals":["2026-11-23/P1D"],"granularity":"all","dimension":"pin_id","metric":{{metric}},"threshold":1200,"aggregations":[{"type":"count","name":"rows"},{"type":"longSum","name":"clicks","fieldName":"clicks"}]}""");
        var evaluator = new ReferenceEvaluator(SegmentQueryEngine.Schema(spec), HyperLogLogSketchFactory.Default);

        var partial = (AggregatePartial)SegmentQueryEngine.Execute(segment, query, null, ct);
        var expected = (AggregatePartial)evaluator.EvaluatePartial(query, QueryTestData.Rows(spec, events, seal), id.ToString(), default, ct);

        Assert.Equal(1200, partial.Buckets[Granularity.AllBucket].Count);
        Assert.Equal(expected.Buckets[Granularity.AllBucket].Keys.Select(k => k.ToString()).Order(StringComparer.Ordinal), partial.Buckets[Granularity.AllBucket].Keys.Select(k => k.ToString()).Order(StringComparer.Ordinal));
        var merger = new QueryMerger(query);
        merger.Add(partial);
        var referenceMerger = new QueryMerger(query);
        referenceMerger.Add(expected);
        Assert.Equal(Canonical(referenceMerger.Complete(ct)), Canonical(merger.Complete(ct)));
    }

    [Fact]
    public void Execute_GroupByOverMaxResultRows_ThrowsNamingTheLimit()
    {
        using var segment = Segment(out _);
        var query = QueryParser.Parse("""{"queryType":"groupBy","dataSource":"pin_engagement","intervals":["2026-11-23/P1D"],"dimensions":["pin_id","device"],"aggregations":[{"type":"count","name":"rows"}]}""");
        var limits = new QueryLimits(Timeout.InfiniteTimeSpan, 5, long.MaxValue, long.MaxValue);

        var ex = Assert.Throws<QueryLimitExceededException>(() => SegmentQueryEngine.Execute(segment, query, null, limits, TestContext.Current.CancellationToken));

        Assert.Equal("maxResultRows", ex.Limit);
    }

    [Fact]
    public void Execute_CancelledToken_Throws()
    {
        using var segment = Segment(out _);
        var query = QueryParser.Parse("""{"queryType":"scan","dataSource":"pin_engagement","intervals":["2026-11-23/P1D"]}""");
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        Assert.Throws<OperationCanceledException>(() => SegmentQueryEngine.Execute(segment, query, null, cts.Token));
    }

    [Fact]
    public void Execute_HyperUniqueWithFactoryOfOtherPrecision_ThrowsNamingTheMetric()
    {
        using var segment = Segment(out _);
        var query = QueryParser.Parse("""{"queryType":"timeseries","dataSource":"pin_engagement","intervals":["2026-11-23/P1D"],"aggregations":[{"type":"hyperUnique","name":"u","fieldName":"users"}]}""");

        var ex = Assert.Throws<InvalidOperationException>(() => SegmentQueryEngine.Execute(segment, query, new HyperLogLogSketchFactory(10), TestContext.Current.CancellationToken));

        Assert.Contains("'users'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Execute_IntervalOutsideSegment_ReturnsEmptyPartials()
    {
        using var segment = Segment(out _);
        var ct = TestContext.Current.CancellationToken;
        const string interval = "\"intervals\":[\"2026-11-24/P1D\"]";

        var timeseries = (AggregatePartial)SegmentQueryEngine.Execute(segment, QueryParser.Parse($$"""{"queryType":"timeseries","dataSource":"pin_engagement",{{interval}},"aggregations":[{"type":"count","name":"rows"}]}"""), null, ct);
        var boundary = (TimeBoundaryPartial)SegmentQueryEngine.Execute(segment, QueryParser.Parse($$"""{"queryType":"timeBoundary","dataSource":"pin_engagement",{{interval}}}"""), null, ct);

        Assert.Empty(timeseries.Buckets);
        Assert.Null(timeseries.MinTimestamp);
        Assert.Null(boundary.MinTime);
    }

    [Fact]
    public void Schema_Spec_ListsDimensionsThenMetricsWithQueryTypes()
    {
        var schema = SegmentQueryEngine.Schema(QueryTestData.Spec());

        Assert.Equal(
            ["pin_id:String", "country:String", "device:String", "n:Long", "count:Long", "clicks:Long", "clicks_min:Long", "clicks_max:Long", "revenue:Double", "revenue_min:Double", "revenue_max:Double", "users:HyperUnique"],
            schema.Columns.Select(c => $"{c.Name}:{c.Type}"));
    }

    [Theory]
    [InlineData("LONG", false, "7", "8")]
    [InlineData("LONG", true, "7", "8")]
    [InlineData("DOUBLE", false, "7.0", "8.5")]
    [InlineData("DOUBLE", true, "7.0", "8.5")]
    public void Execute_GroupByAndTopNWithNumericOutputType_ConvertBeforeGrouping(string outputType, bool seal, string seven, string other)
    {
        // "7", "07" and "7.0" are three dictionary values but one number: Druid converts, then groups
        var spec = QueryTestData.Spec();
        var id = new SegmentId(spec.Name, QueryTestData.Start, 0);
        var countries = new[] { "7", "07", "7.0", "7", other, "x" };
        var events = countries.Select((c, i) => new QueryTestData.Event(QueryTestData.Start + (i * 60_000L), "pin-00" + i, c, "ios", i, 10 + i, 1.0, "u" + i)).ToList();
        using var open = QueryTestData.Build(spec, id, events);
        using var sealedSegment = seal ? QueryTestData.SealAndLoad(open) : null;
        ISegment segment = sealedSegment is null ? open : sealedSegment;
        var ct = TestContext.Current.CancellationToken;
        var dimension = $$"""{"type":"default","dimension":"country","outputName":"c","outputType":"{{outputType}}"}""";
        var aggregations = """[{"type":"count","name":"rows"},{"type":"longSum","name":"clicks","fieldName":"clicks"}]""";
        var evaluator = new ReferenceEvaluator(SegmentQueryEngine.Schema(spec));
        var rows = QueryTestData.Rows(spec, events, sealedOrder: seal);
        var groupBy = QueryParser.Parse($$"""{"queryType":"groupBy","dataSource":"pin_engagement","intervals":["2026-11-23/P1D"],"granularity":"all","dimensions":[{{dimension}}],"aggregations":{{aggregations}}}""");
        var groupByJson = QueryResultWriter.ToJson(Merge(groupBy, SegmentQueryEngine.Execute(segment, groupBy, null, ct)));
        Assert.Equal(QueryResultWriter.ToJson(evaluator.Evaluate(groupBy, rows, ct)), groupByJson);
        static string Row(string c, int n, int clicks) => $$$"""{"version":"v1","timestamp":"2026-11-23T00:00:00.000Z","event":{"c":{{{c}}},"rows":{{{n}}},"clicks":{{{clicks}}}}}""";
        Assert.Equal($"[{Row("null", 1, 15)},{Row(seven, 4, 46)},{Row(other, 1, 14)}]", groupByJson);

        foreach (var metric in new[] { "clicks", "rows" })
        {
            // ranking by an aggregator takes the engine's deferred per-id path when nothing converts
            var topN = QueryParser.Parse($$"""{"queryType":"topN","dataSource":"pin_engagement","intervals":["2026-11-23/P1D"],"granularity":"all","dimension":{{dimension}},"metric":"{{metric}}","threshold":2,"aggregations":{{aggregations}}}""");
            var topNJson = QueryResultWriter.ToJson(Merge(topN, SegmentQueryEngine.Execute(segment, topN, null, ct)));
            Assert.Equal(QueryResultWriter.ToJson(evaluator.Evaluate(topN, rows, ct)), topNJson);
            Assert.StartsWith($$"""[{"timestamp":"2026-11-23T00:00:00.000Z","result":[{"c":{{seven}},"rows":4,"clicks":46},""", topNJson, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Execute_SegmentMetadataIngestionAnalyses_ReportTheDatasourceSpec(bool rollup)
    {
        var spec = QueryTestData.Spec(rollup);
        using var open = QueryTestData.Build(spec, new SegmentId(spec.Name, QueryTestData.Start, 0), new QueryTestData(3).Events(20));
        var query = QueryParser.Parse("""{"queryType":"segmentMetadata","dataSource":"pin_engagement","toInclude":{"type":"none"},"analysisTypes":["aggregators","rollup","queryGranularity","timestampSpec"]}""");

        var analysis = ((SegmentMetadataPartial)SegmentQueryEngine.Execute(open, query, null, TestContext.Current.CancellationToken)).Analysis;

        Assert.Equal(rollup, analysis.Rollup);
        Assert.Equal(spec.Granularity.Query.Name, analysis.QueryGranularity);
        Assert.Equal(spec.Timestamp.Field, analysis.TimestampSpec!.Column);
        Assert.Equal(spec.Metrics.Select(m => m.Name), analysis.Aggregators!.Keys);
        Assert.All(analysis.Aggregators.Values, a => Assert.Equal(a!.Name, a.FieldName));
        Assert.DoesNotContain(analysis.Aggregators.Values, a => a!.Type == AggregatorType.Count);

        var defaults = ((SegmentMetadataPartial)SegmentQueryEngine.Execute(open, QueryParser.Parse("""{"queryType":"segmentMetadata","dataSource":"pin_engagement"}"""), null, TestContext.Current.CancellationToken)).Analysis;
        Assert.Equal((null, null, null, (bool?)null), (defaults.Aggregators, defaults.TimestampSpec, defaults.QueryGranularity, defaults.Rollup));
    }

    private static QueryResult Merge(NativeQuery query, PartialResult partial)
    {
        var merger = new QueryMerger(query);
        merger.Add(partial);
        return merger.Complete(TestContext.Current.CancellationToken);
    }

    private static OpenSegment Segment(out List<QueryTestData.Event> events)
    {
        events = new QueryTestData(11).Events(300);
        events.RemoveAll(e => e.N == 7);
        events.Add(new QueryTestData.Event(QueryTestData.Start + 5, "pin-001", "US", "ios", 7, 3, 1.5, "u1"));
        events.Add(new QueryTestData.Event(QueryTestData.Start + 125_000, "pin-002", null, "web", 7, 4, 2.5, "u2"));
        var spec = QueryTestData.Spec();
        return QueryTestData.Build(spec, new SegmentId(spec.Name, QueryTestData.Start, 0), events);
    }

    [Theory]
    [MemberData(nameof(QueryTypes))]
    public void Execute_QueriesInterleavedWithAppends_EqualsReferenceOfRowsSoFar(string queryType)
    {
        // open segments build filter bitmaps on demand, cache them and catch them up after appends: every query
        // between appends must see exactly the rows appended so far
        var ct = TestContext.Current.CancellationToken;
        var factory = HyperLogLogSketchFactory.Default;
        var spec = QueryTestData.Spec();
        var id = new SegmentId(QueryTestData.Datasource, QueryTestData.Start, 0);
        var data = new QueryTestData(queryType.Length * 7);
        var events = data.Events(1500);
        using var segment = new OpenSegment(spec, id);
        var parser = new RowParser(spec);
        var row = new ParsedRow(spec);
        var evaluator = new ReferenceEvaluator(SegmentQueryEngine.Schema(spec), factory);
        var appended = 0;
        var nonEmpty = 0;
        for (var step = 0; appended < events.Count; step++)
        {
            var until = Math.Min(events.Count, appended + data.Random.Next(1, 120));
            for (; appended < until; appended++)
            {
                Assert.True(segment.TryAppend(events[appended].Json(), parser, row, out var error), error);
            }

            var json = data.Query(queryType);
            var query = QueryParser.Parse(json);
            var expectedMerger = new QueryMerger(query, sketches: factory);
            expectedMerger.Add(evaluator.EvaluatePartial(query, QueryTestData.Rows(spec, events.Take(appended), sealedOrder: false), id.ToString(), new Interval(segment.IntervalStartMs, segment.IntervalEndMs), ct));
            var actualMerger = new QueryMerger(query, sketches: factory);
            actualMerger.Add(SegmentQueryEngine.Execute(segment, query, factory, ct));

            var expected = Canonical(expectedMerger.Complete(ct));
            var actual = Canonical(actualMerger.Complete(ct));
            Assert.True(expected == actual, $"step {step}, {appended} events: {json}\nexpected {expected}\nactual   {actual}");
            nonEmpty += IsMeaningful(actual) ? 1 : 0;
        }

        Assert.True(nonEmpty > 5, $"only {nonEmpty} queries returned rows");
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
