using Tributary.Bitmaps.Bloom;
using Tributary.Grains.Segments;
using Tributary.Storage;

namespace Tributary.Grains.Tests;

public sealed class BloomFilterCacheTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"bloom-cache-{Guid.NewGuid():N}");
    private readonly LocalDirectoryObjectStore _store;

    public BloomFilterCacheTests() => _store = new LocalDirectoryObjectStore(_root);

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static byte[] Serialized(string member)
    {
        var filter = new BlockedBloomFilter(BloomFilterParameters.ForFalsePositiveRate(1_000, 0.01));
        filter.Add(member);
        var bytes = new byte[filter.SerializedSize];
        filter.WriteTo(bytes);
        return bytes;
    }

    private static long SizeOfOne() => BlockedBloomFilter.Read(Serialized("x")).SizeInBytes;

    private async Task<string> PutAsync(string key, string member)
    {
        var objectKey = $"segments/{key}/bloom.tbf";
        await _store.PutAsync(objectKey, Serialized(member), TestContext.Current.CancellationToken);
        return objectKey;
    }

    private ValueTask<BlockedBloomFilter?> GetAsync(BloomFilterCache cache, string key) =>
        cache.GetOrLoadAsync(key, $"segments/{key}/bloom.tbf", TestContext.Current.CancellationToken);

    [Fact]
    public async Task GetOrLoadAsync_SameKey_ReadsTheObjectOnce()
    {
        var cache = new BloomFilterCache(SizeOfOne() * 4, _store);
        await PutAsync("ds/2026-12-07T10/0", "pin-1");
        var first = await GetAsync(cache, "ds/2026-12-07T10/0");
        await PutAsync("ds/2026-12-07T10/0", "other");
        var second = await GetAsync(cache, "ds/2026-12-07T10/0");
        Assert.NotNull(first);
        Assert.Same(first, second);
        Assert.True(first.MayContain("pin-1"));
        Assert.Equal(1, cache.Count);
        Assert.Equal(1, cache.Loads);
        Assert.Equal(SizeOfOne(), cache.Bytes);
    }

    [Fact]
    public async Task GetOrLoadAsync_PastCapacity_EvictsTheLeastRecentlyUsed()
    {
        var cache = new BloomFilterCache(SizeOfOne() * 2, _store);
        foreach (var key in new[] { "a", "b", "c" })
        {
            await PutAsync(key, key);
        }

        var a = await GetAsync(cache, "a");
        await GetAsync(cache, "b");
        Assert.Same(a, await GetAsync(cache, "a"));
        await GetAsync(cache, "c");

        Assert.Equal(2, cache.Count);
        Assert.True(cache.Bytes <= SizeOfOne() * 2);
        Assert.Same(a, await GetAsync(cache, "a"));
        var c = await GetAsync(cache, "c");
        Assert.True(c!.MayContain("c"));
        Assert.Equal(2, cache.Count);
        Assert.Equal(3, cache.Loads);

        // "b" was evicted: it is read again
        Assert.True((await GetAsync(cache, "b"))!.MayContain("b"));
        Assert.Equal(4, cache.Loads);
    }

    [Fact]
    public async Task GetOrLoadAsync_OneFilterLargerThanTheCapacity_IsStillAnswered()
    {
        var cache = new BloomFilterCache(1, _store);
        await PutAsync("big", "k");
        await PutAsync("next", "n");
        var filter = await GetAsync(cache, "big");
        Assert.True(filter!.MayContain("k"));
        await GetAsync(cache, "next");
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public async Task GetOrLoadAsync_MissingObject_NullAndNotCached()
    {
        var cache = new BloomFilterCache(SizeOfOne() * 4, _store);
        Assert.Null(await GetAsync(cache, "late"));
        Assert.Equal(0, cache.Count);

        // written afterwards (a segment sealed before filters were objects writes it on activation): found
        await PutAsync("late", "pin-9");
        Assert.True((await GetAsync(cache, "late"))!.MayContain("pin-9"));
    }

    [Fact]
    public async Task GetOrLoadAsync_CorruptObject_Null()
    {
        var cache = new BloomFilterCache(SizeOfOne() * 4, _store);
        await _store.PutAsync("segments/bad/bloom.tbf", new byte[40], TestContext.Current.CancellationToken);
        Assert.Null(await GetAsync(cache, "bad"));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Capacity_MustBePositive()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new BloomFilterCache(0, _store));
}
