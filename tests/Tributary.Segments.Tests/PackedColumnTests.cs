using FsCheck;
using FsCheck.Fluent;
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
}
