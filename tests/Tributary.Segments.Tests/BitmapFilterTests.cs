using Tributary.Bitmaps.Roaring;

namespace Tributary.Segments.Tests;

/// <summary>
/// Random filter trees (selector, in, bound, and, or, not) evaluated the way per-segment query execution will:
/// as bitmap operations over the segment's dictionaries, against a row-by-row evaluation, on open and sealed segments.
/// </summary>
public sealed class BitmapFilterTests
{
    private abstract record Filter;

    private sealed record Selector(string Dimension, string? Value) : Filter;

    private sealed record In(string Dimension, string?[] Values) : Filter;

    private sealed record Bound(string Dimension, string? Lower, string? Upper) : Filter;

    private sealed record And(Filter[] Fields) : Filter;

    private sealed record Or(Filter[] Fields) : Filter;

    private sealed record Not(Filter Field) : Filter;

    private static readonly string[] Dimensions = ["key", "color", "size"];
    private static readonly string?[] Values = [null, "", "k1", "k12", "k3", "red", "blue", "é-accent", "-3", "0", "2", "missing"];

    [Theory]
    [InlineData(50)]
    [InlineData(51)]
    [InlineData(52)]
    public void Evaluate_RandomFilterTrees_MatchRowByRow(int seed)
    {
        var random = new Random(seed);
        using var open = SegmentReference.Build(TestData.Full(), TestData.Events(seed, 4000));
        using var sealedSegment = open.Seal();
        for (var i = 0; i < 150; i++)
        {
            var filter = RandomFilter(random, depth: 0);
            foreach (ISegment segment in new ISegment[] { open, sealedSegment })
            {
                using var bitmap = Evaluate(segment, filter);
                var expected = Enumerable.Range(0, segment.RowCount).Where(r => Matches(segment, filter, r)).Select(r => (uint)r).ToArray();
                Assert.Equal(expected, bitmap.ToArray());
            }
        }
    }

    private static Filter RandomFilter(Random random, int depth)
    {
        var kind = random.Next(depth >= 3 ? 3 : 6);
        var dimension = Dimensions[random.Next(Dimensions.Length)];
        return kind switch
        {
            0 => new Selector(dimension, Values[random.Next(Values.Length)]),
            1 => new In(dimension, [.. Enumerable.Range(0, random.Next(4)).Select(_ => Values[random.Next(Values.Length)])]),
            2 => new Bound(dimension, random.Next(3) == 0 ? null : Values[random.Next(1, Values.Length)], random.Next(3) == 0 ? null : Values[random.Next(1, Values.Length)]),
            3 => new And([.. Enumerable.Range(0, random.Next(1, 4)).Select(_ => RandomFilter(random, depth + 1))]),
            4 => new Or([.. Enumerable.Range(0, random.Next(1, 4)).Select(_ => RandomFilter(random, depth + 1))]),
            _ => new Not(RandomFilter(random, depth + 1)),
        };
    }

    private static bool InBound(string? value, Bound bound)
        => value is not null
        && (bound.Lower is null || string.CompareOrdinal(value, bound.Lower) >= 0)
        && (bound.Upper is null || string.CompareOrdinal(value, bound.Upper) <= 0);

    private static RoaringBitmap Evaluate(ISegment segment, Filter filter)
    {
        switch (filter)
        {
            case Selector s:
                return segment.GetDimension(s.Dimension)!.Select(s.Value);
            case In i:
                return segment.GetDimension(i.Dimension)!.Select(i.Values);
            case Bound b:
                return segment.GetDimension(b.Dimension)!.Select(v => InBound(v, b));
            case And a:
                var result = Evaluate(segment, a.Fields[0]);
                foreach (var field in a.Fields.Skip(1))
                {
                    using var next = Evaluate(segment, field);
                    result.AndInPlace(next);
                }

                return result;
            case Or o:
                var parts = o.Fields.Select(f => Evaluate(segment, f)).ToList();
                try
                {
                    return RoaringBitmap.OrMany(parts);
                }
                finally
                {
                    parts.ForEach(p => p.Dispose());
                }

            case Not n:
                using (var inner = Evaluate(segment, n.Field))
                {
                    return inner.Complement(0, (uint)segment.RowCount);
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(filter));
        }
    }

    private static bool Matches(ISegment segment, Filter filter, int row)
    {
        string? Value(string dimension)
        {
            var column = segment.GetDimension(dimension)!;
            return column.GetValue(column.GetId(row));
        }

        return filter switch
        {
            Selector s => Value(s.Dimension) == s.Value,
            In i => i.Values.Contains(Value(i.Dimension)),
            Bound b => InBound(Value(b.Dimension), b),
            And a => a.Fields.All(f => Matches(segment, f, row)),
            Or o => o.Fields.Any(f => Matches(segment, f, row)),
            Not n => !Matches(segment, n.Field, row),
            _ => throw new ArgumentOutOfRangeException(nameof(filter)),
        };
    }
}
