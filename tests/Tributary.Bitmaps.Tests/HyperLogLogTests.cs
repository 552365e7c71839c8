using FsCheck;
using FsCheck.Fluent;
using Tributary.Bitmaps.Sketches;

namespace Tributary.Bitmaps.Tests;

public sealed class HyperLogLogTests
{
    private static HyperLogLog Sketch(long first, long count, int precision = HyperLogLog.DefaultPrecision)
    {
        var sketch = new HyperLogLog(precision);
        for (var i = first; i < first + count; i++)
        {
            sketch.AddHash(HyperLogLog.Hash(i));
        }

        return sketch;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(100)]
    [InlineData(1_000)]
    [InlineData(10_000)]
    [InlineData(100_000)]
    [InlineData(1_000_000)]
    public void Estimate_DistinctValues_WithinFourStandardErrors(long distinct)
    {
        var sketch = Sketch(1_000_000_000, distinct);
        // every value twice: duplicates must not count
        for (var i = 1_000_000_000L; i < 1_000_000_000L + Math.Min(distinct, 1000); i++)
        {
            sketch.AddHash(HyperLogLog.Hash(i));
        }

        var standardError = 1.04 / Math.Sqrt(1 << HyperLogLog.DefaultPrecision);
        Assert.InRange(sketch.Estimate(), distinct * (1 - (4 * standardError)) - 0.5, distinct * (1 + (4 * standardError)) + 0.5);
    }

    [Fact]
    public void Estimate_ManyIndependentSketches_RelativeStandardErrorAboutOnePointSixPercent()
    {
        const int sketches = 60;
        const int distinct = 50_000;
        var squares = 0.0;
        for (var s = 0; s < sketches; s++)
        {
            var error = (Sketch((long)s * 10_000_000, distinct).Estimate() / distinct) - 1;
            squares += error * error;
        }

        var rms = Math.Sqrt(squares / sketches);
        Assert.InRange(rms, 0.008, 0.025);
    }

    [Fact]
    public void Merge_TwoSketches_EqualsSketchOfUnion()
    {
        var gen = from a in Gen.Choose(0, 20_000)
                  from b in Gen.Choose(0, 20_000)
                  from overlap in Gen.Choose(0, 20_000)
                  select (a, b, overlap);
        Prop.ForAll(gen.ToArbitrary(), input =>
        {
            var left = Sketch(0, input.a);
            var right = Sketch(input.a - Math.Min(input.overlap, input.a), input.b);
            var union = Sketch(0, Math.Max(input.a, input.a - Math.Min(input.overlap, input.a) + input.b));
            var merged = left.Clone();
            merged.Merge(right);
            Assert.Equal(union.Estimate(), merged.Estimate());
            right.Merge(left);
            Assert.Equal(union.Estimate(), right.Estimate());
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(40));
    }

    [Fact]
    public void Merge_DifferentPrecision_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => new HyperLogLog(12).Merge(new HyperLogLog(14)));
        Assert.Contains("p=14", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddEncoded_PerRowEncodings_EqualsDirectAdds()
    {
        var direct = Sketch(0, 5000);
        var folded = new HyperLogLog();
        for (var i = 0L; i < 5000; i++)
        {
            folded.AddEncoded(HyperLogLog.Encode(HyperLogLog.Hash(i), HyperLogLog.DefaultPrecision));
        }

        Assert.Equal(direct.Estimate(), folded.Estimate());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(50)]
    [InlineData(100_000)]
    public void Read_WrittenSketch_SameEstimate(int distinct)
    {
        var sketch = Sketch(7, distinct);
        var bytes = sketch.ToArray();
        var copy = HyperLogLog.Read(bytes);
        Assert.Equal(sketch.IsDense, copy.IsDense);
        Assert.Equal(sketch.Estimate(), copy.Estimate());
        Assert.Equal(bytes, copy.ToArray());
    }

    [Fact]
    public void Read_MalformedBytes_ThrowsNamingOffset()
    {
        Assert.Contains("byte 0", Assert.Throws<FormatException>(() => HyperLogLog.Read([9, 12, 0, 0, 0, 0, 0])).Message, StringComparison.Ordinal);
        Assert.Contains("byte 1", Assert.Throws<FormatException>(() => HyperLogLog.Read([1, 40, 0])).Message, StringComparison.Ordinal);
        Assert.Contains("byte 2", Assert.Throws<FormatException>(() => HyperLogLog.Read([1, 12, 7])).Message, StringComparison.Ordinal);
        var dense = Sketch(0, 100_000).ToArray();
        Assert.Contains("truncated", Assert.Throws<FormatException>(() => HyperLogLog.Read(dense.AsSpan(0, 100))).Message, StringComparison.Ordinal);
        dense[10] = 200;
        Assert.Contains("byte 10", Assert.Throws<FormatException>(() => HyperLogLog.Read(dense)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hash_NumberAndItsText_Agree() => Assert.Equal(HyperLogLog.Hash("42"), HyperLogLog.Hash(42L));
}
