namespace Tributary.Query;

/// <summary>A post-aggregation: computed from the merged, finalized aggregator values of a result row.</summary>
public abstract class PostAggregator(string name)
{
    /// <summary>The output name.</summary>
    public string Name { get; } = name;

    /// <summary>Aggregator or post-aggregator names this one reads.</summary>
    public abstract IEnumerable<string> DependsOn { get; }

    /// <summary>
    /// Computes the value. <paramref name="values"/> holds finalized aggregator values and earlier post-aggregator
    /// values by name; <paramref name="states"/> holds the aggregator states (for sketches).
    /// </summary>
    public abstract object? Compute(IReadOnlyDictionary<string, object?> values, IReadOnlyDictionary<string, IAggregatorState> states);

    internal static double? AsDouble(object? value)
    {
        return value switch
        {
            long l => l,
            double d => d,
            int i => i,
            float f => f,
            ICardinalitySketch s => s.Estimate(),
            _ => null,
        };
    }
}

/// <summary>Arithmetic functions of <see cref="ArithmeticPostAggregator"/>.</summary>
public enum ArithmeticFunction
{
    /// <summary><c>+</c>.</summary>
    Add,

    /// <summary><c>-</c>.</summary>
    Subtract,

    /// <summary><c>*</c>.</summary>
    Multiply,

    /// <summary><c>/</c>: division that yields 0 when dividing by 0, as Druid's.</summary>
    Divide,

    /// <summary><c>quotient</c>: IEEE division.</summary>
    Quotient,
}

/// <summary><c>{"type":"arithmetic","name":n,"fn":"+","fields":[...],"ordering":null|"numericFirst"}</c>; always a double (null if any input is null).</summary>
public sealed class ArithmeticPostAggregator(string name, ArithmeticFunction function, IReadOnlyList<PostAggregator> fields, string? ordering)
    : PostAggregator(name)
{
    /// <summary>The function.</summary>
    public ArithmeticFunction Function { get; } = function;

    /// <summary>The operands, left to right.</summary>
    public IReadOnlyList<PostAggregator> Fields { get; } = fields;

    /// <summary>Druid's ordering hint (<c>numericFirst</c>), accepted and kept.</summary>
    public string? Ordering { get; } = ordering;

    /// <inheritdoc />
    public override IEnumerable<string> DependsOn => Fields.SelectMany(f => f.DependsOn);

    /// <inheritdoc />
    public override object? Compute(IReadOnlyDictionary<string, object?> values, IReadOnlyDictionary<string, IAggregatorState> states)
    {
        double? acc = null;
        foreach (var field in Fields)
        {
            var v = AsDouble(field.Compute(values, states));
            if (v is null)
            {
                return null;
            }

            if (acc is null)
            {
                acc = v;
                continue;
            }

            acc = Function switch
            {
                ArithmeticFunction.Add => acc + v,
                ArithmeticFunction.Subtract => acc - v,
                ArithmeticFunction.Multiply => acc * v,
                ArithmeticFunction.Divide => v == 0 ? 0 : acc / v,
                _ => acc / v,
            };
        }

        return acc;
    }
}

/// <summary><c>{"type":"fieldAccess","name":n,"fieldName":f}</c> and <c>finalizingFieldAccess</c>: the finalized value of an aggregator or earlier post-aggregator.</summary>
public sealed class FieldAccessPostAggregator(string name, string fieldName, bool finalizing) : PostAggregator(name)
{
    /// <summary>The aggregator or post-aggregator read.</summary>
    public string FieldName { get; } = fieldName;

    /// <summary>True for <c>finalizingFieldAccess</c>.</summary>
    public bool Finalizing { get; } = finalizing;

    /// <inheritdoc />
    public override IEnumerable<string> DependsOn => [FieldName];

    /// <inheritdoc />
    public override object? Compute(IReadOnlyDictionary<string, object?> values, IReadOnlyDictionary<string, IAggregatorState> states)
    {
        return values.TryGetValue(FieldName, out var v) ? v : null;
    }
}

/// <summary><c>{"type":"constant","name":n,"value":v}</c>.</summary>
public sealed class ConstantPostAggregator(string name, object value) : PostAggregator(name)
{
    /// <summary>The constant (long or double, as written).</summary>
    public object Value { get; } = value;

    /// <inheritdoc />
    public override IEnumerable<string> DependsOn => [];

    /// <inheritdoc />
    public override object? Compute(IReadOnlyDictionary<string, object?> values, IReadOnlyDictionary<string, IAggregatorState> states) => Value;
}

/// <summary><c>{"type":"hyperUniqueCardinality","name":n,"fieldName":f}</c>: the estimate of a hyperUnique aggregator (always unrounded).</summary>
public sealed class HyperUniqueCardinalityPostAggregator(string name, string fieldName) : PostAggregator(name)
{
    /// <summary>The hyperUnique aggregator read.</summary>
    public string FieldName { get; } = fieldName;

    /// <inheritdoc />
    public override IEnumerable<string> DependsOn => [FieldName];

    /// <inheritdoc />
    public override object? Compute(IReadOnlyDictionary<string, object?> values, IReadOnlyDictionary<string, IAggregatorState> states)
    {
        return states.TryGetValue(FieldName, out var s) && s is HyperUniqueState h ? h.Sketch.Estimate() : null;
    }
}

/// <summary>
/// <c>{"type":"expression","name":n,"expression":"clicks / rows * 100","ordering":..,"outputType":..}</c>: an
/// <see cref="Expr"/> over the row's aggregator and earlier post-aggregator values (sketches as their estimates).
/// </summary>
public sealed class ExpressionPostAggregator(string name, string expression, Expr parsed, string? ordering) : PostAggregator(name)
{
    /// <summary>The expression as given.</summary>
    public string Expression { get; } = expression;

    /// <summary>The parsed expression.</summary>
    public Expr Parsed { get; } = parsed;

    /// <summary>Druid's <c>ordering</c>, kept.</summary>
    public string? Ordering { get; } = ordering;

    /// <inheritdoc />
    public override IEnumerable<string> DependsOn => Parsed.Identifiers;

    /// <inheritdoc />
    public override object? Compute(IReadOnlyDictionary<string, object?> values, IReadOnlyDictionary<string, IAggregatorState> states)
    {
        return Parsed.Evaluate(n => values.TryGetValue(n, out var v) ? v : null);
    }
}

/// <summary>
/// <c>doubleGreatest</c>, <c>doubleLeast</c>, <c>longGreatest</c>, <c>longLeast</c>: the greatest or least of the
/// fields' values, nulls ignored (null when every field is null); a double or, for the long ones, the value cut to a long.
/// </summary>
public sealed class ExtremumPostAggregator(string name, bool greatest, bool asLong, IReadOnlyList<PostAggregator> fields) : PostAggregator(name)
{
    /// <summary>True for greatest, false for least.</summary>
    public bool Greatest { get; } = greatest;

    /// <summary>True for the long variants.</summary>
    public bool AsLong { get; } = asLong;

    /// <summary>The operands.</summary>
    public IReadOnlyList<PostAggregator> Fields { get; } = fields;

    /// <inheritdoc />
    public override IEnumerable<string> DependsOn => Fields.SelectMany(f => f.DependsOn);

    /// <inheritdoc />
    public override object? Compute(IReadOnlyDictionary<string, object?> values, IReadOnlyDictionary<string, IAggregatorState> states)
    {
        double? best = null;
        foreach (var field in Fields)
        {
            if (AsDouble(field.Compute(values, states)) is { } v && (best is null || (Greatest ? v > best : v < best)))
            {
                best = v;
            }
        }

        return best is { } b ? (AsLong ? (object)(long)b : b) : null;
    }
}
