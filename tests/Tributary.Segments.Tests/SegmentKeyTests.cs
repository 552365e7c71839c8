namespace Tributary.Segments.Tests;

public sealed class SegmentKeyTests
{
    [Fact]
    public void Format_ThenParse_RoundTrips()
    {
        var key = SegmentKey.Format("a/b", TestData.HourStart, 7);
        Assert.Equal("a/b/2026-11-23T10/7", key);
        Assert.Equal(("a/b", TestData.HourStart, 7), SegmentKey.Parse(key));
    }

    [Fact]
    public void Format_UnalignedHour_Throws()
        => Assert.Throws<ArgumentOutOfRangeException>(() => SegmentKey.Format("full", TestData.HourStart + 1, 0));

    [Fact]
    public void Parse_Malformed_ErrorNamesKey()
    {
        var error = Assert.Throws<FormatException>(() => SegmentKey.Parse("full/10/x"));
        Assert.Contains("'full/10/x'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SegmentIdToString_IsTheSegmentKey()
        => Assert.Equal(SegmentKey.Format("full", TestData.HourStart, 3), new SegmentId("full", TestData.HourStart, 3).ToString());

    [Fact]
    public void FormatVersioned_ThenParseVersioned_RoundTrips()
    {
        var key = SegmentKey.Format("a/b", TestData.HourStart, 7, 1_796_000_000_000);
        Assert.Equal("a/b/2026-11-23T10/7/v1796000000000", key);
        Assert.Equal(("a/b", TestData.HourStart, 7, 1_796_000_000_000L), SegmentKey.ParseVersioned(key));
        Assert.Equal("segments/a/b/2026-11-23T10/7/v1796000000000/segment.tseg", SegmentObjectKey.Sealed("segments", key));
    }

    [Fact]
    public void FormatVersioned_VersionZero_IsTheLiveKey()
    {
        var key = SegmentKey.Format("full", TestData.HourStart, 3, 0);
        Assert.Equal(SegmentKey.Format("full", TestData.HourStart, 3), key);
        Assert.Equal(("full", TestData.HourStart, 3, 0L), SegmentKey.ParseVersioned(key));
    }

    [Fact]
    public void Parse_VersionedKey_IsNotALiveKey()
        => Assert.False(SegmentKey.TryParse(SegmentKey.Format("full", TestData.HourStart, 3, 5), out _, out _, out _));

    [Theory]
    [InlineData("full/2026-11-23T10/3/v")]
    [InlineData("full/2026-11-23T10/3/v0")]
    [InlineData("full/2026-11-23T10/3/vx")]
    [InlineData("full/2026-11-23T10/v5")]
    public void ParseVersioned_Malformed_ErrorNamesKey(string key)
    {
        var error = Assert.Throws<FormatException>(() => SegmentKey.ParseVersioned(key));
        Assert.Contains($"'{key}'", error.Message, StringComparison.Ordinal);
    }
}
