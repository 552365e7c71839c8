using Tributary.Bitmaps.Bloom;
using Tributary.Grains.Segments;

namespace Tributary.Grains.Tests;

public sealed class BloomFilterCacheTests
{
    private static byte[] Serialized(string member)
    {
        var filter = new BlockedBloomFilter(BloomFilterParameters.ForFalsePositiveRate(1_000, 0.01));
        filter.Add(member);
        var bytes = new byte[filter.SerializedSize];
        filter.WriteTo(bytes);
        return bytes;
    }

    private static long SizeOfOne() => BlockedBloomFilter.Read(Serialized("x")).SizeInBytes;

    [Fact]
    public void GetOrAdd_SameKey_ReturnsTheDecodedFilterOnce()
    {
        var cache = new BloomFilterCache(SizeOfOne() * 4);
        var first = cache.GetOrAdd("ds/2026-12-07T10/0", Serialized("pin-1"));
        var second = cache.GetOrAdd("ds/2026-12-07T10/0", Serialized("other"));
        Assert.Same(first, second);
        Assert.True(first.MayContain("pin-1"));
        Assert.Equal(1, cache.Count);
        Assert.Equal(SizeOfOne(), cache.Bytes);
    }

    [Fact]
    public void GetOrAdd_PastCapacity_EvictsTheLeastRecentlyUsed()
    {
        var cache = new BloomFilterCache(SizeOfOne() * 2);
        var a = cache.GetOrAdd("a", Serialized("a"));
        cache.GetOrAdd("b", Serialized("b"));
        Assert.Same(a, cache.GetOrAdd("a", Serialized("a")));
        cache.GetOrAdd("c", Serialized("c"));

        Assert.Equal(2, cache.Count);
        Assert.True(cache.Bytes <= SizeOfOne() * 2);
        Assert.Same(a, cache.GetOrAdd("a", Serialized("a")));
        var c = cache.GetOrAdd("c", Serialized("c"));
        Assert.True(c.MayContain("c"));
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void GetOrAdd_OneFilterLargerThanTheCapacity_IsStillAnswered()
    {
        var cache = new BloomFilterCache(1);
        var filter = cache.GetOrAdd("big", Serialized("k"));
        Assert.True(filter.MayContain("k"));
        cache.GetOrAdd("next", Serialized("n"));
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void Capacity_MustBePositive()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new BloomFilterCache(0));
}
