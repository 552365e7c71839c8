namespace Tributary.Query.Tests;

public sealed class IsoTimeTests
{
    [Theory]
    [InlineData("2026-11-23T10:00:00.000Z", "2026-11-23T10:00:00.000Z")]
    [InlineData("2026-11-23", "2026-11-23T00:00:00.000Z")]
    [InlineData("2026-11-23T10", "2026-11-23T10:00:00.000Z")]
    [InlineData("2026-11-23T10:05Z", "2026-11-23T10:05:00.000Z")]
    [InlineData("2026-11-23T10:05:06.7+01:30", "2026-11-23T08:35:06.700Z")]
    [InlineData("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z")]
    [InlineData("-146136543-09-08T08:23:32.096Z", "-146136543-09-08T08:23:32.096Z")]
    [InlineData("146140482-04-24T15:36:27.903Z", "146140482-04-24T15:36:27.903Z")]
    public void Format_ParsedInstant_PrintsDruidStyle(string input, string expected)
    {
        Assert.True(IsoTime.TryParse(input, out var ms));
        Assert.Equal(expected, IsoTime.Format(ms));
    }

    [Fact]
    public void Format_EternityBounds_MatchDruid()
    {
        Assert.Equal("-146136543-09-08T08:23:32.096Z/146140482-04-24T15:36:27.903Z", Interval.Eternity.ToString());
    }

    [Theory]
    [InlineData("2026-02-30")]
    [InlineData("2026-11-23T25:00")]
    [InlineData("yesterday")]
    [InlineData("2026-11-23T10:00:00Zjunk")]
    public void TryParse_Invalid_ReturnsFalse(string input)
    {
        Assert.False(IsoTime.TryParse(input, out _));
    }

    [Fact]
    public void Format_RandomInstants_RoundTripAgainstDateTimeOffset()
    {
        var random = new Random(7);
        for (var i = 0; i < 10_000; i++)
        {
            var ms = random.NextInt64(-62135596800000L, 253402300799999L);
            var expected = DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(expected, IsoTime.Format(ms));
            Assert.True(IsoTime.TryParse(expected, out var back));
            Assert.Equal(ms, back);
        }
    }
}

public sealed class IntervalTests
{
    [Theory]
    [InlineData("2026-11-23T00:00Z/PT1H", "2026-11-23T00:00:00.000Z/2026-11-23T01:00:00.000Z")]
    [InlineData("P1D/2026-11-24", "2026-11-23T00:00:00.000Z/2026-11-24T00:00:00.000Z")]
    [InlineData("2026-01-31/P1M", "2026-01-31T00:00:00.000Z/2026-02-28T00:00:00.000Z")]
    [InlineData("2026-11-23T00:00Z/PT0.5S", "2026-11-23T00:00:00.000Z/2026-11-23T00:00:00.500Z")]
    public void Parse_PeriodForms_ComputeEnds(string input, string expected)
    {
        Assert.Equal(expected, Interval.Parse(input, "intervals[0]").ToString());
    }

    [Theory]
    [InlineData("2026-11-24/2026-11-23")]
    [InlineData("P1D/P1D")]
    [InlineData("2026-11-23")]
    [InlineData("2026-11-23/P")]
    public void Parse_Invalid_ThrowsWithPath(string input)
    {
        var ex = Assert.Throws<QueryValidationException>(() => Interval.Parse(input, "intervals[3]"));
        Assert.Equal("intervals[3]", ex.Path);
    }
}

public sealed class GranularityTests
{
    private static long T(string s) => IsoTime.Parse(s, "t");

    [Theory]
    [InlineData("minute", "2026-11-23T10:17:42.123Z", "2026-11-23T10:17:00.000Z", "2026-11-23T10:18:00.000Z")]
    [InlineData("five_minute", "2026-11-23T10:17:42Z", "2026-11-23T10:15:00.000Z", "2026-11-23T10:20:00.000Z")]
    [InlineData("fifteen_minute", "2026-11-23T10:17:42Z", "2026-11-23T10:15:00.000Z", "2026-11-23T10:30:00.000Z")]
    [InlineData("thirty_minute", "2026-11-23T10:47:42Z", "2026-11-23T10:30:00.000Z", "2026-11-23T11:00:00.000Z")]
    [InlineData("hour", "2026-11-23T10:47:42Z", "2026-11-23T10:00:00.000Z", "2026-11-23T11:00:00.000Z")]
    [InlineData("day", "2026-11-23T10:47:42Z", "2026-11-23T00:00:00.000Z", "2026-11-24T00:00:00.000Z")]
    [InlineData("week", "2026-11-26T10:47:42Z", "2026-11-23T00:00:00.000Z", "2026-11-30T00:00:00.000Z")]
    [InlineData("month", "2026-11-26T10:47:42Z", "2026-11-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z")]
    [InlineData("quarter", "2026-11-26T10:47:42Z", "2026-10-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z")]
    [InlineData("none", "2026-11-26T10:47:42.5Z", "2026-11-26T10:47:42.500Z", "2026-11-26T10:47:42.501Z")]
    public void Truncate_StandardGranularity_GivesBucket(string name, string t, string start, string next)
    {
        var g = Granularity.FromName(name)!;
        var b = g.Truncate(T(t));
        Assert.Equal(start, IsoTime.Format(b));
        Assert.Equal(next, IsoTime.Format(g.Next(b)));
    }

    [Fact]
    public void Truncate_PeriodWithTimeZone_AlignsToLocalMidnight()
    {
        var g = new PeriodGranularity(Period.Parse("P1D", "p"), TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles"), null);
        // 2026-11-23 is PST (UTC-8): local midnight is 08:00Z.
        Assert.Equal("2026-11-23T08:00:00.000Z", IsoTime.Format(g.Truncate(T("2026-11-24T07:59:00Z"))));
        // DST ends 2026-11-01: that local day is 25 hours long.
        var start = g.Truncate(T("2026-11-01T12:00Z"));
        Assert.Equal("2026-11-01T07:00:00.000Z", IsoTime.Format(start));
        Assert.Equal("2026-11-02T08:00:00.000Z", IsoTime.Format(g.Next(start)));
    }

    [Fact]
    public void Truncate_PeriodWithOrigin_CountsFromOrigin()
    {
        var g = new PeriodGranularity(Period.Parse("PT1H", "p"), null, T("2026-11-23T00:20Z"));
        Assert.Equal("2026-11-23T10:20:00.000Z", IsoTime.Format(g.Truncate(T("2026-11-23T11:19Z"))));
        Assert.Equal("2026-11-23T11:20:00.000Z", IsoTime.Format(g.Truncate(T("2026-11-23T11:20Z"))));
    }

    [Fact]
    public void Truncate_Duration_CountsFromOrigin()
    {
        var g = new DurationGranularity(7 * 60_000, T("2026-11-23T00:00Z"));
        Assert.Equal("2026-11-23T00:07:00.000Z", IsoTime.Format(g.Truncate(T("2026-11-23T00:13:59Z"))));
        Assert.Equal("2026-11-22T23:53:00.000Z", IsoTime.Format(g.Truncate(T("2026-11-22T23:59Z"))));
    }

    [Fact]
    public void Truncate_RandomInstants_BucketContainsInstant()
    {
        var random = new Random(11);
        string[] names = ["minute", "five_minute", "hour", "day", "week", "month", "year"];
        foreach (var name in names)
        {
            var g = Granularity.FromName(name)!;
            for (var i = 0; i < 2000; i++)
            {
                var t = random.NextInt64(-10_000_000_000_000L, 10_000_000_000_000L);
                var b = g.Truncate(t);
                Assert.True(b <= t && t < g.Next(b), $"{name} {t}");
                Assert.Equal(b, g.Truncate(b));
            }
        }
    }
}
