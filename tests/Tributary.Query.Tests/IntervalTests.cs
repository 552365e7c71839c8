namespace Tributary.Query.Tests;

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
