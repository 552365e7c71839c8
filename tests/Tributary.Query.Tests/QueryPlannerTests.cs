using Tributary.Kafka;

namespace Tributary.Query.Tests;

public sealed class QueryPlannerTests
{
    private const int Partitions = 16;

    private static long T(string s) => IsoTime.Parse(s, "t");

    [Fact]
    public void PartitionsOf_FanOut_IsConsecutiveFromMurmur2Home()
    {
        var spec = new PartitionLayout("pin_id", Partitions, 3, Murmur2Partitioner.Partition);
        foreach (var key in new[] { "pin-001", "abc", "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8" })
        {
            var home = Murmur2Partitioner.Partition(key, Partitions);
            Assert.Equal([home, (home + 1) % Partitions, (home + 2) % Partitions], spec.PartitionsOf(key));
            for (var spread = 0; spread < 3; spread++)
            {
                Assert.Contains(Murmur2Partitioner.Partition(System.Text.Encoding.UTF8.GetBytes(key), Partitions, 3, spread), spec.PartitionsOf(key));
            }
        }

        Assert.Equal(4, new PartitionLayout("k", 4, 9, Murmur2Partitioner.Partition).PartitionsOf("x").Distinct().Count());
    }

    [Fact]
    public void SegmentStarts_Intervals_EnumeratesOverlappingHours()
    {
        var starts = QueryPlanner.SegmentStarts([Interval.Parse("2026-11-23T10:30Z/2026-11-23T12:00Z", "i"), Interval.Parse("2026-11-23T11:59Z/PT2M", "i")], 100);
        Assert.Equal([T("2026-11-23T10:00Z"), T("2026-11-23T11:00Z"), T("2026-11-23T12:00Z")], starts);
        Assert.Throws<QueryLimitExceededException>(() => QueryPlanner.SegmentStarts([Interval.Eternity], 100_000));
    }

    [Fact]
    public void Decide_SelectorOnKey_ScansOnlyFanOutPartitionsAndBloomMatches()
    {
        var spec = new PartitionLayout("pin_id", Partitions, 2, Murmur2Partitioner.Partition);
        var query = QueryParser.Parse("""{"queryType":"timeseries","dataSource":"d","intervals":["2026-11-23T10:00Z/PT2H"],"filter":{"type":"selector","dimension":"pin_id","value":"pin-042"},"aggregations":[{"type":"count","name":"n"}]}""");
        var plan = QueryPlanner.Plan(query, spec);
        var home = Murmur2Partitioner.Partition("pin-042", Partitions);
        var segments = new List<SegmentDescriptor>();
        foreach (var hour in new[] { "2026-11-23T09:00Z", "2026-11-23T10:00Z", "2026-11-23T11:00Z" })
        {
            for (var p = 0; p < Partitions; p++)
            {
                var holds = hour.StartsWith("2026-11-23T10", StringComparison.Ordinal) && p == home;
                segments.Add(new SegmentDescriptor($"{hour}/{p}", T(hour), T(hour) + 3_600_000, p, key => holds && key == "pin-042"));
            }
        }

        var report = new PruningReport();
        var scan = plan.Prune(segments, report);

        Assert.Equal(["2026-11-23T10:00Z/" + home], scan.Select(s => s.Id));
        Assert.Equal((48, 16, 28, 3, 1), (report.Considered, report.PrunedByInterval, report.PrunedByPartition, report.PrunedByBloomFilter, report.Scanned));
        Assert.Contains("\"prunedByBloomFilter\":3", report.ToJson(), StringComparison.Ordinal);
        Assert.Throws<QueryLimitExceededException>(() => plan.Prune(segments, new PruningReport(), new QueryLimits(Timeout.InfiniteTimeSpan, 1, 1, 0)));
    }

    [Fact]
    public void Decide_OpenSegmentWithoutBloomFilter_IsScannedInItsPartition()
    {
        var spec = new PartitionLayout("pin_id", Partitions, 1, Murmur2Partitioner.Partition);
        var query = QueryParser.Parse("""{"queryType":"scan","dataSource":"d","intervals":["2026-11-23/P1D"],"filter":{"type":"in","dimension":"pin_id","values":["a","b"]}}""");
        var plan = QueryPlanner.Plan(query, spec);
        var pa = Murmur2Partitioner.Partition("a", Partitions);
        Assert.Equal(PruneDecision.Scan, plan.Decide(new SegmentDescriptor("s", T("2026-11-23T05:00Z"), T("2026-11-23T06:00Z"), pa)));
        Assert.Contains("a", plan.KeysFor(pa)!);
    }

    /// <summary>
    /// Soundness: rows keyed and partitioned as a producer would (murmur2 home plus a random spread under fanOutSize)
    /// go into (hour, partition) segments with a Bloom probe that has no false negatives and some false positives;
    /// for random queries and filters, no segment holding a matching row is ever pruned.
    /// </summary>
    [Fact]
    public void Decide_RandomFiltersAndSegments_NeverPrunesASegmentWithAMatchingRow()
    {
        var pruned = 0;
        var total = 0;
        for (var seed = 0; seed < 300; seed++)
        {
            var data = new TestData(seed + 100_000);
            var fanOut = data.Random.Next(1, 5);
            var partitions = data.Random.Next(1, 20);
            var spec = new PartitionLayout("pin_id", partitions, fanOut, Murmur2Partitioner.Partition);
            var rows = data.Rows(data.Random.Next(0, 400));
            var segments = rows
                .GroupBy(r => (Hour: r.Timestamp / 3_600_000 * 3_600_000, Partition: PartitionOf(spec, (string)r.Columns["pin_id"]!, data.Random)))
                .Select(g => (g.Key, Rows: g.ToList()))
                .ToList();

            var filter = data.Random.Next(3) switch
            {
                0 => data.Filter(),
                1 => $$"""{"type":"and","fields":[{"type":"in","dimension":"pin_id","values":["{{TestData.PinId(data.Random.Next(50))}}","{{TestData.PinId(data.Random.Next(50))}}"]},{{data.Filter()}}]}""",
                _ => $$"""{"type":"or","fields":[{"type":"selector","dimension":"pin_id","value":"{{TestData.PinId(data.Random.Next(50))}}"},{"type":"not","field":{"type":"not","field":{{data.Filter()}}""" + "}}]}",
            };
            var query = QueryParser.Parse($$"""{"queryType":"timeBoundary","dataSource":"d",{{data.Intervals()}},"filter":{{filter}}}""");
            var plan = QueryPlanner.Plan(query, spec);
            var falsePositiveSalt = data.Random.Next();
            foreach (var (key, segmentRows) in segments)
            {
                var keys = segmentRows.Select(r => (string)r.Columns["pin_id"]!).ToHashSet(StringComparer.Ordinal);
                var sealedSegment = data.Random.Next(4) != 0;
                Func<string, bool>? bloom = sealedSegment ? k => keys.Contains(k) || (HashCode.Combine(k, falsePositiveSalt) & 15) == 0 : null;
                var decision = plan.Decide(new SegmentDescriptor($"{key.Hour}/{key.Partition}", key.Hour, key.Hour + 3_600_000, key.Partition, bloom));
                var matches = segmentRows.Any(r => query.InIntervals(r.Timestamp) && query.Filter!.Evaluate(d => StringComparers.ToDimensionString(r.Get(d))));
                Assert.False(matches && decision != PruneDecision.Scan, $"seed {seed}: {decision} pruned {key} holding a matching row; filter {filter}");
                total++;
                pruned += decision == PruneDecision.Scan ? 0 : 1;
            }
        }

        // The property is only meaningful if pruning happens a fair amount.
        Assert.True(pruned > total / 5, $"pruned {pruned} of {total}");
    }

    private static int PartitionOf(PartitionLayout spec, string key, Random random)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(key);
        return Murmur2Partitioner.Partition(bytes, spec.PartitionCount, spec.FanOutSize, random.Next(spec.FanOutSize));
    }
}
