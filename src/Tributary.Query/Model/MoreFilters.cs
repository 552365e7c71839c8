namespace Tributary.Query;

/// <summary><c>{"type":"true"}</c>: matches every row.</summary>
public sealed class TrueFilter : Filter
{
    /// <summary>The filter (it has no state).</summary>
    public static readonly TrueFilter Instance = new();

    /// <inheritdoc />
    public override IEnumerable<string> Dimensions => [];

    /// <inheritdoc />
    public override bool Evaluate(Func<string, string?> valueOf) => true;
}

/// <summary><c>{"type":"false"}</c>: matches no row.</summary>
public sealed class FalseFilter : Filter
{
    /// <summary>The filter (it has no state).</summary>
    public static readonly FalseFilter Instance = new();

    /// <inheritdoc />
    public override IEnumerable<string> Dimensions => [];

    /// <inheritdoc />
    public override bool Evaluate(Func<string, string?> valueOf) => false;
}

/// <summary>
/// <c>{"type":"interval","dimension":"__time","intervals":[..]}</c>: the value, read as epoch milliseconds, lies in one
/// of the (condensed, half-open) intervals. On <c>__time</c> the segment engine answers from its time index.
/// </summary>
public sealed class IntervalFilter(string dimension, IReadOnlyList<Interval> intervals) : DimensionFilter(dimension)
{
    /// <summary>The intervals, condensed.</summary>
    public IReadOnlyList<Interval> Intervals { get; } = intervals;

    /// <inheritdoc />
    public override bool Matches(string? value)
    {
        if (value is null || !long.TryParse(value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var millis))
        {
            return false;
        }

        foreach (var interval in Intervals)
        {
            if (interval.Contains(millis))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>The value type a <see cref="RangeFilter"/> compares in (Druid's <c>matchValueType</c>).</summary>
public enum RangeMatchType
{
    /// <summary><c>STRING</c>: lexicographic (UTF-8 byte) order.</summary>
    String,

    /// <summary><c>LONG</c>: values read as numbers; values that are not numbers never match.</summary>
    Long,

    /// <summary><c>DOUBLE</c> or <c>FLOAT</c>: as <see cref="Long"/>.</summary>
    Double,
}

/// <summary>
/// Druid 28's <c>{"type":"range","column":c,"matchValueType":t,"lower":..,"upper":..,"lowerOpen":..,"upperOpen":..}</c>.
/// Null never matches; with a numeric match type, values that do not parse as numbers never match (Druid casts them
/// to null).
/// </summary>
public sealed class RangeFilter : DimensionFilter
{
    private readonly double _lowerNumber;
    private readonly double _upperNumber;

    /// <summary>Creates a range; numeric bounds must parse as numbers (the parser checks and names the field).</summary>
    public RangeFilter(string column, RangeMatchType matchValueType, string? lower, string? upper, bool lowerOpen, bool upperOpen)
        : base(column)
    {
        MatchValueType = matchValueType;
        Lower = lower;
        Upper = upper;
        LowerOpen = lowerOpen;
        UpperOpen = upperOpen;
        if (matchValueType != RangeMatchType.String)
        {
            _lowerNumber = lower is null ? double.NegativeInfinity : Number(lower);
            _upperNumber = upper is null ? double.PositiveInfinity : Number(upper);
        }
    }

    /// <summary>The comparison type.</summary>
    public RangeMatchType MatchValueType { get; }

    /// <summary>The lower bound, if any.</summary>
    public string? Lower { get; }

    /// <summary>The upper bound, if any.</summary>
    public string? Upper { get; }

    /// <summary>True if the lower bound is exclusive.</summary>
    public bool LowerOpen { get; }

    /// <summary>True if the upper bound is exclusive.</summary>
    public bool UpperOpen { get; }

    /// <inheritdoc />
    public override bool Matches(string? value)
    {
        if (value is null)
        {
            return false;
        }

        if (MatchValueType == RangeMatchType.String)
        {
            if (Lower is not null && StringComparers.CompareLexicographic(value, Lower) is var lc && (lc < 0 || (lc == 0 && LowerOpen)))
            {
                return false;
            }

            return Upper is null || !(StringComparers.CompareLexicographic(value, Upper) is var uc && (uc > 0 || (uc == 0 && UpperOpen)));
        }

        if (!StringComparers.TryParseNumber(value, out var d))
        {
            return false;
        }

        if (MatchValueType == RangeMatchType.Long)
        {
            // Druid casts the column to LONG first, truncating
            d = Math.Truncate(d);
        }

        return (LowerOpen ? d > _lowerNumber : d >= _lowerNumber) && (UpperOpen ? d < _upperNumber : d <= _upperNumber);
    }

    private static double Number(string text) =>
        StringComparers.TryParseNumber(text, out var d) ? d : throw new ArgumentException($"'{text}' is not a number", nameof(text));
}

/// <summary><c>{"type":"search","dimension":d,"query":{..}}</c>: the value matches a <see cref="SearchQuerySpec"/>.</summary>
public sealed class SearchFilter(string dimension, SearchQuerySpec query) : DimensionFilter(dimension)
{
    /// <summary>The search spec.</summary>
    public SearchQuerySpec Query { get; } = query;

    /// <inheritdoc />
    public override bool Matches(string? value) => Query.Accepts(value);
}

/// <summary>
/// Druid's search query spec, used by the <c>search</c> filter and the <c>search</c> query: <c>contains</c>
/// (<c>value</c>, <c>caseSensitive</c> default false), <c>insensitive_contains</c> (<c>value</c>), <c>fragment</c>
/// (<c>values</c>, all contained; <c>caseSensitive</c> default false) and <c>regex</c> (<c>pattern</c>, found
/// anywhere). Null values never match.
/// </summary>
public abstract record SearchQuerySpec
{
    /// <summary>True if <paramref name="value"/> matches.</summary>
    public abstract bool Accepts(string? value);
}

/// <summary><c>contains</c> and <c>insensitive_contains</c>.</summary>
public sealed record ContainsSearchQuerySpec(string Value, bool CaseSensitive) : SearchQuerySpec
{
    private readonly string _lower = Value.ToLowerInvariant();

    /// <inheritdoc />
    public override bool Accepts(string? value) => value is not null && (CaseSensitive
        ? value.Contains(Value, StringComparison.Ordinal)
        : value.ToLowerInvariant().Contains(_lower, StringComparison.Ordinal));
}

/// <summary><c>fragment</c>: every fragment is contained.</summary>
public sealed record FragmentSearchQuerySpec(IReadOnlyList<string> Values, bool CaseSensitive) : SearchQuerySpec
{
    private readonly string[] _lower = [.. Values.Select(v => v.ToLowerInvariant())];

    /// <inheritdoc />
    public override bool Accepts(string? value)
    {
        if (value is null)
        {
            return false;
        }

        var text = CaseSensitive ? value : value.ToLowerInvariant();
        var fragments = CaseSensitive ? Values : _lower;
        foreach (var fragment in fragments)
        {
            if (!text.Contains(fragment, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary><c>regex</c>: the pattern is found in the value (Java <c>find()</c>).</summary>
public sealed record RegexSearchQuerySpec : SearchQuerySpec
{
    private readonly System.Text.RegularExpressions.Regex _regex;

    /// <summary>Compiles <paramref name="pattern"/> (throws <see cref="ArgumentException"/> when it is invalid).</summary>
    public RegexSearchQuerySpec(string pattern)
    {
        Pattern = pattern;
        _regex = PatternFilter.Create(pattern);
    }

    /// <summary>The pattern as given.</summary>
    public string Pattern { get; }

    /// <inheritdoc />
    public override bool Accepts(string? value) => value is not null && _regex.IsMatch(value);
}
