using FsCheck;
using FsCheck.Fluent;
using Tributary.Bitmaps.Roaring;

namespace Tributary.Bitmaps.Tests;

public sealed class RoaringBitmapTests
{
    private static void ForAll(Action<uint[]> property) => Prop.ForAll(BitmapGen.Arbitrary, property).Check(BitmapGen.Config);

    private static void ForAll(Action<uint[], uint[]> property) => Prop.ForAll(BitmapGen.Arbitrary, BitmapGen.Arbitrary, property).Check(BitmapGen.Config);

    private static uint[] Sorted(IEnumerable<uint> values) => [.. values.Distinct().Order()];

    [Fact]
    public void AddMany_AnyValues_MatchesHashSet() => ForAll(values =>
    {
        using var bitmap = RoaringBitmap.FromValues(values);
        var expected = Sorted(values);
        Assert.Equal(expected.Length, bitmap.Cardinality);
        Assert.Equal(expected, bitmap.ToArray());
        Assert.Equal(expected.Length == 0, bitmap.IsEmpty);
    });

    [Fact]
    public void Add_OneByOne_MatchesHashSetAndReportsNovelty() => ForAll(values =>
    {
        using var bitmap = new RoaringBitmap();
        var set = new HashSet<uint>();
        foreach (var v in values.Take(3000))
        {
            Assert.Equal(set.Add(v), bitmap.TryAdd(v));
        }

        Assert.Equal(Sorted(set), bitmap.ToArray());
    });

    [Fact]
    public void Remove_HalfTheValues_MatchesHashSet() => ForAll(values =>
    {
        using var bitmap = RoaringBitmap.FromValues(values);
        var set = new HashSet<uint>(values);
        foreach (var v in values.Where((_, i) => i % 2 == 0))
        {
            Assert.Equal(set.Remove(v), bitmap.Remove(v));
        }

        Assert.Equal(Sorted(set), bitmap.ToArray());
    });

    [Fact]
    public void Contains_MembersAndNeighbours_MatchesHashSet() => ForAll(values =>
    {
        using var bitmap = RoaringBitmap.FromValues(values);
        var set = new HashSet<uint>(values);
        foreach (var v in values.Take(2000))
        {
            Assert.True(bitmap.Contains(v));
            Assert.Equal(set.Contains(v + 1), bitmap.Contains(v + 1));
            Assert.Equal(set.Contains(v ^ 0x8000_0000), bitmap.Contains(v ^ 0x8000_0000));
        }
    });

    [Fact]
    public void SetOperations_AnyPair_MatchHashSet() => ForAll((left, right) =>
    {
        using var a = RoaringBitmap.FromValues(left);
        using var b = RoaringBitmap.FromValues(right);
        var sa = new HashSet<uint>(left);
        var sb = new HashSet<uint>(right);

        using var and = a.And(b);
        using var or = a.Or(b);
        using var andNot = a.AndNot(b);
        using var xor = a.Xor(b);
        Assert.Equal(Sorted(sa.Intersect(sb)), and.ToArray());
        Assert.Equal(Sorted(sa.Union(sb)), or.ToArray());
        Assert.Equal(Sorted(sa.Except(sb)), andNot.ToArray());
        Assert.Equal(Sorted(sa.Union(sb).Except(sa.Intersect(sb))), xor.ToArray());
        Assert.Equal(and.Cardinality, a.AndCardinality(b));
        Assert.Equal(or.Cardinality, a.OrCardinality(b));
        Assert.Equal(andNot.Cardinality, a.AndNotCardinality(b));
        Assert.Equal(!and.IsEmpty, a.Intersects(b));
    });

    [Fact]
    public void InPlaceOperations_AnyPair_MatchNewResults() => ForAll((left, right) =>
    {
        using var b = RoaringBitmap.FromValues(right);
        using var reference = RoaringBitmap.FromValues(left);
        using var and = RoaringBitmap.FromValues(left);
        using var or = RoaringBitmap.FromValues(left);
        using var andNot = RoaringBitmap.FromValues(left);
        using var xor = RoaringBitmap.FromValues(left);
        and.AndInPlace(b);
        or.OrInPlace(b);
        andNot.AndNotInPlace(b);
        xor.XorInPlace(b);
        using var expectedAnd = reference.And(b);
        using var expectedOr = reference.Or(b);
        using var expectedAndNot = reference.AndNot(b);
        using var expectedXor = reference.Xor(b);
        Assert.Equal(expectedAnd, and);
        Assert.Equal(expectedOr, or);
        Assert.Equal(expectedAndNot, andNot);
        Assert.Equal(expectedXor, xor);
    });

    [Fact]
    public void OrMany_SeveralBitmaps_MatchesUnion()
    {
        var gen = from count in Gen.Choose(0, 12)
                  from sets in BitmapGen.Values.ArrayOf(count)
                  select sets;
        Prop.ForAll(gen.ToArbitrary(), sets =>
        {
            var bitmaps = sets.Select(s => RoaringBitmap.FromValues(s)).ToList();
            try
            {
                using var union = RoaringBitmap.OrMany(bitmaps);
                Assert.Equal(Sorted(sets.SelectMany(s => s)), union.ToArray());
            }
            finally
            {
                bitmaps.ForEach(b => b.Dispose());
            }
        }).Check(BitmapGen.Config.WithMaxTest(25));
    }

    [Fact]
    public void OrMany_ManySparseBitmaps_MatchesUnion()
    {
        var random = new Random(7);
        var sets = Enumerable.Range(0, 2000).Select(_ => Enumerable.Range(0, 5).Select(_ => (uint)random.Next()).ToArray()).ToArray();
        var bitmaps = sets.Select(s => RoaringBitmap.FromValues(s)).ToList();
        using var union = RoaringBitmap.OrMany(bitmaps);
        bitmaps.ForEach(b => b.Dispose());
        Assert.Equal(Sorted(sets.SelectMany(s => s)), union.ToArray());
    }

    [Fact]
    public void Complement_RowRange_MatchesSetDifference() => ForAll(values =>
    {
        using var bitmap = RoaringBitmap.FromValues(values);
        const uint end = 200_000;
        using var complement = bitmap.Complement(0, end);
        var set = new HashSet<uint>(values);
        Assert.Equal(Enumerable.Range(0, (int)end).Select(v => (uint)v).Where(v => !set.Contains(v)).ToArray(), complement.ToArray());
    });

    [Fact]
    public void BatchIterator_SmallBatches_YieldsAscendingValues() => ForAll(values =>
    {
        using var bitmap = RoaringBitmap.FromValues(values);
        var seen = new List<uint>();
        var buffer = new uint[37];
        using (var iterator = bitmap.GetBatchIterator())
        {
            int read;
            while ((read = iterator.Read(buffer)) > 0)
            {
                seen.AddRange(buffer.AsSpan(0, read).ToArray());
            }
        }

        Assert.Equal(Sorted(values), seen);
        Assert.Equal(Sorted(values), bitmap.ToList());
    });

    [Fact]
    public void BatchIterator_MoveToEqualOrLarger_SkipsSmallerValues() => ForAll(values =>
    {
        using var bitmap = RoaringBitmap.FromValues(values);
        var expected = Sorted(values);
        var target = expected.Length == 0 ? 5u : expected[expected.Length / 2];
        using var iterator = bitmap.GetBatchIterator();
        Assert.Equal(expected.Any(v => v >= target), iterator.MoveToEqualOrLarger(target));
        var buffer = new uint[expected.Length + 1];
        var read = iterator.Read(buffer);
        Assert.Equal(expected.Where(v => v >= target).ToArray(), buffer[..read]);
    });

    [Fact]
    public void Serialize_RoundTrip_PreservesValues() => ForAll(values =>
    {
        using var bitmap = RoaringBitmap.FromValues(values);
        var bytes = bitmap.Serialize();
        Assert.Equal(bitmap.PortableSizeInBytes, bytes.Length);
        using var copy = RoaringBitmap.Deserialize(bytes);
        Assert.Equal(bitmap, copy);
        Assert.Equal(Sorted(values), copy.ToArray());
    });

    [Fact]
    public void RunOptimize_AnyValues_KeepsValuesAndNeverGrowsSerialized() => ForAll(values =>
    {
        using var bitmap = RoaringBitmap.FromValues(values);
        var before = bitmap.PortableSizeInBytes;
        bitmap.RunOptimize();
        bitmap.ShrinkToFit();
        Assert.True(bitmap.PortableSizeInBytes <= before);
        Assert.Equal(Sorted(values), bitmap.ToArray());
        using var copy = RoaringBitmap.Deserialize(bitmap.Serialize());
        Assert.Equal(bitmap, copy);
    });

    [Fact]
    public void RunOptimize_ConsecutiveRange_ShrinksMemory()
    {
        using var bitmap = RoaringBitmap.FromValues([.. Enumerable.Range(0, 1_000_000).Select(v => (uint)v)]);
        var before = bitmap.MemoryUsage;
        Assert.True(bitmap.RunOptimize());
        bitmap.ShrinkToFit();
        Assert.True(bitmap.MemoryUsage < before / 100, $"{bitmap.MemoryUsage} vs {before}");
        Assert.Equal(1_000_000, bitmap.Cardinality);
    }

    [Fact]
    public void AddRange_Bounds_MatchesRangeCardinality()
    {
        using var bitmap = RoaringBitmap.FromRange(10, 100_010);
        bitmap.AddRange(uint.MaxValue - 2, (ulong)uint.MaxValue + 1);
        Assert.Equal(100_003, bitmap.Cardinality);
        Assert.Equal(10u, bitmap.Minimum);
        Assert.Equal(uint.MaxValue, bitmap.Maximum);
        Assert.Equal(50, bitmap.RangeCardinality(0, 60));
    }

    [Fact]
    public void Dispose_ThenUse_ThrowsObjectDisposed()
    {
        var bitmap = RoaringBitmap.FromValues([1, 2, 3]);
        bitmap.Dispose();
        bitmap.Dispose();
        Assert.True(bitmap.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => bitmap.Contains(1));
    }
}
