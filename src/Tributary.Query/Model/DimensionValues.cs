using System.Globalization;

namespace Tributary.Query;

/// <summary>
/// A grouping dimension's value after its <see cref="DimensionSpec.OutputType"/> conversion, in the string form the
/// group keys hold. Druid converts before it groups, so <c>"7"</c>, <c>"07"</c> and <c>"7.0"</c> under outputType
/// LONG are one group <c>7</c>; the segment engine, the merger and the reference evaluator all key groups by this form.
/// </summary>
public static class DimensionValues
{
    /// <summary>
    /// The grouping form of <paramref name="value"/>: unchanged for STRING; for LONG the integer (a decimal is
    /// truncated, as Druid's cast) printed in invariant digits; for DOUBLE the number as Java prints it; null when the
    /// value is null or not a number.
    /// </summary>
    public static string? Canonical(DimensionOutputType type, string? value)
    {
        if (value is null || type == DimensionOutputType.String)
        {
            return value;
        }

        return type == DimensionOutputType.Long
            ? ToLong(value) is { } l ? l.ToString(CultureInfo.InvariantCulture) : null
            : StringComparers.TryParseNumber(value, out var d) ? StringComparers.FormatDouble(d) : null;
    }

    /// <summary>The value as the output type's object (string, long or double), null when it does not convert.</summary>
    public static object? Convert(DimensionOutputType type, string? value)
    {
        if (value is null || type == DimensionOutputType.String)
        {
            return value;
        }

        if (type == DimensionOutputType.Long)
        {
            return ToLong(value);
        }

        return StringComparers.TryParseNumber(value, out var d) ? d : null;
    }

    /// <summary>True when any of <paramref name="dimensions"/> converts its values (so raw values can share a group).</summary>
    public static bool AnyConverted(IReadOnlyList<DimensionSpec> dimensions)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        foreach (var d in dimensions)
        {
            if (d.OutputType != DimensionOutputType.String)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Every value of <paramref name="key"/> in its grouping form.</summary>
    public static GroupKey Canonical(IReadOnlyList<DimensionSpec> dimensions, GroupKey key)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(key);
        var values = new string?[key.Values.Count];
        var changed = false;
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = i < dimensions.Count ? Canonical(dimensions[i].OutputType, key.Values[i]) : key.Values[i];
            changed |= !string.Equals(values[i], key.Values[i], StringComparison.Ordinal);
        }

        return changed ? new GroupKey(values) : key;
    }

    private static long? ToLong(string value)
    {
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return l;
        }

        if (!StringComparers.TryParseNumber(value, out var d) || double.IsInfinity(d))
        {
            return null;
        }

        // Java's (long) cast saturates at the ends of the range
        return d >= long.MaxValue ? long.MaxValue : d <= long.MinValue ? long.MinValue : (long)d;
    }
}
