using System.Text;
using Tributary.Bitmaps.Sketches;
using Tributary.Query;
using Tributary.Segments.Query;

namespace Tributary.Segments.Tests.Query;

public sealed class HyperLogLogSketchTests
{
    [Fact]
    public void Merge_TwoHalves_EqualsSketchOfAllValues()
    {
        var factory = HyperLogLogSketchFactory.Default;
        var (left, right, all) = (factory.Create(), factory.Create(), factory.Create());
        for (var i = 0; i < 5000; i++)
        {
            var value = Encoding.UTF8.GetBytes("user-" + i);
            (i % 3 == 0 ? left : right).Add(value);
            all.Add(value);
        }

        left.Merge(right);

        Assert.Equal(all.Serialize(), left.Serialize());
        Assert.InRange(left.Estimate(), 4800, 5200);
    }

    [Fact]
    public void Deserialize_SerializedSketch_KeepsRegisters()
    {
        var factory = new HyperLogLogSketchFactory(14);
        var sketch = factory.Create();
        for (var i = 0; i < 300; i++)
        {
            sketch.Add(Encoding.UTF8.GetBytes("u" + i));
        }

        var copy = factory.Deserialize(sketch.Serialize());

        Assert.Equal(sketch.Estimate(), copy.Estimate());
        Assert.Equal(sketch.Serialize(), copy.Serialize());
    }

    [Fact]
    public void Deserialize_OtherPrecision_ThrowsNamingBoth()
    {
        var bytes = new HyperLogLogSketchFactory(10).Create().Serialize();

        var ex = Assert.Throws<InvalidDataException>(() => HyperLogLogSketchFactory.Default.Deserialize(bytes));

        Assert.Contains("precision 10, expected 12", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Merge_OtherImplementation_Throws()
    {
        var sketch = HyperLogLogSketchFactory.Default.Create();

        Assert.Throws<ArgumentException>(() => sketch.Merge(new ForeignSketch()));
    }

    [Fact]
    public void Clone_ThenAdd_LeavesOriginalUnchanged()
    {
        var sketch = HyperLogLogSketchFactory.Default.Create();
        sketch.Add("a"u8);
        var clone = sketch.Clone();

        clone.Add("b"u8);

        Assert.Equal(1, Math.Round(sketch.Estimate()));
        Assert.Equal(2, Math.Round(clone.Estimate()));
    }

    [Fact]
    public void Add_RawValue_MatchesIngestedHyperUniqueRegisters()
    {
        var spec = QueryTestData.Spec();
        var events = new QueryTestData(5).Events(400);
        using var segment = QueryTestData.Build(spec, new SegmentId(spec.Name, QueryTestData.Start, 0), events);
        var ingested = new HyperLogLog(spec.HyperUniquePrecision);
        var metric = segment.GetMetric("users")!;
        for (var row = 0; row < segment.RowCount; row++)
        {
            metric.AddTo(row, ingested);
        }

        var queried = new HyperLogLogSketchFactory(spec.HyperUniquePrecision).Create();
        foreach (var e in events)
        {
            queried.Add(Encoding.UTF8.GetBytes(e.User));
        }

        Assert.Equal(ingested.ToArray(), queried.Serialize());
    }

    private sealed class ForeignSketch : ICardinalitySketch
    {
        public void Add(ReadOnlySpan<byte> value)
        {
        }

        public void Merge(ICardinalitySketch other)
        {
        }

        public double Estimate() => 0;

        public ICardinalitySketch Clone() => this;

        public byte[] Serialize() => [];
    }
}
