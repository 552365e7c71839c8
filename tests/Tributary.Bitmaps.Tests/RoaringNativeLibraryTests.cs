using Tributary.Bitmaps.Roaring;

namespace Tributary.Bitmaps.Tests;

/// <summary>Which CRoaring the process runs (Linux, from /proc/self/maps): the one in Roaring.Net's NuGet runtime folder, never a system library.</summary>
public sealed class RoaringNativeLibraryTests
{
    [Fact]
    public void RoaringBitmap_AfterUse_RunsTheCRoaringFromTheNuGetRuntimeFolder()
    {
        using var bitmap = RoaringBitmap.FromValues([1, 2, 3]);
        using (var iterator = bitmap.GetBatchIterator())
        {
            // the batch iterator binds its own stubs: they must resolve to the same library
            Assert.Equal(3, iterator.Read(new uint[4]));
        }

        var mapped = File.ReadLines("/proc/self/maps")
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length >= 6 && Path.GetFileName(fields[5]).StartsWith("libroaring", StringComparison.Ordinal))
            .Select(fields => fields[5])
            .Distinct()
            .ToList();

        var library = Assert.Single(mapped);
        Assert.StartsWith(Path.Combine(AppContext.BaseDirectory, "runtimes"), library, StringComparison.Ordinal);
        Assert.EndsWith(Path.Combine("native", "libroaring.so"), library, StringComparison.Ordinal);
    }
}
