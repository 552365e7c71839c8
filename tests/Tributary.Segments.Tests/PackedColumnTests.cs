using FsCheck;
using FsCheck.Fluent;
using Tributary.Bitmaps.Roaring;
using Tributary.Segments.Columns;

namespace Tributary.Segments.Tests;

public sealed class PackedColumnTests
{
    [Fact]
    public void AddAndSet_AnyValues_ReadBackAndWidenOnlyAsNeeded()
    {
        var values = Gen.OneOf(Gen.Choose(0, 255).Select(v => (long)v), Gen.Choose(0, 70_000).Select(v => (long)v),
            ArbMap.Default.GeneratorFor<long>()).ArrayOf();
        Prop.ForAll(values.ToArbitrary(), input =>
        {
            var column = new PackedColumn(4);
            foreach (var value in input)
            {
                column.Add(value);
            }

            Assert.Equal(input.Length, column.Count);
            Assert.Equal(input, Enumerable.Range(0, column.Count).Select(i => column[i]));
            var expectedWidth = input.Any(v => v < 0 || v > uint.MaxValue) ? 8 : input.Any(v => v > ushort.MaxValue) ? 4 : input.Any(v => v > byte.MaxValue) ? 2 : 1;
            Assert.Equal(expectedWidth, column.Width);
            if (input.Length > 0)
            {
                column[0] = -1;
                Assert.Equal(8, column.Width);
                Assert.Equal(-1, column[0]);
                Assert.Equal(input[1..], Enumerable.Range(1, column.Count - 1).Select(i => column[i]));
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(200));
    }

    [Fact]
    public void WriteTo_ThenView_SameValues()
    {
        foreach (var max in new[] { 200L, 60_000L, 4_000_000_000L, -5L })
        {
            var column = new PackedColumn();
            for (var i = 0; i < 1000; i++)
            {
                column.Add(i % 2 == 0 ? max : i);
            }

            using var buffer = new MemoryStream();
            column.WriteTo(buffer);
            Assert.Equal(column.SerializedSize, buffer.Length);
            var view = new PackedColumnView(buffer.ToArray(), "test");
            Assert.Equal(Enumerable.Range(0, 1000).Select(i => column[i]), Enumerable.Range(0, view.Count).Select(i => view[i]));
        }
    }

    [Fact]
    public void View_TruncatedSection_ThrowsNamingIt()
    {
        var column = new PackedColumn();
        column.Add(70_000);
        using var buffer = new MemoryStream();
        column.WriteTo(buffer);
        var error = Assert.Throws<InvalidDataException>(() => new PackedColumnView(buffer.ToArray().AsMemory(0, 10), "segment x ids"));
        Assert.StartsWith("segment x ids:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Indexer_OutOfRange_Throws()
    {
        var column = new PackedColumn();
        column.Add(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => column[1]);
    }
    [Fact]
    public void AddIndexesOf_AnyWidthValueAndStart_EqualsLinearScan()
    {
        var input = Gen.Choose(1, 4).SelectMany(domain => Gen.Choose(0, 5).Select(v => domain switch
        {
            1 => (long)v,
            2 => v * 300L,
            3 => v * 70_000L,
            _ => v == 5 ? -1L : v * 5_000_000_000L,
        }).ArrayOf().Select(values => (domain, values))).SelectMany(t => Gen.Choose(0, 6).SelectMany(probe => Gen.Choose(0, t.values.Length).Select(start => (t.values, probe, start))));
        Prop.ForAll(input.ToArbitrary(), t =>
        {
            var column = new PackedColumn(4);
            foreach (var value in t.values)
            {
                column.Add(value);
            }

            // probe a value that is present when possible, else one that is not
            var value2 = t.values.Length > 0 ? t.values[t.probe % t.values.Length] : t.probe;
            using var rows = new RoaringBitmap();
            column.AddIndexesOf(value2, t.start, rows);
            Assert.Equal(Enumerable.Range(t.start, t.values.Length - t.start).Where(i => t.values[i] == value2).Select(i => (uint)i), rows.ToArray());
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Fact]
    public void AddIndexesOf_LongRunsAcrossVectors_FindsEveryMatch()
    {
        foreach (var width in new[] { 200L, 60_000L, 4_000_000_000L, -5L })
        {
            var column = new PackedColumn();
            column.Add(width);
            var expected = new List<uint>();
            for (var i = 1; i < 5000; i++)
            {
                var value = i % 97 < 40 ? 3 : i % 5;
                column.Add(value);
                if (value == 3)
                {
                    expected.Add((uint)i);
                }
            }

            using var rows = new RoaringBitmap();
            column.AddIndexesOf(3, 0, rows);
            Assert.Equal(expected, rows.ToArray());
            using var none = new RoaringBitmap();
            column.AddIndexesOf(long.MaxValue, 0, none);
            Assert.True(none.IsEmpty);
        }
    }

    [Fact]
    public void AddIndexesWhere_AnyMatchSet_EqualsLinearScan()
    {
        var input = Gen.Choose(0, 300).ArrayOf().SelectMany(values => Gen.Elements(true, false).ArrayOf().SelectMany(match => Gen.Choose(0, values.Length).Select(start => (values, match, start))));
        Prop.ForAll(input.ToArbitrary(), t =>
        {
            var column = new PackedColumn(4);
            foreach (var value in t.values)
            {
                column.Add(value);
            }

            using var rows = new RoaringBitmap();
            column.AddIndexesWhere(t.match, t.start, rows);
            var expected = Enumerable.Range(t.start, t.values.Length - t.start).Where(i => t.values[i] < t.match.Length && t.match[t.values[i]]).Select(i => (uint)i);
            Assert.Equal(expected, rows.ToArray());
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }
}
