using System.Globalization;
using System.Text.RegularExpressions;

namespace Tributary.Query;

/// <summary>
/// A Druid extraction function: maps a column's value (as its string form, null when missing) to another string or
/// null. Used by the <c>extraction</c> dimension spec, by filters' <c>extractionFn</c> (the function runs first, then
/// the filter) and by cardinality fields. Functions are pure, so a segment engine applies them once per distinct
/// dictionary value.
/// </summary>
public abstract class ExtractionFn
{
    /// <summary>The Druid <c>type</c>.</summary>
    public abstract string TypeName { get; }

    /// <summary>The extracted value of <paramref name="value"/> (null when missing).</summary>
    public abstract string? Apply(string? value);
}

/// <summary>
/// <c>{"type":"timeFormat","format":"yyyy-MM-dd","timeZone":"UTC","locale":"en","granularity":"day","asMillis":false}</c>:
/// reads the value as a time (an integer is epoch milliseconds, as <c>__time</c> and long columns hold them; other
/// text is an ISO-8601 instant), truncates it by <see cref="Granularity"/> when given, and formats it with a Joda
/// pattern (<see cref="JodaFormat"/>) in <see cref="TimeZone"/>; without a format, as ISO-8601 with the zone's offset.
/// A value that is no time gives null.
/// </summary>
public sealed class TimeFormatExtractionFn(JodaFormat? format, TimeZoneInfo timeZone, Granularity? granularity, bool asMillis) : ExtractionFn
{
    /// <summary>The pattern, or null for ISO-8601.</summary>
    public JodaFormat? Format { get; } = format;

    /// <summary>The zone the wall clock is formatted in.</summary>
    public TimeZoneInfo TimeZone { get; } = timeZone;

    /// <summary>The granularity the time is truncated by first, if any.</summary>
    public Granularity? Granularity { get; } = granularity;

    /// <summary>Druid's <c>asMillis</c> (integers are always read as milliseconds here).</summary>
    public bool AsMillis { get; } = asMillis;

    /// <inheritdoc />
    public override string TypeName => "timeFormat";

    /// <inheritdoc />
    public override string? Apply(string? value)
    {
        if (value is null)
        {
            return null;
        }

        if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var millis) && !IsoTime.TryParse(value, out millis))
        {
            return null;
        }

        return ApplyMillis(millis);
    }

    /// <summary>The formatted time of <paramref name="millis"/>.</summary>
    public string ApplyMillis(long millis)
    {
        if (Granularity is { IsAll: false } g)
        {
            millis = g.Truncate(millis);
        }

        var utc = DateTimeOffset.FromUnixTimeMilliseconds(millis);
        var local = TimeZoneInfo.ConvertTime(utc, TimeZone);
        return (Format ?? JodaFormat.IsoDateTime).Format(local, TimeZone.Id);
    }
}

/// <summary><c>{"type":"substring","index":i,"length":n}</c>: the substring from <c>index</c> (UTF-16 units, as Java); null when the value is shorter than <c>index + 1</c>.</summary>
public sealed class SubstringExtractionFn(int index, int? length) : ExtractionFn
{
    /// <summary>The start index.</summary>
    public int Index { get; } = index;

    /// <summary>The length, or null for the rest.</summary>
    public int? Length { get; } = length;

    /// <inheritdoc />
    public override string TypeName => "substring";

    /// <inheritdoc />
    public override string? Apply(string? value)
    {
        if (value is null || Index >= value.Length)
        {
            return null;
        }

        return Length is { } n ? value.Substring(Index, Math.Min(n, value.Length - Index)) : value[Index..];
    }
}

/// <summary>
/// <c>{"type":"regex","expr":e,"index":1,"replaceMissingValue":false,"replaceMissingValueWith":null}</c>: the
/// <c>index</c>-th group of the first match (0 = the whole match); without a match the value itself, or
/// <c>replaceMissingValueWith</c> when <c>replaceMissingValue</c>.
/// </summary>
public sealed class RegexExtractionFn : ExtractionFn
{
    private readonly Regex _regex;

    /// <summary>Compiles <paramref name="expr"/>; throws <see cref="ArgumentException"/> for a bad pattern or group index.</summary>
    public RegexExtractionFn(string expr, int index, bool replaceMissingValue, string? replaceMissingValueWith)
    {
        _regex = PatternFilter.Create(expr);
        var groups = _regex.GetGroupNumbers().Length - 1;
        if (index < 0 || index > groups)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"group {index} does not exist: the pattern has {groups} group(s)");
        }

        Expr = expr;
        Index = index;
        ReplaceMissingValue = replaceMissingValue;
        ReplaceMissingValueWith = replaceMissingValueWith;
    }

    /// <summary>The pattern.</summary>
    public string Expr { get; }

    /// <summary>The group returned.</summary>
    public int Index { get; }

    /// <summary>True to return <see cref="ReplaceMissingValueWith"/> when nothing matches.</summary>
    public bool ReplaceMissingValue { get; }

    /// <summary>The value when nothing matches (with <see cref="ReplaceMissingValue"/>).</summary>
    public string? ReplaceMissingValueWith { get; }

    /// <inheritdoc />
    public override string TypeName => "regex";

    /// <inheritdoc />
    public override string? Apply(string? value)
    {
        if (value is not null)
        {
            var match = _regex.Match(value);
            if (match.Success)
            {
                var group = match.Groups[Index];
                return group.Success ? group.Value : null;
            }
        }

        return ReplaceMissingValue ? ReplaceMissingValueWith : value;
    }
}

/// <summary><c>{"type":"strlen"}</c>: the length in UTF-16 units (as Java's <c>String.length</c>); null stays null.</summary>
public sealed class StrlenExtractionFn : ExtractionFn
{
    /// <inheritdoc />
    public override string TypeName => "strlen";

    /// <inheritdoc />
    public override string? Apply(string? value) => value?.Length.ToString(CultureInfo.InvariantCulture);
}

/// <summary><c>{"type":"upper"}</c> / <c>{"type":"lower"}</c> (<c>locale</c> accepted): invariant case mapping.</summary>
public sealed class CaseExtractionFn(bool upper, string? locale) : ExtractionFn
{
    /// <summary>True for upper, false for lower.</summary>
    public bool Upper { get; } = upper;

    /// <summary>The locale as given.</summary>
    public string? Locale { get; } = locale;

    /// <inheritdoc />
    public override string TypeName => Upper ? "upper" : "lower";

    /// <inheritdoc />
    public override string? Apply(string? value) => value is null ? null : Upper ? value.ToUpperInvariant() : value.ToLowerInvariant();
}

/// <summary>
/// <c>{"type":"lookup","lookup":{"type":"map","map":{..}},"retainMissingValue":false,"replaceMissingValueWith":null,"injective":false}</c>:
/// the mapped value; a value without a mapping (and null) gives itself when <c>retainMissingValue</c>, otherwise
/// <c>replaceMissingValueWith</c> (null by default).
/// </summary>
public sealed class LookupExtractionFn(IReadOnlyDictionary<string, string?> map, bool retainMissingValue, string? replaceMissingValueWith, bool injective) : ExtractionFn
{
    /// <summary>The map.</summary>
    public IReadOnlyDictionary<string, string?> Map { get; } = map;

    /// <summary>True to keep unmapped values.</summary>
    public bool RetainMissingValue { get; } = retainMissingValue;

    /// <summary>The value of unmapped values otherwise.</summary>
    public string? ReplaceMissingValueWith { get; } = replaceMissingValueWith;

    /// <summary>Druid's <c>injective</c> hint, kept.</summary>
    public bool Injective { get; } = injective;

    /// <inheritdoc />
    public override string TypeName => "lookup";

    /// <inheritdoc />
    public override string? Apply(string? value)
    {
        if (value is not null && Map.TryGetValue(value, out var mapped) && mapped is not null)
        {
            return mapped;
        }

        return RetainMissingValue ? value : ReplaceMissingValueWith;
    }
}

/// <summary><c>{"type":"bucket","size":1,"offset":0}</c>: a number to the start of its bucket, <c>floor((x - offset) / size) * size + offset</c>, printed as Java does; non-numbers give null.</summary>
public sealed class BucketExtractionFn(double size, double offset) : ExtractionFn
{
    /// <summary>The bucket size.</summary>
    public double Size { get; } = size;

    /// <summary>The bucket offset.</summary>
    public double Offset { get; } = offset;

    /// <inheritdoc />
    public override string TypeName => "bucket";

    /// <inheritdoc />
    public override string? Apply(string? value)
    {
        if (value is null || !StringComparers.TryParseNumber(value, out var x))
        {
            return null;
        }

        var bucket = (Math.Floor((x - Offset) / Size) * Size) + Offset;
        return bucket == Math.Truncate(bucket) && Math.Abs(bucket) < 9.2e18 ? ((long)bucket).ToString(CultureInfo.InvariantCulture) : StringComparers.FormatDouble(bucket);
    }
}

/// <summary><c>{"type":"cascade","extractionFns":[..]}</c>: the functions applied in order.</summary>
public sealed class CascadeExtractionFn(IReadOnlyList<ExtractionFn> functions) : ExtractionFn
{
    /// <summary>The functions, first applied first.</summary>
    public IReadOnlyList<ExtractionFn> Functions { get; } = functions;

    /// <inheritdoc />
    public override string TypeName => "cascade";

    /// <inheritdoc />
    public override string? Apply(string? value)
    {
        foreach (var fn in Functions)
        {
            value = fn.Apply(value);
        }

        return value;
    }
}

/// <summary><c>{"type":"identity"}</c>: the value itself.</summary>
public sealed class IdentityExtractionFn : ExtractionFn
{
    /// <inheritdoc />
    public override string TypeName => "identity";

    /// <inheritdoc />
    public override string? Apply(string? value) => value;
}

/// <summary><c>{"type":"partial","expr":e}</c>: the value when the pattern is found in it, otherwise null.</summary>
public sealed class PartialExtractionFn(string expr) : ExtractionFn
{
    private readonly Regex _regex = PatternFilter.Create(expr);

    /// <summary>The pattern.</summary>
    public string Expr { get; } = expr;

    /// <inheritdoc />
    public override string TypeName => "partial";

    /// <inheritdoc />
    public override string? Apply(string? value) => value is not null && _regex.IsMatch(value) ? value : null;
}
