using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Tributary.Query;

/// <summary>
/// The time functions of the expression language, as Druid's: <c>timestamp_floor(t, period[, origin[, zone]])</c>,
/// <c>timestamp_format(t[, pattern[, zone]])</c> (Joda pattern, ISO-8601 by default) and
/// <c>timestamp_parse(s[, pattern[, zone]])</c> (ISO-8601 with <c>T</c> or a space by default; a time without an offset
/// is wall-clock time in the zone). Times are epoch milliseconds; zones are IANA ids or offsets (<c>+05:30</c>), UTC
/// by default. A null or unparseable argument gives null, as Druid's SQL-compatible mode.
/// </summary>
public static partial class TimeFunctions
{
    private static readonly ConcurrentDictionary<string, TimeZoneInfo?> Zones = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<(string Period, long? Origin, string? Zone), PeriodGranularity?> Floors = new();
    private static readonly ConcurrentDictionary<string, JodaFormat?> Formats = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string?> ParsePatterns = new(StringComparer.Ordinal);

    [GeneratedRegex(@"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}(?::\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?))?(Z|[+-]\d{2}(?::?\d{2})?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex IsoPattern();

    /// <summary>The zone of an IANA id or a fixed offset (<c>+05:30</c>, <c>-08:00</c>), or null when there is none of that name.</summary>
    public static TimeZoneInfo? FindZone(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return Zones.GetOrAdd(id, static name =>
        {
            if (name is "UTC" or "Z" or "Etc/UTC")
            {
                return TimeZoneInfo.Utc;
            }

            if (name.Length >= 3 && name[0] is '+' or '-' && IsoTime.TryParse("1970-01-01T00:00" + name, out var ms))
            {
                return TimeZoneInfo.CreateCustomTimeZone(name, TimeSpan.FromMilliseconds(-ms), name, name);
            }

            try
            {
                return TimeZoneInfo.FindSystemTimeZoneById(name);
            }
            catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                return null;
            }
        });
    }

    /// <summary>True if <c>timestamp_parse</c> can parse with the Joda pattern <paramref name="pattern"/> (letters y M d H m s S, literals).</summary>
    public static bool CanParseWith(string pattern) => DotNetPattern(pattern) is not null;

    /// <summary>
    /// <c>timestamp_parse(text, pattern, zone)</c>: the instant, or null when <paramref name="text"/> does not parse
    /// (ISO-8601 with <c>T</c> or a space when <paramref name="pattern"/> is null).
    /// </summary>
    public static long? ParseTime(string text, string? pattern, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        return Parse([text, pattern, zone.Id]) as long?;
    }

    /// <summary>The UTC instant of the wall-clock time <paramref name="wallMillis"/> (epoch milliseconds read as local time) in <paramref name="zone"/>.</summary>
    public static long WallToUtc(long wallMillis, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (zone == TimeZoneInfo.Utc || wallMillis < -62135510400000L || wallMillis > 253402214399000L)
        {
            return wallMillis;
        }

        var wall = new DateTime(DateTime.UnixEpoch.Ticks + (wallMillis * TimeSpan.TicksPerMillisecond), DateTimeKind.Unspecified);
        // a wall-clock time skipped by a DST jump has no offset of its own: take the one just before the jump
        var offset = zone.IsInvalidTime(wall) ? zone.GetUtcOffset(wall.AddHours(-3)) : zone.GetUtcOffset(wall);
        return wallMillis - (long)offset.TotalMilliseconds;
    }

    internal static object? Floor(object?[] values)
    {
        if (Expr.AsNumber(values[0]) is not { } t || Expr.AsString(values[1]) is not { } period)
        {
            return null;
        }

        long? origin = values.Length > 2 ? values[2] switch
        {
            null => null,
            string s when IsoTime.TryParse(s, out var o) => o,
            var v => Expr.AsNumber(v) is { } n ? Convert.ToInt64(n, CultureInfo.InvariantCulture) : null,
        } : null;
        var zone = values.Length > 3 ? Expr.AsString(values[3]) : null;
        var granularity = Floors.GetOrAdd((period, origin, zone), static key =>
        {
            if (!Period.TryParse(key.Period, out var p) || (p.HasCalendarFields && p.FixedMillis != 0))
            {
                return null;
            }

            var z = key.Zone is null ? TimeZoneInfo.Utc : FindZone(key.Zone);
            return z is null ? null : new PeriodGranularity(p, z, key.Origin);
        });
        var millis = t is long l ? l : (long)Math.Floor((double)t);
        return granularity?.Truncate(millis);
    }

    internal static object? Format(object?[] values)
    {
        if (Expr.AsNumber(values[0]) is not { } t)
        {
            return null;
        }

        var pattern = values.Length > 1 ? Expr.AsString(values[1]) : null;
        var zone = values.Length > 2 && Expr.AsString(values[2]) is { } id ? FindZone(id) : TimeZoneInfo.Utc;
        var format = pattern is null ? JodaFormat.IsoDateTime : Formats.GetOrAdd(pattern, static p =>
        {
            try
            {
                return JodaFormat.Parse(p);
            }
            catch (FormatException)
            {
                return null;
            }
        });
        if (zone is null || format is null)
        {
            return null;
        }

        var millis = t is long l ? l : (long)Math.Floor((double)t);
        if (millis < -62135596800000L || millis > 253402300799000L)
        {
            return null;
        }

        var local = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(millis), zone);
        return format.Format(local, zone.Id);
    }

    internal static object? Parse(object?[] values)
    {
        if (Expr.AsString(values[0]) is not { } text)
        {
            return null;
        }

        var pattern = values.Length > 1 ? Expr.AsString(values[1]) : null;
        var zone = values.Length > 2 && Expr.AsString(values[2]) is { } id ? FindZone(id) : TimeZoneInfo.Utc;
        if (zone is null)
        {
            return null;
        }

        if (pattern is null)
        {
            var m = IsoPattern().Match(text);
            if (!m.Success)
            {
                return null;
            }

            var iso = m.Groups[1].Value + (m.Groups[2].Success ? "T" + m.Groups[2].Value : string.Empty);
            if (!IsoTime.TryParse(iso + (m.Groups[3].Success ? m.Groups[3].Value : string.Empty), out var ms))
            {
                return null;
            }

            return m.Groups[3].Success ? ms : WallToUtc(ms, zone);
        }

        if (DotNetPattern(pattern) is not { } dotNet
            || !DateTime.TryParseExact(text, dotNet, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            return null;
        }

        var wall = (parsed.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;
        return WallToUtc(wall, zone);
    }

    // Joda parse patterns of the common letters as .NET exact-parse patterns; null for anything else
    private static string? DotNetPattern(string pattern) => ParsePatterns.GetOrAdd(pattern, static p =>
    {
        var sb = new StringBuilder();
        for (var i = 0; i < p.Length;)
        {
            var c = p[i];
            if (c == '\'')
            {
                var end = p.IndexOf('\'', i + 1);
                if (end < 0)
                {
                    return null;
                }

                var literal = end == i + 1 ? "'" : p[(i + 1)..end];
                foreach (var ch in literal)
                {
                    sb.Append('\\').Append(ch);
                }

                i = end + 1;
                continue;
            }

            if (!char.IsAsciiLetter(c))
            {
                sb.Append('\\').Append(c);
                i++;
                continue;
            }

            var n = 1;
            while (i + n < p.Length && p[i + n] == c)
            {
                n++;
            }

            var mapped = c switch
            {
                'y' or 'Y' when n is 2 or 4 => new string('y', n),
                'M' when n <= 2 => new string('M', n),
                'd' when n <= 2 => new string('d', n),
                'H' when n <= 2 => new string('H', n),
                'm' when n <= 2 => new string('m', n),
                's' when n <= 2 => new string('s', n),
                'S' when n <= 7 => new string('f', n),
                _ => null,
            };
            if (mapped is null)
            {
                return null;
            }

            sb.Append(mapped);
            i += n;
        }

        return sb.ToString();
    });
}
