namespace Tributary.Segments.Ingest;

/// <summary>Allocation-free parser of the common ISO-8601 shapes: <c>yyyy-MM-ddTHH:mm:ss[.f+][Z|±HH:mm]</c>.</summary>
public static class IsoTime
{
    /// <summary>Parses <paramref name="text"/> to Unix epoch milliseconds (UTC); false for any other shape.</summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out long unixMs)
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

        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(year, 1), month) || hour > 23 || minute > 59 || second > 59 || year < 1)
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

        var days = new DateOnly(year, month, day).DayNumber - DateOnly.FromDayNumber(719162).DayNumber; // 719162 = 1970-01-01
        unixMs = (((((days * 24L) + hour) * 60) + minute - offsetMinutes) * 60 + second) * 1000 + millis;
        return true;
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
}
