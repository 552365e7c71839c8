using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Tributary.Segments.Ingest;

namespace Tributary.Segments.Tests;

public sealed class IsoTimeTests
{
    [Fact]
    public void TryParse_AnyInstant_MatchesDateTimeOffset()
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
            Assert.True(IsoTime.TryParse(Encoding.ASCII.GetBytes(text), out var parsed), text);
            var expected = DateTimeOffset.Parse(text, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
            Assert.Equal(expected, parsed);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    [Theory]
    [InlineData("2026-11-23T10:00:01.123Z", 1795428001123)]
    [InlineData("2026-11-23 10:00:01Z", 1795428001000)]
    [InlineData("2026-11-23T12:00:01+02:00", 1795428001000)]
    public void TryParse_KnownText_Value(string text, long expected)
    {
        Assert.True(IsoTime.TryParse(Encoding.ASCII.GetBytes(text), out var ms));
        Assert.Equal(expected, ms);
    }

    [Theory]
    [InlineData("2026-13-23T10:00:01Z")]
    [InlineData("2026-02-30T10:00:01Z")]
    [InlineData("2026-11-23T10:00:01.Z")]
    [InlineData("2026-11-23T10:00")]
    [InlineData("yesterday")]
    [InlineData("2026-11-23T10:00:01Zjunk")]
    public void TryParse_Malformed_False(string text) => Assert.False(IsoTime.TryParse(Encoding.ASCII.GetBytes(text), out _));
}
