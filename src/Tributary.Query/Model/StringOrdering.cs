using System.Globalization;

namespace Tributary.Query;

/// <summary>The string orderings Druid's bound filter, limitSpec and topN dimension metric accept.</summary>
public enum StringOrdering
{
    /// <summary>By Unicode code point (the same as UTF-8 byte order), Druid's <c>lexicographic</c>.</summary>
    Lexicographic,

    /// <summary>Druid's <c>numeric</c>: numbers by value; non-numeric strings before numbers, among themselves lexicographic.</summary>
    Numeric,

    /// <summary>Druid's <c>strlen</c>: by length, then lexicographic.</summary>
    Strlen,
}

/// <summary>Comparisons and conversions shared by filters, sorting and the evaluators.</summary>
public static class StringComparers
{
    /// <summary>Compares two strings under <paramref name="ordering"/>; null sorts first.</summary>
    public static int Compare(string? a, string? b, StringOrdering ordering)
    {
        if (a is null || b is null)
        {
            return a is null ? (b is null ? 0 : -1) : 1;
        }

        switch (ordering)
        {
            case StringOrdering.Numeric:
                var an = TryParseNumber(a, out var av);
                var bn = TryParseNumber(b, out var bv);
                if (an && bn)
                {
                    var c = av.CompareTo(bv);
                    return c != 0 ? c : CompareLexicographic(a, b);
                }

                return an == bn ? CompareLexicographic(a, b) : (an ? 1 : -1);
            case StringOrdering.Strlen:
                var l = a.Length.CompareTo(b.Length);
                return l != 0 ? l : CompareLexicographic(a, b);
            default:
                return CompareLexicographic(a, b);
        }
    }

    /// <summary>Code-point order, which equals the UTF-8 byte order Druid uses.</summary>
    public static int CompareLexicographic(string a, string b)
    {
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            var ca = a[i];
            var cb = b[i];
            if (ca == cb)
            {
                continue;
            }

            // UTF-16 order differs from code-point order only when a surrogate meets a char above U+E000.
            if (char.IsSurrogate(ca) != char.IsSurrogate(cb))
            {
                return char.IsSurrogate(ca) ? 1 : -1;
            }

            return ca < cb ? -1 : 1;
        }

        return a.Length.CompareTo(b.Length);
    }

    /// <summary>Parses a number the way Druid's numeric comparator does (decimal, optional exponent).</summary>
    public static bool TryParseNumber(string text, out double value)
    {
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && !double.IsNaN(value);
    }

    /// <summary>The string form of a column value as string filters see it (longs and doubles as Java prints them).</summary>
    public static string? ToDimensionString(object? value)
    {
        return value switch
        {
            null => null,
            string s => s,
            long l => l.ToString(CultureInfo.InvariantCulture),
            int i => i.ToString(CultureInfo.InvariantCulture),
            double d => FormatDouble(d),
            float f => FormatDouble(f),
            _ => Convert.ToString(value, CultureInfo.InvariantCulture),
        };
    }

    /// <summary>Formats a double like Java's <c>Double.toString</c> for ordinary values (<c>1.0</c>, <c>2.5</c>).</summary>
    public static string FormatDouble(double d)
    {
        if (double.IsNaN(d))
        {
            return "NaN";
        }

        if (double.IsInfinity(d))
        {
            return d > 0 ? "Infinity" : "-Infinity";
        }

        var s = d.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.', StringComparison.Ordinal) || s.Contains('E', StringComparison.Ordinal) ? s : s + ".0";
    }
}
