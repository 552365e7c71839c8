using System.Globalization;
using Tributary.Segments.Ingest;

namespace Tributary.Segments.Tests;

public sealed class SealedSegmentTests
{
    [Theory]
    [InlineData(21, 0)]
    [InlineData(22, 1)]
    [InlineData(23, 700)]
    [InlineData(24, 20000)]
    public void Seal_RandomEvents_AnswersLikeTheOpenSegment(int seed, int count)
    {
        var events = TestData.Events(seed, count);
        using var open = SegmentReference.Build(TestData.Full(), events);
        using var sealedSegment = open.Seal();
        Assert.True(sealedSegment.IsSealed);
        Assert.Equal(open.Id, sealedSegment.Id);
        SegmentReference.AssertMatches(sealedSegment, events);
    }

    [Fact]
    public void Seal_RollupOff_AnswersLikeReference()
    {
        var events = TestData.Events(25, 3000);
        using var open = SegmentReference.Build(TestData.Full(rollup: false, query: "none"), events);
        using var sealedSegment = open.Seal();
        SegmentReference.AssertMatches(sealedSegment, events);
    }

    [Fact]
    public async Task LoadAsync_SealedThroughStream_AnswersLikeReference()
    {
        var events = TestData.Events(26, 5000);
        using var open = SegmentReference.Build(TestData.Full(), events);
        var path = Path.Combine(Path.GetTempPath(), $"segment-{Guid.NewGuid():N}.tseg");
        try
        {
            await using (var file = File.Create(path))
            {
                Assert.Equal(open.SealTo(file), file.Length);
            }

            await using var read = File.OpenRead(path);
            using var loaded = await SealedSegment.LoadAsync(read, TestContext.Current.CancellationToken);
            SegmentReference.AssertMatches(loaded, events);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Seal_RowsSortedByTime_IntervalIsContiguous()
    {
        var events = TestData.Events(27, 4000);
        using var open = SegmentReference.Build(TestData.Full(), events);
        using var sealedSegment = open.Seal();
        var times = Enumerable.Range(0, sealedSegment.RowCount).Select(sealedSegment.GetTimestamp).ToList();
        Assert.Equal(times.Order(), times);
    }

    [Fact]
    public void BloomFilter_PartitionKeys_AllPresentFewFalsePositives()
    {
        var spec = TestData.PinEngagement();
        using var open = new OpenSegment(spec, new SegmentId(spec.Name, TestData.HourStart, 0));
        var parser = new RowParser(spec);
        var row = new ParsedRow(spec);
        for (var pin = 0; pin < 20_000; pin++)
        {
            Assert.True(open.TryAppend(TestData.PinEvent(TestData.HourStart + pin, 100_000_000_000L + (pin * 3L), pin), parser, row, out var error), error);
        }

        using var sealedSegment = open.Seal();
        var bloom = sealedSegment.BloomFilter;
        Assert.All(Enumerable.Range(0, 20_000), pin => Assert.True(bloom.MayContain((100_000_000_000L + (pin * 3L)).ToString(CultureInfo.InvariantCulture))));
        var falsePositives = Enumerable.Range(0, 20_000).Count(pin => bloom.MayContain((100_000_000_001L + (pin * 3L)).ToString(CultureInfo.InvariantCulture)));
        Assert.InRange(falsePositives, 0, 20_000 * 0.02);
        Assert.True(bloom.SizeInBytes * 8.0 / 20_000 <= 10.0);
    }

    [Fact]
    public void TryGetIdRange_RandomBounds_MatchesPredicate()
    {
        using var open = SegmentReference.Build(TestData.Full(), TestData.Events(30, 3000));
        Assert.False(open.GetDimension("key")!.TryGetIdRange("k1", false, "k5", false, out _, out _));
        using var sealedSegment = open.Seal();
        var random = new Random(30);
        string?[] stringBounds = [null, "", "k", "k1", "k15", "k2", "k29", "k3", "z"];
        string?[] longBounds = [null, "-4", "-3", "-1.5", "0", "2", "3", "3.5", "10"];
        for (var i = 0; i < 400; i++)
        {
            var isLong = i % 2 == 1;
            var dimension = sealedSegment.GetDimension(isLong ? "size" : "key")!;
            var bounds = isLong ? longBounds : stringBounds;
            var lower = bounds[random.Next(bounds.Length)];
            var upper = bounds[random.Next(bounds.Length)];
            bool lowerStrict = random.Next(2) == 0, upperStrict = random.Next(2) == 0;
            Assert.True(dimension.TryGetIdRange(lower, lowerStrict, upper, upperStrict, out var from, out var to));
            using var range = dimension.SelectIdRange(from, to);
            using var expected = dimension.Select(v => v is not null && InBound(v, lower, lowerStrict, upper, upperStrict, isLong));
            Assert.Equal(expected.ToArray(), range.ToArray());
        }
    }

    private static int Compare(string a, string b, bool numeric)
        => numeric ? double.Parse(a, CultureInfo.InvariantCulture).CompareTo(double.Parse(b, CultureInfo.InvariantCulture))
                   : System.Text.Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(System.Text.Encoding.UTF8.GetBytes(b));

    private static bool InBound(string value, string? lower, bool lowerStrict, string? upper, bool upperStrict, bool numeric)
        => (lower is null || (Compare(value, lower, numeric) is var l && (lowerStrict ? l > 0 : l >= 0)))
        && (upper is null || (Compare(value, upper, numeric) is var u && (upperStrict ? u < 0 : u <= 0)));

    [Fact]
    public void Load_CorruptBytes_ThrowsNamingTheProblem()
    {
        using var open = SegmentReference.Build(TestData.Full(), TestData.Events(28, 500));
        using var buffer = new MemoryStream();
        open.SealTo(buffer);
        var bytes = buffer.ToArray();

        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length / 2] ^= 0x10;
        Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => SealedSegment.Load(flipped)).Message, StringComparison.Ordinal);
        Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => SealedSegment.Load(bytes.AsMemory(0, bytes.Length - 100))).Message, StringComparison.Ordinal);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => SealedSegment.Load(bytes.AsMemory(0, 20))).Message, StringComparison.Ordinal);
        var badMagic = (byte[])bytes.Clone();
        badMagic[0] = (byte)'X';
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => SealedSegment.Load(badMagic)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetRows_ManyThreads_SameBitmapOnce()
    {
        using var open = SegmentReference.Build(TestData.Full(), TestData.Events(29, 3000));
        using var sealedSegment = open.Seal();
        var key = sealedSegment.GetDimension("key")!;
        var results = new Bitmaps.Roaring.RoaringBitmap[8][];
        Parallel.For(0, 8, t => results[t] = [.. Enumerable.Range(0, key.Cardinality).Select(key.GetRows)]);
        for (var t = 1; t < 8; t++)
        {
            Assert.Equal(results[0], results[t], ReferenceEqualityComparer.Instance);
        }
    }
}
