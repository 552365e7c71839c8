using System.Text;
using BenchmarkDotNet.Attributes;
using Tributary.Bitmaps.Bloom;
using Tributary.Bitmaps.Sketches;

namespace Tributary.Benchmarks;

/// <summary>Bloom filter add/contains at 1M pin-id keys (1% target), per key.</summary>
[MemoryDiagnoser]
public class BloomBenchmarks
{
    private const int Keys = 1_000_000;
    private byte[][] _keys = [];
    private byte[][] _absent = [];
    private BlockedBloomFilter _filter = null!;

    [GlobalSetup]
    public void Setup()
    {
        _keys = [.. Enumerable.Range(0, Keys).Select(i => Encoding.ASCII.GetBytes((100_000_000_000L + (i * 7919L)).ToString(System.Globalization.CultureInfo.InvariantCulture)))];
        _absent = [.. Enumerable.Range(0, Keys).Select(i => Encoding.ASCII.GetBytes((900_000_000_000L + i).ToString(System.Globalization.CultureInfo.InvariantCulture)))];
        _filter = new BlockedBloomFilter(BloomFilterParameters.ForFalsePositiveRate(Keys, 0.01));
        foreach (var key in _keys)
        {
            _filter.Add(key);
        }
    }

    [Benchmark(OperationsPerInvoke = Keys, Description = "bloom add (per key)")]
    public long Add()
    {
        var filter = new BlockedBloomFilter(BloomFilterParameters.ForFalsePositiveRate(Keys, 0.01));
        foreach (var key in _keys)
        {
            filter.Add(key);
        }

        return filter.Count;
    }

    [Benchmark(OperationsPerInvoke = Keys, Description = "bloom contains, present (per key)")]
    public int ContainsPresent()
    {
        var hits = 0;
        foreach (var key in _keys)
        {
            hits += _filter.MayContain(key) ? 1 : 0;
        }

        return hits;
    }

    [Benchmark(OperationsPerInvoke = Keys, Description = "bloom contains, absent (per key)")]
    public int ContainsAbsent()
    {
        var hits = 0;
        foreach (var key in _absent)
        {
            hits += _filter.MayContain(key) ? 1 : 0;
        }

        return hits;
    }
}

/// <summary>HyperLogLog add of user ids (p = 12), per value.</summary>
[MemoryDiagnoser]
public class HyperLogLogBenchmarks
{
    private const int Values = 1_000_000;

    [Benchmark(OperationsPerInvoke = Values, Description = "hll add long user id (per value)")]
    public double AddLong()
    {
        var sketch = new HyperLogLog();
        for (var i = 1L; i <= Values; i++)
        {
            sketch.AddHash(HyperLogLog.Hash(i));
        }

        return sketch.Estimate();
    }

    [Benchmark(OperationsPerInvoke = Values, Description = "hll add pre-hashed (per value)")]
    public double AddHashed()
    {
        var sketch = new HyperLogLog();
        for (var i = 1UL; i <= Values; i++)
        {
            sketch.AddHash(i * 0x9E3779B97F4A7C15UL);
        }

        return sketch.Estimate();
    }
}
