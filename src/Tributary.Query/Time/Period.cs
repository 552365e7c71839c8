using System.Globalization;
using System.Text.RegularExpressions;

namespace Tributary.Query;

/// <summary>An ISO-8601 period (<c>P1D</c>, <c>PT5M</c>, <c>P1Y2M</c>, <c>PT0.5S</c>) as Druid accepts it.</summary>
public readonly partial record struct Period(int Years, int Months, int Weeks, int Days, int Hours, int Minutes, int Seconds, int Millis)
{
    [GeneratedRegex(@"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:[.,](\d{1,3}))?S)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex PeriodPattern();

    /// <summary>True if the period has calendar fields (years, months) whose length varies.</summary>
    public bool HasCalendarFields => Years != 0 || Months != 0;

    /// <summary>The length of the period's fixed fields (weeks and smaller) in milliseconds.</summary>
    public long FixedMillis =>
        (Weeks * 7 * IsoTime.MillisPerDay) + (Days * IsoTime.MillisPerDay) + (Hours * IsoTime.MillisPerHour)
        + (Minutes * IsoTime.MillisPerMinute) + (Seconds * IsoTime.MillisPerSecond) + Millis;

    /// <summary>Total calendar months (years times 12 plus months).</summary>
    public long TotalMonths => (Years * 12L) + Months;

    /// <summary>Parses an ISO-8601 period, or returns false.</summary>
    public static bool TryParse(string text, out Period period)
    {
        period = default;
        var m = PeriodPattern().Match(text);
        if (!m.Success || text == "P" || text.EndsWith('T'))
        {
            return false;
        }

        try
        {
            int Field(int group) => m.Groups[group].Success ? int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture) : 0;
            var fraction = m.Groups[8].Success ? int.Parse(m.Groups[8].Value.PadRight(3, '0'), CultureInfo.InvariantCulture) : 0;
            period = new Period(Field(1), Field(2), Field(3), Field(4), Field(5), Field(6), Field(7), fraction);
        }
        catch (OverflowException)
        {
            return false;
        }

        return period != default;
    }

    /// <summary>Parses a period or throws a <see cref="QueryValidationException"/> naming <paramref name="path"/>.</summary>
    public static Period Parse(string text, string path)
    {
        return TryParse(text, out var period)
            ? period
            : throw new QueryValidationException(path, $"'{text}' is not a non-zero ISO-8601 period (e.g. PT1H, P1D)");
    }

    /// <summary>Adds the period <paramref name="times"/> times to a wall-clock instant.</summary>
    internal long AddTo(long millis, long times = 1)
    {
        return checked(IsoTime.AddMonths(millis, TotalMonths * times) + (FixedMillis * times));
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var date = (Years != 0 ? $"{Years}Y" : string.Empty) + (Months != 0 ? $"{Months}M" : string.Empty)
            + (Weeks != 0 ? $"{Weeks}W" : string.Empty) + (Days != 0 ? $"{Days}D" : string.Empty);
        var seconds = Millis != 0 ? $"{Seconds}.{Millis:D3}S" : Seconds != 0 ? $"{Seconds}S" : string.Empty;
        var time = (Hours != 0 ? $"{Hours}H" : string.Empty) + (Minutes != 0 ? $"{Minutes}M" : string.Empty) + seconds;
        return "P" + date + (time.Length > 0 ? "T" + time : string.Empty);
    }
}
