using System.Diagnostics;
using Tributary.Bitmaps.Roaring;

namespace Tributary.Bitmaps.Tests;

/// <summary>Runs alone: it reads the process-wide count of live native bitmaps and the process RSS.</summary>
[CollectionDefinition(nameof(RoaringLeakTests), DisableParallelization = true)]
public sealed class RoaringLeakCollection;

[Collection(nameof(RoaringLeakTests))]
public sealed class RoaringLeakTests
{
    [Fact]
    [Trait("Category", "Slow")]
    public void CreateAndDispose_ManyCycles_FreesEveryBitmapAndKeepsRssFlat()
    {
        var values = Enumerable.Range(0, 5000).Select(v => (uint)(v * 37)).ToArray();
        var live = RoaringBitmap.LiveNativeBitmaps;
        Cycle(values, 20_000); // warm the native allocator so its arenas are in place before measuring
        var rssBefore = Rss();
        Cycle(values, 200_000);
        var rssAfter = Rss();

        Assert.Equal(live, RoaringBitmap.LiveNativeBitmaps);
        // 200k cycles allocate ~10 GB in total; a leak of even one container per cycle would add > 100 MB.
        Assert.True(rssAfter - rssBefore < 64L << 20, $"RSS grew by {(rssAfter - rssBefore) >> 20} MB");
    }

    [Fact]
    public void Finalizer_UndisposedBitmaps_FreesNativeMemory()
    {
        var live = RoaringBitmap.LiveNativeBitmaps;
        Abandon(1000);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.Equal(live, RoaringBitmap.LiveNativeBitmaps);
    }

    [Fact]
    public void Finalizer_UndisposedIterators_FreesIteratorsAndBitmaps()
    {
        var live = RoaringBitmap.LiveNativeBitmaps;
        Abandon(1000, withIterator: true);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Equal(live, RoaringBitmap.LiveNativeBitmaps);
    }

    [Fact]
    public void Dispose_BitmapWithOpenIterator_IteratorKeepsReading()
    {
        var bitmap = RoaringBitmap.FromValues([1, 2, 3]);
        using var iterator = bitmap.GetBatchIterator();
        bitmap.Dispose();
        var buffer = new uint[4];
        Assert.Equal(3, iterator.Read(buffer));
        Assert.Equal([1u, 2u, 3u], buffer[..3]);
    }

    private static void Abandon(int count, bool withIterator = false)
    {
        for (var i = 0; i < count; i++)
        {
            var bitmap = RoaringBitmap.FromValues([(uint)i]);
            if (withIterator)
            {
                _ = bitmap.GetBatchIterator();
            }
        }
    }

    private static void Cycle(uint[] values, int cycles)
    {
        using var other = RoaringBitmap.FromValues([1, 2, 3, 74]);
        for (var i = 0; i < cycles; i++)
        {
            using var bitmap = RoaringBitmap.FromValues(values);
            using var and = bitmap.And(other);
            using var copy = RoaringBitmap.Deserialize(and.Serialize());
            using var iterator = copy.GetBatchIterator();
        }
    }

    private static long Rss()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }
}
