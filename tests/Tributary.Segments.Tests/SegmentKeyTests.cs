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
}
