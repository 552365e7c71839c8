using System.Globalization;
using System.Text;

namespace Tributary.Query;

/// <summary>
/// A Joda-Time <c>DateTimeFormat</c> pattern (Druid's <c>timeFormat</c> extraction), compiled once and applied to a
/// wall-clock time with its offset. Supported letters: <c>G</c> era, <c>C</c> century, <c>y</c>/<c>Y</c> year
/// (<c>yy</c> two digits), <c>x</c> ISO week-year, <c>w</c> ISO week, <c>e</c> ISO day of week (1 = Monday), <c>E</c>
/// day name (<c>EEE</c> short, <c>EEEE</c> full), <c>D</c> day of year, <c>M</c> month (<c>MMM</c> short name,
/// <c>MMMM</c> full), <c>d</c> day, <c>a</c> AM/PM, <c>K</c> hour 0-11, <c>h</c> hour 1-12, <c>H</c> hour 0-23,
/// <c>k</c> hour 1-24, <c>m</c> minute, <c>s</c> second, <c>S</c> fraction of the second, <c>Z</c> offset
/// (<c>Z</c> +0100, <c>ZZ</c> +01:00, both +0000 / +00:00 in UTC as Joda prints them; <c>ZZZ</c> the zone id), <c>z</c> the zone id; <c>'text'</c> literals and
/// <c>''</c> a quote; other non-letters are literal. Names are English (the build runs with invariant globalization).
/// </summary>
public sealed class JodaFormat
{
    private static readonly DateTimeFormatInfo Names = CultureInfo.InvariantCulture.DateTimeFormat;
    private readonly List<(char Letter, int Count, string? Literal)> _tokens;

    private bool _zeroOffsetAsZ;

    private JodaFormat(string pattern, List<(char, int, string?)> tokens)
    {
        Pattern = pattern;
        _tokens = tokens;
    }

    /// <summary>Joda's <c>ISODateTimeFormat.dateTime()</c>: <c>2026-11-23T10:00:00.000Z</c>, or the offset (<c>+01:00</c>) outside UTC.</summary>
    public static JodaFormat IsoDateTime { get; } = CreateIso();

    /// <summary>The pattern as given.</summary>
    public string Pattern { get; }

    /// <summary>Compiles <paramref name="pattern"/>; throws <see cref="FormatException"/> naming the position of a bad letter or quote.</summary>
    public static JodaFormat Parse(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var tokens = new List<(char, int, string?)>();
        var literal = new StringBuilder();
        for (var i = 0; i < pattern.Length;)
        {
            var c = pattern[i];
            if (c == '\'')
            {
                if (i + 1 < pattern.Length && pattern[i + 1] == '\'')
                {
                    literal.Append('\'');
                    i += 2;
                    continue;
                }

                var end = i + 1;
                while (true)
                {
                    if (end >= pattern.Length)
                    {
                        throw new FormatException($"unterminated quote at position {i}");
                    }

                    if (pattern[end] == '\'')
                    {
                        if (end + 1 < pattern.Length && pattern[end + 1] == '\'')
                        {
                            literal.Append('\'');
                            end += 2;
                            continue;
                        }

                        break;
                    }

                    literal.Append(pattern[end++]);
                }

                i = end + 1;
                continue;
            }

            if (char.IsAsciiLetter(c))
            {
                if ("GCYyxweEDMdaKhHkmsSZz".IndexOf(c, StringComparison.Ordinal) < 0)
                {
                    throw new FormatException($"illegal pattern letter '{c}' at position {i}");
                }

                if (literal.Length > 0)
                {
                    tokens.Add(('\0', 0, literal.ToString()));
                    literal.Clear();
                }

                var count = 1;
                while (i + count < pattern.Length && pattern[i + count] == c)
                {
                    count++;
                }

                tokens.Add((c, count, null));
                i += count;
                continue;
            }

            literal.Append(c);
            i++;
        }

        if (literal.Length > 0)
        {
            tokens.Add(('\0', 0, literal.ToString()));
        }

        return new JodaFormat(pattern, tokens);
    }

    /// <summary>Formats the wall-clock time <paramref name="time"/> (its offset is the zone's at that instant).</summary>
    public string Format(DateTimeOffset time, string? zoneId = null)
    {
        var sb = new StringBuilder(Pattern.Length + 8);
        var t = time.DateTime;
        foreach (var (letter, count, text) in _tokens)
        {
            switch (letter)
            {
                case '\0':
                    sb.Append(text);
                    break;
                case 'G':
                    sb.Append(t.Year > 0 ? "AD" : "BC");
                    break;
                case 'C':
                    Number(sb, t.Year / 100, count);
                    break;
                case 'y' or 'Y':
                    Number(sb, count == 2 ? t.Year % 100 : t.Year, count);
                    break;
                case 'x':
                    Number(sb, count == 2 ? ISOWeek.GetYear(t) % 100 : ISOWeek.GetYear(t), count);
                    break;
                case 'w':
                    Number(sb, ISOWeek.GetWeekOfYear(t), count);
                    break;
                case 'e':
                    Number(sb, t.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)t.DayOfWeek, count);
                    break;
                case 'E':
                    sb.Append(count >= 4 ? Names.GetDayName(t.DayOfWeek) : Names.GetAbbreviatedDayName(t.DayOfWeek));
                    break;
                case 'D':
                    Number(sb, t.DayOfYear, count);
                    break;
                case 'M':
                    if (count >= 4)
                    {
                        sb.Append(Names.GetMonthName(t.Month));
                    }
                    else if (count == 3)
                    {
                        sb.Append(Names.GetAbbreviatedMonthName(t.Month));
                    }
                    else
                    {
                        Number(sb, t.Month, count);
                    }

                    break;
                case 'd':
                    Number(sb, t.Day, count);
                    break;
                case 'a':
                    sb.Append(t.Hour < 12 ? "AM" : "PM");
                    break;
                case 'K':
                    Number(sb, t.Hour % 12, count);
                    break;
                case 'h':
                    Number(sb, t.Hour % 12 == 0 ? 12 : t.Hour % 12, count);
                    break;
                case 'H':
                    Number(sb, t.Hour, count);
                    break;
                case 'k':
                    Number(sb, t.Hour == 0 ? 24 : t.Hour, count);
                    break;
                case 'm':
                    Number(sb, t.Minute, count);
                    break;
                case 's':
                    Number(sb, t.Second, count);
                    break;
                case 'S':
                {
                    // Joda prints the fraction truncated to the letters' count (milliseconds, then zeros)
                    var ms = t.Millisecond.ToString("D3", CultureInfo.InvariantCulture);
                    sb.Append(count <= 3 ? ms[..count] : ms.PadRight(count, '0'));
                    break;
                }

                case 'Z' when count >= 3:
                case 'z':
                    sb.Append(zoneId ?? Offset(time.Offset, true));
                    break;
                case 'Z':
                    sb.Append(time.Offset == TimeSpan.Zero && _zeroOffsetAsZ ? "Z" : Offset(time.Offset, count == 2));
                    break;
            }
        }

        return sb.ToString();
    }

    private static JodaFormat CreateIso()
    {
        var iso = Parse("yyyy-MM-dd'T'HH:mm:ss.SSSZZ");
        iso._zeroOffsetAsZ = true;
        return iso;
    }

    private static void Number(StringBuilder sb, int value, int count)
    {
        if (value < 0)
        {
            sb.Append('-');
            value = -value;
        }

        sb.Append(value.ToString(CultureInfo.InvariantCulture).PadLeft(count, '0'));
    }

    private static string Offset(TimeSpan offset, bool colon)
    {
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        var abs = offset.Duration();
        return colon
            ? string.Create(CultureInfo.InvariantCulture, $"{sign}{abs.Hours:D2}:{abs.Minutes:D2}")
            : string.Create(CultureInfo.InvariantCulture, $"{sign}{abs.Hours:D2}{abs.Minutes:D2}");
    }
}
