namespace Tributary.Segments.Tests;

public sealed class SegmentObjectKeyTests
{
    [Fact]
    public void Sealed_IsUnderTheSegmentKey()
    {
        Assert.Equal("segments/full/2026-11-23T10/3/segment.tseg", SegmentObjectKey.Sealed("segments", new SegmentId("full", TestData.HourStart, 3)));
        Assert.Equal("p/full/2026-11-23T10/3/segment.tseg", SegmentObjectKey.Sealed("p", "full/2026-11-23T10/3"));
    }

    [Fact]
    public void Chunk_NamesOffsetsAndUniqueSuffix()
    {
        var unique = Guid.Parse("0123456789abcdef0123456789abcdef");
        Assert.Equal(
            "segments/full/2026-11-23T10/3/open/00000000000000000005-00000000000000000012-0123456789abcdef0123456789abcdef.events",
            SegmentObjectKey.Chunk("segments", "full/2026-11-23T10/3", 5, 12, unique));
    }
}
