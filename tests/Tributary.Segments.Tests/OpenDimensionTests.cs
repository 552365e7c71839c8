using Tributary.Segments.Ingest;

namespace Tributary.Segments.Tests;

/// <summary>
/// The dimension columns of an open segment (internal OpenDimension, through <see cref="OpenSegment.GetDimension"/>):
/// bitmaps are built lazily from the id column and cached, so every read must equal the rows read back from the ids,
/// however appends and reads interleave.
/// </summary>
public sealed class OpenDimensionTests
{
    private static readonly string[] Dimensions = ["key", "color", "size"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void GetRows_InterleavedAppendsAndReads_EqualsRowsOfEachId(int seed)
    {
        var random = new Random(seed);
        var spec = TestData.Full(rollup: seed % 2 == 0);
        using var segment = new OpenSegment(spec, new SegmentId(spec.Name, TestData.HourStart, 0));
        var parser = new RowParser(spec);
        var row = new ParsedRow(spec);
        foreach (var e in TestData.Events(seed, 6000))
        {
            Assert.True(segment.TryAppend(e.Json(), parser, row, out var error), error);
            if (random.Next(150) != 0)
            {
                continue;
            }

            var column = segment.GetDimension(Dimensions[random.Next(Dimensions.Length)])!;
            var byId = RowsById(segment, column);
            for (var i = 0; i < 3; i++)
            {
                var id = random.Next(column.Cardinality);
                Assert.Equal(byId[id], column.GetRows(id).ToArray());
            }

            var picked = Enumerable.Range(0, column.Cardinality).Where(_ => random.Next(3) == 0).ToList();
            using (var selected = column.SelectIds(picked))
            {
                Assert.Equal(Union(byId, picked), selected.ToArray());
            }

            var values = picked.Select(column.GetValue).Append("absent").ToList();
            using (var selected = column.Select(values))
            {
                Assert.Equal(Union(byId, picked), selected.ToArray());
            }

            using (var selected = column.Select(v => v is not null && v.Length % 2 == 0))
            {
                Assert.Equal(Union(byId, Enumerable.Range(0, column.Cardinality).Where(id => column.GetValue(id) is { Length: var n } && n % 2 == 0)), selected.ToArray());
            }

            var from = random.Next(column.Cardinality);
            var to = random.Next(from, column.Cardinality + 2);
            using (var selected = column.SelectIdRange(from, to))
            {
                Assert.Equal(Union(byId, Enumerable.Range(from, Math.Min(to, column.Cardinality) - from)), selected.ToArray());
            }
        }

        Assert.Equal(6000, segment.EventCount);
    }

    [Fact]
    public void GetRows_ReadAgainAfterAppends_SameCachedBitmapCaughtUp()
    {
        var spec = TestData.Full(rollup: false);
        using var segment = new OpenSegment(spec, new SegmentId(spec.Name, TestData.HourStart, 0));
        var parser = new RowParser(spec);
        var row = new ParsedRow(spec);
        Append(segment, parser, row, "k1", "k2", "k1");
        var key = segment.GetDimension("key")!;
        var first = key.GetRows(key.IndexOf("k1"));
        Assert.Equal([0u, 2u], first.ToArray());
        Assert.True(segment.NativeMemoryUsage > 0);

        Append(segment, parser, row, "k2", "k1", "k3", "k1");
        var second = key.GetRows(key.IndexOf("k1"));

        Assert.Same(first, second);
        Assert.Equal([0u, 2u, 4u, 6u], second.ToArray());
        Assert.Equal([1u, 3u], key.GetRows(key.IndexOf("k2")).ToArray());
    }

    [Fact]
    public void GetRows_CacheOverBudget_DroppedAtNextAppendAndRebuiltExactly()
    {
        var spec = TestData.Full(rollup: false);
        using var segment = new OpenSegment(spec, new SegmentId(spec.Name, TestData.HourStart, 0));
        var parser = new RowParser(spec);
        var row = new ParsedRow(spec);
        Append(segment, parser, row, [.. Enumerable.Range(0, 4000).Select(i => "k" + i)]);
        var key = segment.GetDimension("key")!;
        for (var id = 0; id < key.Cardinality; id++)
        {
            Assert.Equal([(uint)id], key.GetRows(id).ToArray());
        }

        Assert.True(segment.NativeMemoryUsage > OpenDimensionBudget(segment.RowCount), $"{segment.NativeMemoryUsage} bytes cached");

        Append(segment, parser, row, "k7");

        Assert.Equal(0, segment.NativeMemoryUsage);
        Assert.Equal([7u, 4000u], key.GetRows(key.IndexOf("k7")).ToArray());
    }

    [Fact]
    public void Append_NoReads_HoldsNoNativeBitmaps()
    {
        var events = TestData.Events(9, 3000);
        using var segment = SegmentReference.Build(TestData.Full(), events);

        Assert.Equal(0, segment.NativeMemoryUsage);
        Assert.Equal(0, segment.MemoryBreakdown().Where(p => p.Key.EndsWith(":bitmaps", StringComparison.Ordinal)).Sum(p => p.Value));
    }

    [Fact]
    public void GetValue_NullFirstSeenBetweenStrings_IdsMapBackToValues()
    {
        var spec = TestData.Full(rollup: false);
        using var segment = new OpenSegment(spec, new SegmentId(spec.Name, TestData.HourStart, 0));
        var parser = new RowParser(spec);
        var row = new ParsedRow(spec);
        string?[] colors = ["red", "blue", null, "green", "red", null, "teal"];
        foreach (var color in colors)
        {
            var e = new TestData.Event(TestData.HourStart + 1, "k", color, null, null, null, 1);
            Assert.True(segment.TryAppend(e.Json(), parser, row, out var error), error);
        }

        var column = segment.GetDimension("color")!;

        Assert.Equal(5, column.Cardinality);
        Assert.Equal(colors, Enumerable.Range(0, segment.RowCount).Select(r => column.GetValue(column.GetId(r))));
        Assert.All(colors, c => Assert.Equal(c, column.GetValue(column.IndexOf(c))));
        Assert.Equal([2u, 5u], column.GetRows(column.IndexOf(null)).ToArray());
        Assert.Equal(-1, column.IndexOf("absent"));
    }

    private static long OpenDimensionBudget(int rows) => (64 * 1024) + (2L * rows);

    private static void Append(OpenSegment segment, RowParser parser, ParsedRow row, params string[] keys)
    {
        foreach (var key in keys)
        {
            var e = new TestData.Event(TestData.HourStart + 1, key, "red", 1, 1, 1.0, 1);
            Assert.True(segment.TryAppend(e.Json(), parser, row, out var error), error);
        }
    }

    private static List<uint>[] RowsById(OpenSegment segment, IDimensionColumn column)
    {
        var rows = Enumerable.Range(0, column.Cardinality).Select(_ => new List<uint>()).ToArray();
        for (var r = 0; r < segment.RowCount; r++)
        {
            rows[column.GetId(r)].Add((uint)r);
        }

        return rows;
    }

    private static uint[] Union(List<uint>[] byId, IEnumerable<int> ids) => [.. ids.SelectMany(id => byId[id]).Order()];
}
