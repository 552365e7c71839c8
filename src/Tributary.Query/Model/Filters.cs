using System.Text;
using System.Text.RegularExpressions;

namespace Tributary.Query;

/// <summary>
/// A Druid filter. Leaf filters are <see cref="DimensionFilter"/>s, which test one dimension's value and so can be
/// evaluated once per dictionary entry by a bitmap engine; <see cref="AndFilter"/>, <see cref="OrFilter"/> and
/// <see cref="NotFilter"/> combine them.
/// </summary>
public abstract class Filter
{
    /// <summary>Evaluates the filter against a row whose dimension values (as strings, null if missing) come from <paramref name="valueOf"/>.</summary>
    public abstract bool Evaluate(Func<string, string?> valueOf);

    /// <summary>Every dimension the filter reads.</summary>
    public abstract IEnumerable<string> Dimensions { get; }
}

/// <summary>A filter on a single dimension's value.</summary>
public abstract class DimensionFilter : Filter
{
    /// <summary>Creates a filter on <paramref name="dimension"/>.</summary>
    protected DimensionFilter(string dimension) => Dimension = dimension;

    /// <summary>The dimension tested.</summary>
    public string Dimension { get; }

    /// <inheritdoc />
    public override IEnumerable<string> Dimensions => [Dimension];

    /// <summary>
    /// The filter's <c>extractionFn</c>, if any: Druid applies it to the column's value and tests the result, so
    /// <see cref="Matches"/> sees extracted values and <see cref="Accepts"/> takes column values.
    /// </summary>
    public ExtractionFn? ExtractionFn { get; private set; }

    /// <summary>True if a row whose <see cref="Dimension"/> is <paramref name="value"/> (null when missing), after the extraction function if any, matches.</summary>
    public abstract bool Matches(string? value);

    /// <summary>True if a row whose column holds <paramref name="columnValue"/> matches: <see cref="ExtractionFn"/> first, then <see cref="Matches"/>.</summary>
    public bool Accepts(string? columnValue) => Matches(ExtractionFn is null ? columnValue : ExtractionFn.Apply(columnValue));

    /// <summary>A copy of this filter that applies <paramref name="extractionFn"/> before testing.</summary>
    public DimensionFilter WithExtractionFn(ExtractionFn? extractionFn)
    {
        var copy = (DimensionFilter)MemberwiseClone();
        copy.ExtractionFn = extractionFn;
        return copy;
    }

    /// <inheritdoc />
    public override bool Evaluate(Func<string, string?> valueOf) => Accepts(valueOf(Dimension));
}

/// <summary><c>{"type":"selector","dimension":d,"value":v}</c>: equality; a null value matches missing values.</summary>
public sealed class SelectorFilter(string dimension, string? value) : DimensionFilter(dimension)
{
    /// <summary>The value to match (null matches rows without the dimension).</summary>
    public string? Value { get; } = value;

    /// <inheritdoc />
    public override bool Matches(string? value) => string.Equals(value, Value, StringComparison.Ordinal);
}

/// <summary><c>{"type":"in","dimension":d,"values":[...]}</c>: membership; a null among the values matches missing values.</summary>
public sealed class InFilter : DimensionFilter
{
    private readonly HashSet<string> _set;

    /// <summary>Creates an in filter.</summary>
    public InFilter(string dimension, IReadOnlyList<string?> values)
        : base(dimension)
    {
        Values = values;
        _set = new HashSet<string>(values.OfType<string>(), StringComparer.Ordinal);
        MatchesNull = values.Any(v => v is null);
    }

    /// <summary>The values to match, as given.</summary>
    public IReadOnlyList<string?> Values { get; }

    /// <summary>True if null was among the values.</summary>
    public bool MatchesNull { get; }

    /// <inheritdoc />
    public override bool Matches(string? value) => value is null ? MatchesNull : _set.Contains(value);
}

/// <summary>
/// <c>{"type":"bound","dimension":d,"lower":..,"upper":..,"lowerStrict":..,"upperStrict":..,"ordering":..}</c>:
/// a range under a <see cref="StringOrdering"/>. Null values never match (SQL-compatible null handling).
/// </summary>
public sealed class BoundFilter(string dimension, string? lower, string? upper, bool lowerStrict, bool upperStrict, StringOrdering ordering)
    : DimensionFilter(dimension)
{
    /// <summary>The lower bound, if any.</summary>
    public string? Lower { get; } = lower;

    /// <summary>The upper bound, if any.</summary>
    public string? Upper { get; } = upper;

    /// <summary>True if the lower bound is exclusive.</summary>
    public bool LowerStrict { get; } = lowerStrict;

    /// <summary>True if the upper bound is exclusive.</summary>
    public bool UpperStrict { get; } = upperStrict;

    /// <summary>The ordering the bounds are compared under.</summary>
    public StringOrdering Ordering { get; } = ordering;

    /// <inheritdoc />
    public override bool Matches(string? value)
    {
        if (value is null)
        {
            return false;
        }

        if (Lower is not null)
        {
            var c = StringComparers.Compare(value, Lower, Ordering);
            if (c < 0 || (c == 0 && LowerStrict))
            {
                return false;
            }
        }

        if (Upper is not null)
        {
            var c = StringComparers.Compare(value, Upper, Ordering);
            if (c > 0 || (c == 0 && UpperStrict))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// A regular expression test on one dimension; the base of <see cref="LikeFilter"/> and <see cref="RegexFilter"/>.
/// Patterns run on .NET's non-backtracking engine when they can (linear time, so a hostile pattern cannot stall a
/// segment), otherwise on the backtracking engine with a match timeout.
/// </summary>
public abstract class PatternFilter : DimensionFilter
{
    private readonly Regex _regex;

    /// <summary>Compiles <paramref name="regex"/> for <paramref name="dimension"/>.</summary>
    protected PatternFilter(string dimension, string regex)
        : base(dimension)
    {
        _regex = Create(regex);
    }

    /// <inheritdoc />
    public override bool Matches(string? value) => value is not null && _regex.IsMatch(value);

    internal static Regex Create(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
        }
        catch (NotSupportedException)
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        }
    }
}

/// <summary><c>{"type":"regex","dimension":d,"pattern":p}</c>: matches if the pattern is found anywhere in the value (Java <c>find()</c>).</summary>
public sealed class RegexFilter(string dimension, string pattern) : PatternFilter(dimension, pattern)
{
    /// <summary>The pattern as given.</summary>
    public string Pattern { get; } = pattern;
}

/// <summary>
/// <c>{"type":"like","dimension":d,"pattern":p,"escape":e}</c>: SQL LIKE over the whole value, <c>%</c> any run,
/// <c>_</c> one character, <c>escape</c> making the next character literal.
/// </summary>
public sealed class LikeFilter(string dimension, string pattern, char? escape) : PatternFilter(dimension, ToRegex(pattern, escape))
{
    /// <summary>The LIKE pattern as given.</summary>
    public string Pattern { get; } = pattern;

    /// <summary>The escape character, if any.</summary>
    public char? Escape { get; } = escape;

    /// <summary>Translates a LIKE pattern to an anchored regular expression.</summary>
    public static string ToRegex(string pattern, char? escape)
    {
        var sb = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (escape is { } e && c == e)
            {
                if (i + 1 < pattern.Length)
                {
                    i++;
                    sb.Append(Regex.Escape(pattern[i].ToString()));
                }
                else
                {
                    sb.Append(Regex.Escape(c.ToString()));
                }
            }
            else if (c == '%')
            {
                sb.Append("[\\s\\S]*");
            }
            else if (c == '_')
            {
                sb.Append("[\\s\\S]");
            }
            else
            {
                sb.Append(Regex.Escape(c.ToString()));
            }
        }

        return sb.Append("\\z").ToString();
    }
}

/// <summary><c>{"type":"and","fields":[...]}</c>.</summary>
public sealed class AndFilter(IReadOnlyList<Filter> fields) : Filter
{
    /// <summary>The filters that must all match.</summary>
    public IReadOnlyList<Filter> Fields { get; } = fields;

    /// <inheritdoc />
    public override IEnumerable<string> Dimensions => Fields.SelectMany(f => f.Dimensions);

    /// <inheritdoc />
    public override bool Evaluate(Func<string, string?> valueOf)
    {
        foreach (var f in Fields)
        {
            if (!f.Evaluate(valueOf))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary><c>{"type":"or","fields":[...]}</c>.</summary>
public sealed class OrFilter(IReadOnlyList<Filter> fields) : Filter
{
    /// <summary>The filters of which one must match.</summary>
    public IReadOnlyList<Filter> Fields { get; } = fields;

    /// <inheritdoc />
    public override IEnumerable<string> Dimensions => Fields.SelectMany(f => f.Dimensions);

    /// <inheritdoc />
    public override bool Evaluate(Func<string, string?> valueOf)
    {
        foreach (var f in Fields)
        {
            if (f.Evaluate(valueOf))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary><c>{"type":"not","field":...}</c>.</summary>
public sealed class NotFilter(Filter field) : Filter
{
    /// <summary>The negated filter.</summary>
    public Filter Field { get; } = field;

    /// <inheritdoc />
    public override IEnumerable<string> Dimensions => Field.Dimensions;

    /// <inheritdoc />
    public override bool Evaluate(Func<string, string?> valueOf) => !Field.Evaluate(valueOf);
}
