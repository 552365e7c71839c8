using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tributary.Enrich.Json;

namespace Tributary.Enrich.Filter;

/// <summary>A compiled predicate over an event's top-level fields.</summary>
internal abstract class FilterNode
{
    public abstract bool Matches(in EventView e);
}

/// <summary>The filter: drop rules compiled once, evaluated in order; the first that matches names the reason.</summary>
internal sealed class EventFilter
{
    private readonly FilterNode[] _rules;

    private EventFilter(string[] names, FilterNode[] rules)
    {
        RuleNames = names;
        _rules = rules;
    }

    /// <summary>The rule names, in evaluation order.</summary>
    public IReadOnlyList<string> RuleNames { get; }

    /// <summary>Compiles validated rules (see <see cref="EnrichOptionsValidator"/>).</summary>
    public static EventFilter Compile(IReadOnlyList<FilterRuleOptions> rules)
    {
        var names = new string[rules.Count];
        var nodes = new FilterNode[rules.Count];
        for (var i = 0; i < rules.Count; i++)
        {
            names[i] = rules[i].Name!;
            nodes[i] = CompileCondition(rules[i]);
        }

        return new EventFilter(names, nodes);
    }

    /// <summary>Index of the first rule that matches, or -1 when the event is kept.</summary>
    public int FirstMatch(in EventView e)
    {
        for (var i = 0; i < _rules.Length; i++)
        {
            if (_rules[i].Matches(e))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Compiles one condition; throws <see cref="ArgumentException"/> on a bad one (the validator reports those with their key first).</summary>
    public static FilterNode CompileCondition(FilterConditionOptions c)
    {
        var op = c.Op?.Trim().ToLowerInvariant();
        return op switch
        {
            "equals" => new InNode(new FieldRef(c.Field!), [c.Value!], negate: false),
            "in" => new InNode(new FieldRef(c.Field!), c.Values!, negate: false),
            "notin" => new InNode(new FieldRef(c.Field!), c.Values!, negate: true),
            "range" => new RangeNode(new FieldRef(c.Field!), c.Min, c.Max, c.MinExclusive, c.MaxExclusive),
            "regex" => new RegexNode(new FieldRef(c.Field!), CompileRegex(c.Pattern!, RegexOptions.None)),
            "exists" => new ExistsNode(new FieldRef(c.Field!)),
            "and" => new AndNode([.. c.Conditions!.Select(CompileCondition)]),
            "or" => new OrNode([.. c.Conditions!.Select(CompileCondition)]),
            "not" => new NotNode(CompileCondition(c.Condition!)),
            _ => throw new ArgumentException($"unknown operator '{c.Op}'", nameof(c)),
        };
    }

    /// <summary>The regex engine every configured pattern uses: non-backtracking (linear time, so no event can stall
    /// the pipeline), culture-invariant.</summary>
    public static Regex CompileRegex(string pattern, RegexOptions extra)
        => new(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | extra);
}

/// <summary>A field name in both forms the event view compares.</summary>
internal sealed class FieldRef(string name)
{
    public string Name { get; } = name;

    public byte[] Utf8 { get; } = Encoding.UTF8.GetBytes(name);
}

/// <summary><c>equals</c>, <c>in</c> and <c>notIn</c>: strings compare as text, numbers numerically, booleans as true/false.</summary>
internal sealed class InNode : FilterNode
{
    private readonly FieldRef _field;
    private readonly bool _negate;
    private readonly byte[][] _strings;
    private readonly string[] _texts;
    private readonly HashSet<long> _longs = [];
    private readonly HashSet<double> _doubles = [];
    private readonly bool _true;
    private readonly bool _false;

    public InNode(FieldRef field, IReadOnlyList<string> values, bool negate)
    {
        _field = field;
        _negate = negate;
        _texts = [.. values.Distinct(StringComparer.Ordinal)];
        _strings = [.. _texts.Select(Encoding.UTF8.GetBytes)];
        foreach (var v in _texts)
        {
            if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            {
                _longs.Add(l);
            }

            if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
            {
                _doubles.Add(d);
            }

            _true |= v == "true";
            _false |= v == "false";
        }
    }

    public override bool Matches(in EventView e) => Contains(e.Get(_field.Utf8, _field.Name)) != _negate;

    private bool Contains(FieldValue v)
    {
        switch (v.Kind)
        {
            case JsonTokenType.String:
                for (var i = 0; i < _strings.Length; i++)
                {
                    if (v.StringEquals(_strings[i], _texts[i]))
                    {
                        return true;
                    }
                }

                return false;
            case JsonTokenType.Number:
                if (v.TryGetInt64(out var l))
                {
                    return _longs.Contains(l) || _doubles.Contains(l);
                }

                return v.TryGetDouble(out var d) && _doubles.Contains(d);
            case JsonTokenType.True:
                return _true;
            case JsonTokenType.False:
                return _false;
            default:
                return false;
        }
    }
}

/// <summary><c>range</c>: numbers (or strings that parse as numbers) between the bounds.</summary>
internal sealed class RangeNode(FieldRef field, double? min, double? max, bool minExclusive, bool maxExclusive) : FilterNode
{
    public override bool Matches(in EventView e)
    {
        if (!e.Get(field.Utf8, field.Name).TryGetDouble(out var d))
        {
            return false;
        }

        if (min is { } lo && (minExclusive ? d <= lo : d < lo))
        {
            return false;
        }

        return max is not { } hi || (maxExclusive ? d < hi : d <= hi);
    }
}

/// <summary><c>regex</c>: a match anywhere in the text of a string, number or boolean (anchor with ^ and $).</summary>
internal sealed class RegexNode(FieldRef field, Regex regex) : FilterNode
{
    public override bool Matches(in EventView e)
    {
        var v = e.Get(field.Utf8, field.Name);
        Span<char> buffer = stackalloc char[256];
        if (!v.TryGetText(buffer, out var text, out var rented))
        {
            return false;
        }

        try
        {
            return regex.IsMatch(text);
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<char>.Shared.Return(rented);
            }
        }
    }
}

/// <summary><c>exists</c>: the field is present and not null.</summary>
internal sealed class ExistsNode(FieldRef field) : FilterNode
{
    public override bool Matches(in EventView e) => !e.Get(field.Utf8, field.Name).IsNullOrMissing;
}

internal sealed class AndNode(FilterNode[] operands) : FilterNode
{
    public override bool Matches(in EventView e)
    {
        foreach (var o in operands)
        {
            if (!o.Matches(e))
            {
                return false;
            }
        }

        return true;
    }
}

internal sealed class OrNode(FilterNode[] operands) : FilterNode
{
    public override bool Matches(in EventView e)
    {
        foreach (var o in operands)
        {
            if (o.Matches(e))
            {
                return true;
            }
        }

        return false;
    }
}

internal sealed class NotNode(FilterNode operand) : FilterNode
{
    public override bool Matches(in EventView e) => !operand.Matches(e);
}
