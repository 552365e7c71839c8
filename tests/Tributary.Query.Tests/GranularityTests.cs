namespace Tributary.Query.Tests;

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
