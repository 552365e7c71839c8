using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;

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

    [Fact]
    public void TryParseEventTime_AnyInstant_MatchesDateTimeOffset()
    {
        var gen = from ms in Gen.Choose(0, int.MaxValue)
                  from days in Gen.Choose(-20_000, 30_000)
                  from offset in Gen.Choose(-14 * 4, 14 * 4)
                  from digits in Gen.Choose(0, 7)
                  select (ms, days, offset, digits);
        Prop.ForAll(gen.ToArbitrary(), input =>
        {
            var utc = DateTimeOffset.UnixEpoch.AddDays(input.days).AddMilliseconds(input.ms % 86_400_000);
            var local = utc.ToOffset(TimeSpan.FromMinutes(input.offset * 15));
            var fraction = input.digits == 0 ? "" : "." + new string('f', input.digits);
            var text = local.ToString($"yyyy-MM-dd'T'HH:mm:ss{fraction}zzz", CultureInfo.InvariantCulture);
            Assert.True(IsoTime.TryParseEventTime(Encoding.ASCII.GetBytes(text), out var parsed), text);
            var expected = DateTimeOffset.Parse(text, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
            Assert.Equal(expected, parsed);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    [Theory]
    [InlineData("2026-11-23T10:00:01.123Z", 1795428001123)]
    [InlineData("2026-11-23 10:00:01Z", 1795428001000)]
    [InlineData("2026-11-23T12:00:01+02:00", 1795428001000)]
    public void TryParseEventTime_KnownText_Value(string text, long expected)
    {
        Assert.True(IsoTime.TryParseEventTime(Encoding.ASCII.GetBytes(text), out var ms));
        Assert.Equal(expected, ms);
    }

    [Theory]
    [InlineData("2026-13-23T10:00:01Z")]
    [InlineData("2026-02-30T10:00:01Z")]
    [InlineData("2026-11-23T10:00:01.Z")]
    [InlineData("2026-11-23T10:00")]
    [InlineData("yesterday")]
    [InlineData("2026-11-23T10:00:01Zjunk")]
    public void TryParseEventTime_Malformed_False(string text) => Assert.False(IsoTime.TryParseEventTime(Encoding.ASCII.GetBytes(text), out _));
}
