using BenchmarkDotNet.Attributes;
using Tributary.Bitmaps.Roaring;

namespace Tributary.Benchmarks;

/// <summary>
/// CRoaring through RoaringBitmap (Roaring.Net underneath since 2.1.1; a hand binding of Debian's 0.2.66 before), on row-id sets shaped like a 1M-row segment's indexes:
/// a dense one (a low-cardinality value such as action=view, ~45% of rows) and sparse ones (one pin's rows).
/// </summary>
[MemoryDiagnoser]
public class BitmapBenchmarks
{
    private const int Rows = 1_000_000;
    private uint[] _denseValues = [];
    private RoaringBitmap _dense = null!;
    private RoaringBitmap _dense2 = null!;
    private RoaringBitmap _sparse = null!;
    private List<RoaringBitmap> _manySparse = [];
    private byte[] _serialized = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _denseValues = [.. Enumerable.Range(0, Rows).Where(_ => random.NextDouble() < 0.45).Select(v => (uint)v)];
        _dense = RoaringBitmap.FromValues(_denseValues);
        _dense2 = RoaringBitmap.FromValues([.. Enumerable.Range(0, Rows).Where(_ => random.NextDouble() < 0.2).Select(v => (uint)v)]);
        _sparse = RoaringBitmap.FromValues([.. Enumerable.Range(0, 200).Select(_ => (uint)random.Next(Rows))]);
        _manySparse = [.. Enumerable.Range(0, 1000).Select(_ => RoaringBitmap.FromValues([.. Enumerable.Range(0, 20).Select(_ => (uint)random.Next(Rows))]))];
        _dense.RunOptimize();
        _serialized = _dense.Serialize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _dense.Dispose();
        _dense2.Dispose();
        _sparse.Dispose();
        _manySparse.ForEach(b => b.Dispose());
    }

    [Benchmark(Description = "add_many 450k sorted row ids")]
    public long AddMany()
    {
        using var bitmap = new RoaringBitmap();
        bitmap.AddMany(_denseValues);
        return bitmap.Cardinality;
    }

    [Benchmark(Description = "add 10k row ids one call each")]
    public long AddOneByOne()
    {
        using var bitmap = new RoaringBitmap();
        for (var i = 0; i < 10_000; i++)
        {
            bitmap.Add(_denseValues[i]);
        }

        return bitmap.Cardinality;
    }

    [Benchmark(Description = "and dense x dense")]
    public long AndDense()
    {
        using var result = _dense.And(_dense2);
        return result.Cardinality;
    }

    [Benchmark(Description = "and dense x sparse")]
    public long AndSparse()
    {
        using var result = _dense.And(_sparse);
        return result.Cardinality;
    }

    [Benchmark(Description = "or dense x dense")]
    public long OrDense()
    {
        using var result = _dense.Or(_dense2);
        return result.Cardinality;
    }

    [Benchmark(Description = "or_many 1000 sparse")]
    public long OrMany()
    {
        using var result = RoaringBitmap.OrMany(_manySparse);
        return result.Cardinality;
    }

    [Benchmark(Description = "and_cardinality dense x dense")]
    public long AndCardinality() => _dense.AndCardinality(_dense2);

    [Benchmark(Description = "cardinality dense")]
    public long Cardinality() => _dense.Cardinality;

    [Benchmark(Description = "serialize dense (portable)")]
    public int Serialize() => _dense.Serialize().Length;

    [Benchmark(Description = "deserialize dense (validated, safe)")]
    public long Deserialize()
    {
        using var bitmap = RoaringBitmap.Deserialize(_serialized);
        return bitmap.Cardinality;
    }
}
