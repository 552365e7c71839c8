using System.Globalization;
using Tributary.Query;
using Tributary.Segments.Query;

namespace Tributary.Segments.Tests.Format;

/// <summary>
/// The events and queries behind Fixtures/full-rollup-off.tseg.gz, a sealed segment written by the code that bound
/// Debian's CRoaring 0.2.66 by hand (commit 46ca10e): the file proves that today's code reads it unchanged.
/// </summary>
internal static class SegmentFixtureData
{
    /// <summary>Events shaped so the file's bitmaps hold all three container kinds: run (key k0 owns the first 2,000 rows),
    /// bitset (color red on two rows of every three: 4,200 values in 2,100 runs, too many runs for a run container) and array (everything sparse).</summary>
    public static List<TestData.Event> Events()
    {
        var random = new Random(1717);
        string[] others = ["green", "blue", "é-accent", ""];
        var events = new List<TestData.Event>(6300);
        for (var i = 0; i < 6300; i++)
        {
            var key = i < 2000 ? "k0" : "k" + random.Next(1, 30).ToString(CultureInfo.InvariantCulture);
            var pick = random.Next(100);
            var color = i % 3 != 0 ? "red" : pick >= 80 ? null : others[random.Next(others.Length)];
            events.Add(new TestData.Event(
                TestData.HourStart + (i * 571L),
                key,
                color,
                random.Next(8) == 0 ? null : random.Next(-3, 4),
                random.Next(6) == 0 ? null : random.Next(-8, 8),
                random.Next(10) == 0 ? Math.Round(random.NextDouble() * 100, 2) : null,
                random.Next(64)));
        }

        return events;
    }

    public static readonly string[] Queries =
    [
        """{"queryType":"timeseries","dataSource":"full","intervals":["2026-11-23/P1D"],"granularity":"all","filter":{"type":"selector","dimension":"color","value":"red"},"aggregations":[{"type":"count","name":"rows"},{"type":"longSum","name":"qty","fieldName":"qty_sum"}]}""",
        """{"queryType":"topN","dataSource":"full","intervals":["2026-11-23/P1D"],"granularity":"all","dimension":"key","metric":"rows","threshold":5,"filter":{"type":"not","field":{"type":"selector","dimension":"color","value":null}},"aggregations":[{"type":"count","name":"rows"},{"type":"doubleMax","name":"price","fieldName":"price_max"}]}""",
        """{"queryType":"groupBy","dataSource":"full","intervals":["2026-11-23/P1D"],"granularity":"all","dimensions":["size"],"filter":{"type":"and","fields":[{"type":"in","dimension":"key","values":["k0","k1","k2"]},{"type":"bound","dimension":"__time","lower":"1795428000000","upper":"1795429800000","ordering":"numeric"}]},"aggregations":[{"type":"count","name":"rows"},{"type":"longMin","name":"qmin","fieldName":"qty_min"},{"type":"hyperUnique","name":"users","fieldName":"users"}]}""",
        """{"queryType":"timeseries","dataSource":"full","intervals":["2026-11-23T10:00/PT1H"],"granularity":"fifteen_minute","filter":{"type":"or","fields":[{"type":"selector","dimension":"key","value":"k0"},{"type":"selector","dimension":"color","value":"blue"}]},"aggregations":[{"type":"count","name":"rows"}]}""",
    ];

    /// <summary>One query's answer from one segment, as JSON.</summary>
    public static string Run(ISegment segment, string json)
    {
        var query = QueryParser.Parse(json);
        var merger = new QueryMerger(query, sketches: HyperLogLogSketchFactory.Default);
        merger.Add(SegmentQueryEngine.Execute(segment, query, HyperLogLogSketchFactory.Default, TestContext.Current.CancellationToken));
        return QueryResultWriter.ToJson(merger.Complete(TestContext.Current.CancellationToken));
    }
}
