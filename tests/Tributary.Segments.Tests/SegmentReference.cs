using System.Globalization;
using Tributary.Bitmaps.Sketches;
using Tributary.Segments.Ingest;
using Tributary.Segments.Schema;

namespace Tributary.Segments.Tests;

/// <summary>A straightforward evaluation of the rows a segment must hold, and the checks against it.</summary>
internal static class SegmentReference
{
    public static OpenSegment Build(DatasourceSpec spec, IEnumerable<TestData.Event> events)
    {
        var segment = new OpenSegment(spec, new SegmentId(spec.Name, TestData.HourStart, 0));
        var parser = new RowParser(spec);
        var row = new ParsedRow(spec);
        foreach (var e in events)
        {
            Assert.True(segment.TryAppend(e.Json(), parser, row, out var error), error);
        }

        return segment;
    }

    public static void AssertMatches(ISegment segment, List<TestData.Event> events)
    {
        var spec = segment.Spec;
        var granularity = spec.Granularity.Query;
        var groups = spec.Granularity.Rollup
            ? events.GroupBy(e => (Time: granularity.Truncate(e.Ts), e.Key, e.Color, e.Size)).Select(g => (g.Key, Events: g.ToList())).ToList()
            : [.. events.Select(e => ((Time: granularity.Truncate(e.Ts), e.Key, e.Color, e.Size), new List<TestData.Event> { e }))];

        Assert.Equal(events.Count, segment.EventCount);
        Assert.Equal(groups.Count, segment.RowCount);
        var key = segment.GetDimension("key")!;
        var color = segment.GetDimension("color")!;
        var size = segment.GetDimension("size")!;

        // match each segment row to its group (without rollup rows with equal keys are interchangeable: compare as multisets)
        var expected = groups.Select(g => Describe(g.Key.Time, g.Key.Key, g.Key.Color, g.Key.Size?.ToString(CultureInfo.InvariantCulture), g.Events, spec)).Order(StringComparer.Ordinal).ToList();
        var actual = Enumerable.Range(0, segment.RowCount).Select(r => Describe(segment, r)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, actual);

        foreach (var dimension in new[] { key, color, size })
        {
            AssertBitmapsMatchIds(segment, dimension);
        }

        Assert.Null(color.IndexOf("no-such-color") is -1 ? null : "found");
        using (var none = color.Select("no-such-color"))
        {
            Assert.True(none.IsEmpty);
        }

        using (var nulls = color.Select((string?)null))
        {
            Assert.Equal(Enumerable.Range(0, segment.RowCount).Where(r => color.GetValue(color.GetId(r)) is null).Select(r => (uint)r), nulls.ToArray());
        }

        using (var prefix = key.Select(v => v is not null && v.StartsWith("k1", StringComparison.Ordinal)))
        {
            Assert.Equal(Enumerable.Range(0, segment.RowCount).Where(r => key.GetValue(key.GetId(r))!.StartsWith("k1", StringComparison.Ordinal)).Select(r => (uint)r), prefix.ToArray());
        }

        using (var some = size.Select(["1", "-2", "99", null]))
        {
            Assert.Equal(Enumerable.Range(0, segment.RowCount).Where(r => size.GetValue(size.GetId(r)) is "1" or "-2" or null).Select(r => (uint)r), some.ToArray());
        }

        var from = TestData.HourStart + 600_000;
        var to = TestData.HourStart + 1_260_000;
        using (var interval = segment.RowsInInterval(from, to))
        {
            Assert.Equal(Enumerable.Range(0, segment.RowCount).Where(r => segment.GetTimestamp(r) >= from && segment.GetTimestamp(r) < to).Select(r => (uint)r), interval.ToArray());
        }

        using (var all = segment.AllRows())
        {
            Assert.Equal(segment.RowCount, all.Cardinality);
        }

        if (events.Count > 0)
        {
            Assert.Equal(granularity.Truncate(events.Min(e => e.Ts)), segment.MinTimestampMs);
            Assert.Equal(granularity.Truncate(events.Max(e => e.Ts)), segment.MaxTimestampMs);
        }
    }

    private static void AssertBitmapsMatchIds(ISegment segment, IDimensionColumn dimension)
    {
        var rowsById = Enumerable.Range(0, segment.RowCount).GroupBy(dimension.GetId).ToDictionary(g => g.Key, g => g.Select(r => (uint)r).ToArray());
        Assert.Equal(dimension.Cardinality, rowsById.Count);
        for (var id = 0; id < dimension.Cardinality; id++)
        {
            Assert.Equal(rowsById[id], dimension.GetRows(id).ToArray());
            Assert.Equal(id, dimension.IndexOf(dimension.GetValue(id)));
        }

        if (dimension.IsSorted)
        {
            var values = Enumerable.Range(0, dimension.Cardinality).Select(dimension.GetValue).ToList();
            var sorted = dimension.Spec.Type == DimensionType.Long
                ? values.OrderBy(v => v is null ? long.MinValue : long.Parse(v, CultureInfo.InvariantCulture)).ToList()
                : values.OrderBy(v => v is null ? null : System.Text.Encoding.UTF8.GetBytes(v), Utf8Comparer.Instance).ToList();
            Assert.Equal(sorted, values);
            using var range = dimension.SelectIdRange(1, 3);
            Assert.Equal(Enumerable.Range(0, segment.RowCount).Where(r => dimension.GetId(r) is 1 or 2).Select(r => (uint)r), range.ToArray());
        }
    }

    private static string Describe(ISegment segment, int row)
    {
        var values = new[] { "key", "color", "size" }.Select(name =>
        {
            var dimension = segment.GetDimension(name)!;
            return dimension.GetValue(dimension.GetId(row));
        }).ToArray();
        var users = new HyperLogLog(segment.Spec.HyperUniquePrecision);
        segment.GetMetric("users")!.AddTo(row, users);
        var m = (string name) => segment.GetMetric(name)!;
        return string.Create(CultureInfo.InvariantCulture,
            $"{segment.GetTimestamp(row)}|{values[0]}|{values[1] ?? "<null>"}|{values[2] ?? "<null>"}|{m("count").GetLong(row)}|{m("qty_sum").GetLong(row)}|{m("qty_min").GetLong(row)}|{m("qty_max").GetLong(row)}|{m("price_sum").GetDouble(row):R}|{m("price_min").GetDouble(row):R}|{m("price_max").GetDouble(row):R}|{users.Estimate():R}");
    }

    private static string Describe(long time, string key, string? color, string? size, List<TestData.Event> events, DatasourceSpec spec)
    {
        var users = new HyperLogLog(spec.HyperUniquePrecision);
        foreach (var e in events)
        {
            users.AddHash(HyperLogLog.Hash(e.User));
        }

        var qty = events.Where(e => e.Qty is not null).Select(e => e.Qty!.Value).ToList();
        var price = events.Where(e => e.Price is not null).Select(e => e.Price!.Value).ToList();
        var priceSum = 0.0;
        foreach (var e in events)
        {
            priceSum += e.Price ?? 0;
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"{time}|{key}|{color ?? "<null>"}|{size ?? "<null>"}|{events.Count}|{qty.Sum()}|{(qty.Count == 0 ? long.MaxValue : qty.Min())}|{(qty.Count == 0 ? long.MinValue : qty.Max())}|{priceSum:R}|{(price.Count == 0 ? double.PositiveInfinity : price.Min()):R}|{(price.Count == 0 ? double.NegativeInfinity : price.Max()):R}|{users.Estimate():R}");
    }

    private sealed class Utf8Comparer : IComparer<byte[]?>
    {
        public static readonly Utf8Comparer Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x is null ? (y is null ? 0 : -1) : y is null ? 1 : x.AsSpan().SequenceCompareTo(y);
    }
}
