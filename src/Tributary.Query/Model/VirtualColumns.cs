namespace Tributary.Query;

/// <summary>
/// <c>{"type":"expression","name":v,"expression":"upper(country)","outputType":"STRING"}</c>: a column computed per
/// row from an <see cref="Expr"/> over the row's columns (dimensions, metrics, <c>__time</c>, earlier or later virtual
/// columns, no cycles), usable wherever a column name is: grouping dimensions, filters, aggregator fields, scan columns.
/// </summary>
public sealed class VirtualColumn(string name, string expression, Expr parsed, DimensionOutputType? outputType)
{
    /// <summary>The column's name.</summary>
    public string Name { get; } = name;

    /// <summary>The expression as given.</summary>
    public string Expression { get; } = expression;

    /// <summary>The parsed expression.</summary>
    public Expr Parsed { get; } = parsed;

    /// <summary>The declared type (values are converted to it), or null to keep the expression's own type.</summary>
    public DimensionOutputType? OutputType { get; } = outputType;

    /// <summary>The value for a row whose columns <paramref name="valueOf"/> gives: a long, double, string or null.</summary>
    public object? Evaluate(Func<string, object?> valueOf)
    {
        var value = Parsed.Evaluate(valueOf);
        return OutputType switch
        {
            DimensionOutputType.Long => Expr.AsNumber(value) switch
            {
                long l => l,
                double d when !double.IsNaN(d) => (long)Math.Clamp(d, long.MinValue, long.MaxValue),
                _ => null,
            },
            DimensionOutputType.Double => Expr.AsDouble(value),
            DimensionOutputType.String => Expr.AsString(value),
            _ => value,
        };
    }

    /// <summary>
    /// A copy of <paramref name="row"/> with the values of <paramref name="columns"/> added (a virtual column of the
    /// same name as a stored one replaces it). Virtual columns may read each other; <see cref="Order"/> gives the order.
    /// </summary>
    public static Row Extend(Row row, IReadOnlyList<VirtualColumn> columns)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(columns);
        var values = new Dictionary<string, object?>(row.Columns, StringComparer.Ordinal);
        var extended = new Row(row.Timestamp, values);
        foreach (var column in columns)
        {
            values[column.Name] = column.Evaluate(extended.Get);
        }

        return extended;
    }

    /// <summary>
    /// <paramref name="columns"/> in an order where each comes after the virtual columns it reads; throws
    /// <see cref="ArgumentException"/> naming the column of a cycle.
    /// </summary>
    public static IReadOnlyList<VirtualColumn> Order(IReadOnlyList<VirtualColumn> columns)
    {
        var byName = columns.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: visiting, true: done
        var ordered = new List<VirtualColumn>(columns.Count);
        foreach (var column in columns)
        {
            Visit(column);
        }

        return ordered;

        void Visit(VirtualColumn column)
        {
            if (state.TryGetValue(column.Name, out var done))
            {
                if (!done)
                {
                    throw new ArgumentException($"virtual column '{column.Name}' depends on itself", nameof(columns));
                }

                return;
            }

            state[column.Name] = false;
            foreach (var input in column.Parsed.Identifiers)
            {
                if (byName.TryGetValue(input, out var dependency))
                {
                    Visit(dependency);
                }
            }

            state[column.Name] = true;
            ordered.Add(column);
        }
    }

    /// <summary>The stored columns <paramref name="columns"/> read, through virtual columns that read virtual columns.</summary>
    public static IEnumerable<string> Inputs(IReadOnlyList<VirtualColumn> columns)
    {
        var names = columns.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        return columns.SelectMany(c => c.Parsed.Identifiers).Where(n => !names.Contains(n)).Distinct(StringComparer.Ordinal);
    }
}
