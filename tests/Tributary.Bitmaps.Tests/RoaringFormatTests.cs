using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using Tributary.Bitmaps.Roaring;

namespace Tributary.Bitmaps.Tests;

public sealed class RoaringFormatTests
{
    [Fact]
    public void Deserialize_EveryTruncation_ThrowsNamingOffset()
    {
        using var bitmap = RoaringBitmap.FromValues([1, 2, 3, 70_000, 70_001, 200_000]);
        var bytes = bitmap.Serialize();
        for (var length = 0; length < bytes.Length; length++)
        {
            var error = Assert.Throws<RoaringFormatException>(() => RoaringBitmap.Deserialize(bytes.AsSpan(0, length)));
            Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Deserialize_UnknownCookie_Throws()
    {
        var error = Assert.Throws<RoaringFormatException>(() => RoaringBitmap.Deserialize("GET / HTTP/1.1"u8));
        Assert.Equal(0, error.Offset);
        Assert.Contains("cookie", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_UnsortedArrayContainer_ThrowsAtValueOffset()
    {
        using var bitmap = RoaringBitmap.FromValues([10, 20, 30]);
        var bytes = bitmap.Serialize();
        // no-run layout: cookie(4) count(4) header(4) offset(4) then values; swap 20 and 30
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(18), 30);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(20), 20);
        var error = Assert.Throws<RoaringFormatException>(() => RoaringBitmap.Deserialize(bytes));
        Assert.Equal(20, error.Offset);
    }

    [Fact]
    public void Deserialize_TrailingBytes_Throws()
    {
        using var bitmap = RoaringBitmap.FromValues([5]);
        var bytes = bitmap.Serialize().Concat(new byte[] { 0 }).ToArray();
        Assert.Throws<RoaringFormatException>(() => RoaringBitmap.Deserialize(bytes));
        using var prefix = RoaringBitmap.Deserialize(bytes, out var read);
        Assert.Equal(bytes.Length - 1, read);
        Assert.Equal([5u], prefix.ToArray());
    }

    [Fact]
    public void Deserialize_RandomCorruption_ThrowsFormatErrorOrYieldsValidBitmap()
    {
        var corrupt = from values in BitmapGen.Values
                      from seed in Gen.Choose(0, int.MaxValue)
                      select (values, seed);
        Prop.ForAll(corrupt.ToArbitrary(), input =>
        {
            using var bitmap = RoaringBitmap.FromValues(input.values);
            bitmap.RunOptimize();
            var bytes = bitmap.Serialize();
            var random = new Random(input.seed);
            for (var flip = 0; flip < 4; flip++)
            {
                bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
            }

            try
            {
                using var copy = RoaringBitmap.Deserialize(bytes);
                // accepted bytes must form a bitmap whose invariants hold: it round-trips and iterates ascending
                var array = copy.ToArray();
                Assert.Equal(array.Length, copy.Cardinality);
                Assert.True(array.Zip(array.Skip(1)).All(p => p.First < p.Second));
                using var again = RoaringBitmap.Deserialize(copy.Serialize());
                Assert.Equal(copy, again);
            }
            catch (RoaringFormatException)
            {
                // rejected with a located error: the expected outcome for most flips
            }
        }).Check(BitmapGen.Config.WithMaxTest(200));
    }
}
