using System.Text.Json;

namespace Tributary.Query.Tests;

/// <summary>
/// Exactness of the merge: random rows are split into random segments, each segment is evaluated to a partial,
/// the partials are merged, and the result must equal evaluating all rows at once (many seeds, every query type).
/// </summary>
public sealed class QueryMergerTests
{
    private const int Seeds = 150;

    [Theory]
    [InlineData("timeseries")]
    [InlineData("topN")]
    [InlineData("groupBy")]
    [InlineData("scan")]
    [InlineData("timeBoundary")]
    [InlineData("search")]
    [InlineData("dataSourceMetadata")]
    public void Complete_RandomSegments_EqualsSinglePassEvaluation(string queryType)
    {
        var nonEmpty = 0;
        for (var seed = 0; seed < Seeds; seed++)
        {
            var data = new TestData((seed * 7919) + queryType.Length);
            var rows = data.Rows(data.Random.Next(50, 600));
            if (seed % 10 == 0)
            {
                rows.Clear();
            }

            var json = data.Query(queryType);
            var query = QueryParser.Parse(json);
            var (segments, concatenated) = Split(data.Random, rows);
            var evaluator = new ReferenceEvaluator(TestData.Schema, SetSketchFactory.Instance);

            var expected = evaluator.Evaluate(query, concatenated, TestContext.Current.CancellationToken);
            var merger = new QueryMerger(query, sketches: SetSketchFactory.Instance);
            foreach (var (id, segmentRows) in segments.OrderBy(_ => data.Random.Next()))
            {
                var partial = evaluator.EvaluatePartial(query, segmentRows, id, new Interval(TestData.Start, TestData.Start + (6 * 3_600_000L)), TestContext.Current.CancellationToken);
                // Odd seeds ship partials through the binary codec, as segments answering a remote broker do.
                merger.Add(seed % 2 == 1 ? PartialResultCodec.Deserialize(PartialResultCodec.Serialize(partial), query, SetSketchFactory.Instance) : partial);
            }

            var actual = merger.Complete(TestContext.Current.CancellationToken);
            nonEmpty += Canonical(expected).Length > 2 ? 1 : 0;
            Assert.True(Canonical(expected) == Canonical(actual), $"seed {seed}: {json}\nexpected {Canonical(expected)}\nactual   {Canonical(actual)}");
        }

        // The comparison means something only if most random queries return rows.
        Assert.True(nonEmpty > Seeds / 3, $"only {nonEmpty} of {Seeds} queries returned anything");
    }

    [Fact]
    public void Complete_RandomSegmentsSegmentMetadata_FoldsLikeDruid()
    {
        for (var seed = 0; seed < Seeds; seed++)
        {
            var data = new TestData(seed);
            var rows = data.Rows(data.Random.Next(1, 400));
            var query = (SegmentMetadataQuery)QueryParser.Parse(data.Query("segmentMetadata"));
            var (segments, concatenated) = Split(data.Random, rows);
            var evaluator = new ReferenceEvaluator(TestData.Schema, SetSketchFactory.Instance);
            var whole = ((SegmentMetadataResult)evaluator.Evaluate(query, concatenated, TestContext.Current.CancellationToken)).Segments.Single();

            var merger = new QueryMerger(query);
            var partials = segments
                .Select(s => evaluator.EvaluatePartial(query, s.Rows, s.Id, new Interval(TestData.Start, TestData.Start + 3_600_000), TestContext.Current.CancellationToken))
                .Select(p => (SegmentMetadataPartial)PartialResultCodec.Deserialize(PartialResultCodec.Serialize(p), query, null))
                .ToList();
            partials.ForEach(merger.Add);
            var merged = ((SegmentMetadataResult)merger.Complete(TestContext.Current.CancellationToken)).Segments.Single();

            Assert.Equal(segments.Count == 1 ? "seg-000" : "merged", merged.Id);
            Assert.Equal(whole.Aggregators, merged.Aggregators);
            Assert.Equal((whole.TimestampSpec, whole.QueryGranularity, whole.Rollup), (merged.TimestampSpec, merged.QueryGranularity, merged.Rollup));
            Assert.NotNull(merged.Aggregators);
            Assert.Equal(whole.NumRows, merged.NumRows);
            Assert.Equal(whole.Size, merged.Size);
            foreach (var (name, column) in whole.Columns)
            {
                var m = merged.Columns[name];
                Assert.Equal((column.Type, column.HasNulls, column.Size, column.MinValue, column.MaxValue), (m.Type, m.HasNulls, m.Size, m.MinValue, m.MaxValue));
                Assert.Equal(partials.Max(p => p.Analysis.Columns[name].Cardinality), m.Cardinality);
            }
        }
    }

    [Fact]
    public void Add_FromParallelThreads_MergesEveryPartial()
    {
        var data = new TestData(77);
        var rows = data.Rows(2000);
        var query = QueryParser.Parse("""{"queryType":"groupBy","dataSource":"d","intervals":["2026-11-22/2026-11-24"],"granularity":"hour","dimensions":["country"],"aggregations":[{"type":"count","name":"n"},{"type":"hyperUnique","name":"u","fieldName":"users"}]}""");
        var evaluator = new ReferenceEvaluator(TestData.Schema, SetSketchFactory.Instance);
        var (segments, concatenated) = Split(data.Random, rows);
        var partials = segments.Select(s => evaluator.EvaluatePartial(query, s.Rows, s.Id, default, TestContext.Current.CancellationToken)).ToList();
        var merger = new QueryMerger(query, sketches: SetSketchFactory.Instance);

        Parallel.ForEach(partials, merger.Add);

        Assert.Equal(partials.Count, merger.PartialCount);
        Assert.Equal(Canonical(evaluator.Evaluate(query, concatenated, TestContext.Current.CancellationToken)), Canonical(merger.Complete(TestContext.Current.CancellationToken)));
    }

    [Fact]
    public void Add_PartialOfOtherQueryType_Throws()
    {
        var query = QueryParser.Parse("""{"queryType":"timeBoundary","dataSource":"ds"}""");
        var merger = new QueryMerger(query);
        Assert.Throws<ArgumentException>(() => merger.Add(new ScanPartial([], [])));
    }

    [Fact]
    public void Complete_GroupByOverMaxResultRows_ThrowsNamingTheLimit()
    {
        var query = QueryParser.Parse("""{"queryType":"groupBy","dataSource":"ds","intervals":["2026-11-22/2026-11-24"],"dimensions":["pin_id"],"aggregations":[{"type":"count","name":"n"}]}""");
        var rows = new TestData(1).Rows(500);
        var limits = new QueryLimits(Timeout.InfiniteTimeSpan, 10, long.MaxValue, long.MaxValue);
        var evaluator = new ReferenceEvaluator(TestData.Schema, SetSketchFactory.Instance);
        var merger = new QueryMerger(query, limits);
        merger.Add(evaluator.EvaluatePartial(query, rows.Take(5), "a", default, TestContext.Current.CancellationToken));
        var ex = Assert.Throws<QueryLimitExceededException>(() => merger.Add(evaluator.EvaluatePartial(query, rows.Skip(5).Take(100), "b", default, TestContext.Current.CancellationToken)));
        Assert.Equal("maxResultRows", ex.Limit);
    }

    [Fact]
    public void Complete_TimeseriesZeroFillOverMaxBuckets_Throws()
    {
        var query = QueryParser.Parse("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"granularity":"minute","aggregations":[{"type":"count","name":"n"}]}""");
        var rows = new List<Row> { new(TestData.Start, new Dictionary<string, object?>()), new(TestData.Start + (23 * 3_600_000L), new Dictionary<string, object?>()) };
        var merger = new QueryMerger(query, new QueryLimits(Timeout.InfiniteTimeSpan, long.MaxValue, 1000, long.MaxValue));
        merger.Add(new ReferenceEvaluator(TestData.Schema).EvaluatePartial(query, rows, "s", default, TestContext.Current.CancellationToken));
        var ex = Assert.Throws<QueryLimitExceededException>(() => merger.Complete(TestContext.Current.CancellationToken));
        Assert.Equal("maxBuckets", ex.Limit);
    }

    [Theory]
    [InlineData("LONG", "7", "8")]
    [InlineData("DOUBLE", "7.0", "8.5")]
    public void Complete_PartialsKeyedByRawNumericStrings_MergeIntoOneGroupPerNumber(string outputType, string seven, string other)
    {
        // partials keyed by raw values (as an older engine or another evaluator may ship them): the merge converts first
        var query = (GroupByQuery)QueryParser.Parse($$"""{"queryType":"groupBy","dataSource":"ds","intervals":["2026-11-23/P1D"],"granularity":"all","dimensions":[{"type":"default","dimension":"d","outputType":"{{outputType}}"}],"aggregations":[{"type":"count","name":"n"}]}""");
        var merger = new QueryMerger(query);
        merger.Add(Partial(query, ("7", 1), ("07", 2), (other, 5)));
        merger.Add(Partial(query, ("7.0", 4), ("+7", 8), ("seven", 16)));

        Assert.Equal(
            $$$"""[{"version":"v1","timestamp":"2026-11-23T00:00:00.000Z","event":{"d":null,"n":16}},{"version":"v1","timestamp":"2026-11-23T00:00:00.000Z","event":{"d":{{{seven}}},"n":15}},{"version":"v1","timestamp":"2026-11-23T00:00:00.000Z","event":{"d":{{{other}}},"n":5}}]""",
            QueryResultWriter.ToJson(merger.Complete(TestContext.Current.CancellationToken)));

        static AggregatePartial Partial(GroupByQuery query, params (string Value, long Count)[] groups)
        {
            var partial = new AggregatePartial();
            partial.Buckets[Granularity.AllBucket] = groups.ToDictionary(g => new GroupKey([g.Value]), g => (IAggregatorState[])[new CountState { Count = g.Count }]);
            return partial;
        }
    }

    [Theory]
    [InlineData("strict", """{"count":{"type":"longSum","name":"count","fieldName":"count"},"x":{"type":"longSum","name":"x","fieldName":"x"}}""", """null""")]
    [InlineData("lenient", """{"count":{"type":"longSum","name":"count","fieldName":"count"},"x":{"type":"longSum","name":"x","fieldName":"x"}}""", """{"count":{"type":"longSum","name":"count","fieldName":"count"},"x":null,"y":{"type":"doubleMax","name":"y","fieldName":"y"}}""")]
    [InlineData("earliest", """{"count":{"type":"longSum","name":"count","fieldName":"count"},"x":{"type":"longSum","name":"x","fieldName":"x"}}""", """{"count":{"type":"longSum","name":"count","fieldName":"count"},"x":{"type":"longSum","name":"x","fieldName":"x"}}""")]
    [InlineData("latest", """{"count":{"type":"longSum","name":"count","fieldName":"count"},"x":{"type":"longSum","name":"x","fieldName":"x"}}""", """{"count":{"type":"longSum","name":"count","fieldName":"count"},"x":{"type":"doubleSum","name":"x","fieldName":"x"},"y":{"type":"doubleMax","name":"y","fieldName":"y"}}""")]
    public void Complete_SegmentMetadataWithDifferingAggregators_MergesByStrategy(string strategy, string same, string differing)
    {
        var query = (SegmentMetadataQuery)QueryParser.Parse($$"""{"queryType":"segmentMetadata","dataSource":"d","merge":true,"aggregatorMergeStrategy":"{{strategy}}","analysisTypes":["aggregators","rollup","queryGranularity","timestampSpec"]}""");
        var early = Analysis("a", 0, [new(AggregatorType.LongSum, "count", "count"), new(AggregatorType.LongSum, "x", "x")], "minute", rollup: true);
        var late = Analysis("b", 3_600_000, [new(AggregatorType.LongSum, "count", "count"), new(AggregatorType.DoubleSum, "x", "x"), new(AggregatorType.DoubleMax, "y", "y")], "hour", rollup: true);

        Assert.Contains("\"aggregators\":" + same + ",", Merge(early, early with { Id = "c" }), StringComparison.Ordinal);
        var json = Merge(late, early);
        Assert.Contains("\"aggregators\":" + differing + ",", json, StringComparison.Ordinal);
        Assert.EndsWith("""
            "timestampSpec":{"column":"ts","format":"millis","missingValue":null},"queryGranularity":null,"rollup":true}]
            """, json, StringComparison.Ordinal);

        string Merge(params SegmentAnalysis[] analyses)
        {
            var merger = new QueryMerger(query);
            foreach (var a in analyses)
            {
                merger.Add(PartialResultCodec.Deserialize(PartialResultCodec.Serialize(new SegmentMetadataPartial(a) { SegmentId = a.Id }), query, null));
            }

            return QueryResultWriter.ToJson(merger.Complete(TestContext.Current.CancellationToken));
        }

        static SegmentAnalysis Analysis(string id, long start, AggregatorSpec[] aggregators, string granularity, bool rollup)
        {
            var map = new OrderedDictionary<string, AggregatorSpec?>(StringComparer.Ordinal);
            foreach (var a in aggregators)
            {
                map[a.Name] = a;
            }

            return new SegmentAnalysis(id, [new Interval(start, start + 3_600_000)], new OrderedDictionary<string, ColumnAnalysis>(StringComparer.Ordinal), 0, 1)
            {
                Aggregators = map,
                TimestampSpec = new SegmentTimestampSpec("ts", "millis"),
                QueryGranularity = granularity,
                Rollup = rollup,
            };
        }
    }

    [Fact]
    public void Complete_CancelledToken_Throws()
    {
        var query = QueryParser.Parse("""{"queryType":"timeBoundary","dataSource":"ds"}""");
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() => new QueryMerger(query).Complete(cts.Token));
    }

    /// <summary>Random segments (each keeps the rows' relative order) and their concatenation in segment-id order.</summary>
    internal static (List<(string Id, List<Row> Rows)> Segments, List<Row> Concatenated) Split(Random random, List<Row> rows)
    {
        var count = random.Next(1, 9);
        var segments = Enumerable.Range(0, count).Select(i => ($"seg-{i:D3}", new List<Row>())).ToList();
        foreach (var row in rows)
        {
            segments[random.Next(count)].Item2.Add(row);
        }

        return (segments, segments.SelectMany(s => s.Item2).ToList());
    }

    /// <summary>The result's JSON, with scan batches flattened (segment ids and batch boundaries differ by design).</summary>
    internal static string Canonical(QueryResult result)
    {
        if (result is ScanResult scan)
        {
            return JsonSerializer.Serialize(scan.Events.Select(e => e.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")));
        }

        return QueryResultWriter.ToJson(result);
    }
}
