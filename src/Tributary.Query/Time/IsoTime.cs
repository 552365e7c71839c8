using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Tributary.Query;

/// <summary>
/// ISO-8601 instants as UTC milliseconds since the epoch, parsed and printed the way Druid (Joda-Time) does:
/// <c>2026-11-23T10:00:00.000Z</c>. Works over Druid's whole instant range, including the bounds of
/// <see cref="Interval.Eternity"/> whose years do not fit <see cref="DateTime"/>.
/// </summary>
public static partial class IsoTime
{
    /// <summary>Druid's smallest instant (<c>JodaUtils.MIN_INSTANT</c>, printed <c>-146136543-09-08T08:23:32.096Z</c>).</summary>
    public const long MinInstant = long.MinValue / 2;

    /// <summary>Druid's largest instant (<c>JodaUtils.MAX_INSTANT</c>, printed <c>146140482-04-24T15:36:27.903Z</c>).</summary>
    public const long MaxInstant = long.MaxValue / 2;

    internal const long MillisPerSecond = 1000;
    internal const long MillisPerMinute = 60 * MillisPerSecond;
    internal const long MillisPerHour = 60 * MillisPerMinute;
    internal const long MillisPerDay = 24 * MillisPerHour;

    [GeneratedRegex(@"^([+-]?\d{4,9})(?:-(\d{2})(?:-(\d{2}))?)?(?:T(\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d{1,9}))?)?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex InstantPattern();

    /// <summary>Prints <paramref name="millis"/> as <c>yyyy-MM-ddTHH:mm:ss.fffZ</c> (UTC).</summary>
    public static string Format(long millis)
    {
        var days = FloorDiv(millis, MillisPerDay);
        var msOfDay = millis - (days * MillisPerDay);
        var (year, month, day) = CivilFromDays(days);
        var sb = new StringBuilder(24);
        if (year < 0)
        {
            sb.Append('-');
        }

        sb.Append(Math.Abs(year).ToString("D4", CultureInfo.InvariantCulture))
            .Append('-').Append(month.ToString("D2", CultureInfo.InvariantCulture))
            .Append('-').Append(day.ToString("D2", CultureInfo.InvariantCulture))
            .Append('T').Append((msOfDay / MillisPerHour).ToString("D2", CultureInfo.InvariantCulture))
            .Append(':').Append((msOfDay / MillisPerMinute % 60).ToString("D2", CultureInfo.InvariantCulture))
            .Append(':').Append((msOfDay / MillisPerSecond % 60).ToString("D2", CultureInfo.InvariantCulture))
            .Append('.').Append((msOfDay % 1000).ToString("D3", CultureInfo.InvariantCulture))
            .Append('Z');
        return sb.ToString();
    }

    /// <summary>
    /// Parses an ISO-8601 instant (<c>2026-11-23</c>, <c>2026-11-23T10</c>, <c>2026-11-23T10:00Z</c>,
    /// <c>2026-11-23T10:00:00.000+01:00</c>); a missing zone means UTC, as in Druid.
    /// </summary>
    public static bool TryParse(string text, out long millis)
    {
        millis = 0;
        var m = InstantPattern().Match(text);
        if (!m.Success)
        {
            return false;
        }

        var year = long.Parse(m.Groups[1].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var month = m.Groups[2].Success ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : 1;
        var day = m.Groups[3].Success ? int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : 1;
        var hour = m.Groups[4].Success ? int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture) : 0;
        var minute = m.Groups[5].Success ? int.Parse(m.Groups[5].Value, CultureInfo.InvariantCulture) : 0;
        var second = m.Groups[6].Success ? int.Parse(m.Groups[6].Value, CultureInfo.InvariantCulture) : 0;
        var fraction = m.Groups[7].Success ? m.Groups[7].Value : "0";
        if (month is < 1 or > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        var ms = int.Parse(fraction.Length >= 3 ? fraction[..3] : fraction.PadRight(3, '0'), CultureInfo.InvariantCulture);
        long offsetMillis = 0;
        if (m.Groups[8].Success && m.Groups[8].Value != "Z")
        {
            var zone = m.Groups[8].Value.Replace(":", string.Empty, StringComparison.Ordinal);
            var sign = zone[0] == '-' ? -1 : 1;
            var oh = int.Parse(zone.AsSpan(1, 2), CultureInfo.InvariantCulture);
            var om = zone.Length > 3 ? int.Parse(zone.AsSpan(3, 2), CultureInfo.InvariantCulture) : 0;
            if (oh > 23 || om > 59)
            {
                return false;
            }

            offsetMillis = sign * ((oh * MillisPerHour) + (om * MillisPerMinute));
        }

        try
        {
            millis = checked((DaysFromCivil(year, month, day) * MillisPerDay) + (hour * MillisPerHour) + (minute * MillisPerMinute) + (second * MillisPerSecond) + ms - offsetMillis);
        }
        catch (OverflowException)
        {
            return false;
        }

        return millis >= MinInstant && millis <= MaxInstant;
    }

    /// <summary>
    /// Parses an event timestamp from its UTF-8 bytes to Unix epoch milliseconds (UTC), without allocating: only the
    /// full shape <c>yyyy-MM-ddTHH:mm:ss[.f+][Z|±HH:mm]</c> (a space may stand for the <c>T</c>), years 0001 to 9999;
    /// false for any other shape. Unlike <see cref="TryParse(string, out long)"/> (query instants, Joda's shortened
    /// forms and Druid's whole range), this is the ingest hot path; callers fall back to a general parser.
    /// </summary>
    public static bool TryParseEventTime(ReadOnlySpan<byte> text, out long unixMs)
    {
        unixMs = 0;
        if (text.Length < 19 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != ' ') || text[13] != ':' || text[16] != ':')
        {
            return false;
        }

        if (!Digits(text, 0, 4, out var year) || !Digits(text, 5, 2, out var month) || !Digits(text, 8, 2, out var day)
            || !Digits(text, 11, 2, out var hour) || !Digits(text, 14, 2, out var minute) || !Digits(text, 17, 2, out var second))
        {
            return false;
        }

        if (month is < 1 or > 12 || day < 1 || day > DaysInMonth(Math.Max(year, 1), month) || hour > 23 || minute > 59 || second > 59 || year < 1)
        {
            return false;
        }

        var position = 19;
        var millis = 0;
        if (position < text.Length && text[position] == '.')
        {
            position++;
            var digits = 0;
            while (position < text.Length && (uint)(text[position] - '0') <= 9)
            {
                if (digits < 3)
                {
                    millis = (millis * 10) + (text[position] - '0');
                }

                digits++;
                position++;
            }

            if (digits == 0)
            {
                return false;
            }

            for (; digits < 3; digits++)
            {
                millis *= 10;
            }
        }

        var offsetMinutes = 0;
        if (position < text.Length)
        {
            var sign = text[position];
            if (sign == 'Z' && position == text.Length - 1)
            {
                position++;
            }
            else if ((sign == '+' || sign == '-') && text.Length - position == 6 && text[position + 3] == ':'
                && Digits(text, position + 1, 2, out var offsetHours) && Digits(text, position + 4, 2, out var offsetMins))
            {
                offsetMinutes = ((offsetHours * 60) + offsetMins) * (sign == '-' ? -1 : 1);
                position += 6;
            }
            else
            {
                return false;
            }
        }

        var days = DaysFromCivil(year, month, day);
        unixMs = (((((days * 24L) + hour) * 60) + minute - offsetMinutes) * 60 + second) * 1000 + millis;
        return true;
    }

    /// <summary>Parses an instant or throws a <see cref="QueryValidationException"/> naming <paramref name="path"/>.</summary>
    public static long Parse(string text, string path)
    {
        return TryParse(text, out var millis)
            ? millis
            : throw new QueryValidationException(path, $"'{text}' is not an ISO-8601 instant (e.g. 2026-11-23T10:00:00.000Z)");
    }

    internal static long FloorDiv(long a, long b)
    {
        var q = a / b;
        return (a % b != 0 && ((a < 0) ^ (b < 0))) ? q - 1 : q;
    }

    internal static int DaysInMonth(long year, int month)
    {
        return month switch
        {
            2 => IsLeap(year) ? 29 : 28,
            4 or 6 or 9 or 11 => 30,
            _ => 31,
        };
    }

    private static bool Digits(ReadOnlySpan<byte> text, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            var digit = (uint)(text[i] - '0');
            if (digit > 9)
            {
                return false;
            }

            value = (value * 10) + (int)digit;
        }

        return true;
    }

    private static bool IsLeap(long year) => (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    // Howard Hinnant's days_from_civil / civil_from_days: proleptic Gregorian over the whole long range.
    internal static long DaysFromCivil(long year, int month, int day)
    {
        year -= month <= 2 ? 1 : 0;
        var era = FloorDiv(year, 400);
        var yoe = year - (era * 400);
        var doy = ((153 * (month + (month > 2 ? -3 : 9))) + 2) / 5 + day - 1;
        var doe = (yoe * 365) + (yoe / 4) - (yoe / 100) + doy;
        return (era * 146097) + doe - 719468;
    }

    internal static (long Year, int Month, int Day) CivilFromDays(long days)
    {
        days += 719468;
        var era = FloorDiv(days, 146097);
        var doe = days - (era * 146097);
        var yoe = (doe - (doe / 1460) + (doe / 36524) - (doe / 146096)) / 365;
        var y = yoe + (era * 400);
        var doy = doe - ((365 * yoe) + (yoe / 4) - (yoe / 100));
        var mp = ((5 * doy) + 2) / 153;
        var d = (int)(doy - (((153 * mp) + 2) / 5) + 1);
        var mo = (int)(mp < 10 ? mp + 3 : mp - 9);
        return (mo <= 2 ? y + 1 : y, mo, d);
    }

    /// <summary>Adds calendar months to a (wall-clock) instant, clamping the day to the target month's length.</summary>
    internal static long AddMonths(long millis, long months)
    {
        if (months == 0)
        {
            return millis;
        }

        var days = FloorDiv(millis, MillisPerDay);
        var msOfDay = millis - (days * MillisPerDay);
        var (year, month, day) = CivilFromDays(days);
        var total = (year * 12) + (month - 1) + months;
        var newYear = FloorDiv(total, 12);
        var newMonth = (int)(total - (newYear * 12)) + 1;
        var newDay = Math.Min(day, DaysInMonth(newYear, newMonth));
        return (DaysFromCivil(newYear, newMonth, newDay) * MillisPerDay) + msOfDay;
    }

    /// <summary>Months since 1970-01 of a (wall-clock) instant.</summary>
    internal static long MonthIndex(long millis)
    {
        var (year, month, _) = CivilFromDays(FloorDiv(millis, MillisPerDay));
        return ((year - 1970) * 12) + (month - 1);
    }
}
