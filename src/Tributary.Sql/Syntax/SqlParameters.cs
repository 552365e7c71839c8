using System.Globalization;
using System.Text.Json;

namespace Tributary.Sql;

/// <summary>
/// One typed dynamic parameter as Druid's SQL request sends it: <c>{"type":"VARCHAR","value":"x"}</c>. Values are
/// strings, longs, doubles, booleans or null.
/// </summary>
public sealed record SqlParameterValue(string Type, object? Value)
{
    /// <summary>Reads <c>{"type":..,"value":..}</c>; errors name <paramref name="path"/> (<c>parameters[0]</c>).</summary>
    public static SqlParameterValue FromJson(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new SqlValidationException($"{path}: a parameter must be an object {{\"type\":..,\"value\":..}}", null);
        }

        var type = element.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
            ? t.GetString()!.ToUpperInvariant()
            : throw new SqlValidationException($"{path}.type: is required (VARCHAR, BIGINT, DOUBLE, BOOLEAN, TIMESTAMP, ...)", null);
        object? value = null;
        if (element.TryGetProperty("value", out var v))
        {
            value = v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Null => null,
                JsonValueKind.Number when v.TryGetInt64(out var l) => l,
                JsonValueKind.Number => v.GetDouble(),
                _ => throw new SqlValidationException($"{path}.value: must be a string, number, boolean or null", null),
            };
        }

        return new SqlParameterValue(type, value);
    }
}

/// <summary>Replaces the <c>?</c> parameters of a statement by literals of their bound values, by position.</summary>
public static class SqlParameterBinder
{
    /// <summary>Binds <paramref name="parameters"/> (in <c>?</c> order) into <paramref name="statement"/>.</summary>
    /// <exception cref="SqlValidationException">A parameter has no value, or a value does not fit its type.</exception>
    public static SqlStatement Bind(SqlStatement statement, IReadOnlyList<SqlParameterValue>? parameters)
    {
        parameters ??= [];
        if (statement.ParameterCount == 0)
        {
            return statement;
        }

        SqlExpr? Map(SqlExpr? e) => e is null ? null : SqlRewriter.Rewrite(e, x => x is SqlParameter p ? ToLiteral(p, parameters) : null);
        var q = statement.Query;
        var bound = q with
        {
            Items = q.Items.Select(i => i.IsStar ? i : i with { Expression = Map(i.Expression) }).ToList(),
            Where = Map(q.Where),
            GroupBy = q.GroupBy.Select(g => Map(g)!).ToList(),
            Having = Map(q.Having),
            OrderBy = q.OrderBy.Select(o => o with { Expression = Map(o.Expression)! }).ToList(),
            Limit = Map(q.Limit),
            Offset = Map(q.Offset),
        };
        return statement with { Query = bound, ParameterCount = 0 };
    }

    private static SqlLiteral ToLiteral(SqlParameter p, IReadOnlyList<SqlParameterValue> parameters)
    {
        if (p.Index >= parameters.Count)
        {
            throw new SqlValidationException($"No value bound for parameter (position [{p.Index + 1}])", p.Position);
        }

        var value = parameters[p.Index];
        SqlLiteral Lit(SqlLiteralKind kind, object? v) => new(kind, v) { Position = p.Position };
        SqlValidationException Bad() => new($"Parameter (position [{p.Index + 1}]) of type {value.Type} has the value '{value.Value}', which is not a {value.Type}", p.Position);
        if (value.Value is null)
        {
            return Lit(SqlLiteralKind.Null, null);
        }

        switch (value.Type)
        {
            case "VARCHAR" or "CHAR" or "STRING":
                return Lit(SqlLiteralKind.String, Convert.ToString(value.Value, CultureInfo.InvariantCulture));
            case "BIGINT" or "INTEGER" or "SMALLINT" or "TINYINT" or "LONG":
                return value.Value switch
                {
                    long l => Lit(SqlLiteralKind.Integer, l),
                    double d when d == Math.Floor(d) && Math.Abs(d) < 9.2e18 => Lit(SqlLiteralKind.Integer, (long)d),
                    string s when long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => Lit(SqlLiteralKind.Integer, l),
                    _ => throw Bad(),
                };
            case "DOUBLE" or "FLOAT" or "REAL" or "DECIMAL" or "NUMERIC":
                return value.Value switch
                {
                    long l => Lit(SqlLiteralKind.Decimal, (double)l),
                    double d => Lit(SqlLiteralKind.Decimal, d),
                    string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => Lit(SqlLiteralKind.Decimal, d),
                    _ => throw Bad(),
                };
            case "BOOLEAN":
                return value.Value switch
                {
                    bool b => Lit(SqlLiteralKind.Boolean, b),
                    string s when bool.TryParse(s, out var b) => Lit(SqlLiteralKind.Boolean, b),
                    _ => throw Bad(),
                };
            case "TIMESTAMP" or "DATE":
                return value.Value switch
                {
                    long l => Lit(value.Type == "DATE" ? SqlLiteralKind.Date : SqlLiteralKind.Timestamp, l),
                    string s when SqlParser.TryParseTime(s, out var ms) => Lit(value.Type == "DATE" ? SqlLiteralKind.Date : SqlLiteralKind.Timestamp, ms),
                    _ => throw Bad(),
                };
            default:
                throw new SqlValidationException($"Parameter (position [{p.Index + 1}]) has the unsupported type '{value.Type}' (use VARCHAR, BIGINT, DOUBLE, BOOLEAN, TIMESTAMP or DATE)", p.Position);
        }
    }
}

/// <summary>Rebuilds expression trees.</summary>
public static class SqlRewriter
{
    /// <summary>
    /// Rewrites <paramref name="expr"/> top-down: where <paramref name="replace"/> returns a node it is used as is,
    /// otherwise the node is rebuilt from its rewritten children.
    /// </summary>
    public static SqlExpr Rewrite(SqlExpr expr, Func<SqlExpr, SqlExpr?> replace)
    {
        if (replace(expr) is { } r)
        {
            return r;
        }

        SqlExpr R(SqlExpr e) => Rewrite(e, replace);
        SqlExpr? RN(SqlExpr? e) => e is null ? null : Rewrite(e, replace);
        return expr switch
        {
            SqlUnary u => u with { Operand = R(u.Operand) },
            SqlBinary b => b with { Left = R(b.Left), Right = R(b.Right) },
            SqlIn i => i with { Value = R(i.Value), List = i.List.Select(R).ToList() },
            SqlBetween bt => bt with { Value = R(bt.Value), Low = R(bt.Low), High = R(bt.High) },
            SqlLike l => l with { Value = R(l.Value), Pattern = R(l.Pattern), Escape = RN(l.Escape) },
            SqlIsNull n => n with { Value = R(n.Value) },
            SqlFunctionCall f => f with { Arguments = f.Arguments.Select(R).ToList(), Filter = RN(f.Filter) },
            SqlCase c => c with { Operand = RN(c.Operand), Whens = c.Whens.Select(w => new SqlWhen(R(w.When), R(w.Then))).ToList(), Else = RN(c.Else) },
            SqlCast c => c with { Value = R(c.Value) },
            SqlFloorTo f => f with { Value = R(f.Value) },
            _ => expr,
        };
    }

    /// <summary>Every node of <paramref name="expr"/>, parents before children.</summary>
    public static IEnumerable<SqlExpr> Descendants(SqlExpr expr)
    {
        yield return expr;
        IEnumerable<SqlExpr> children = expr switch
        {
            SqlUnary u => [u.Operand],
            SqlBinary b => [b.Left, b.Right],
            SqlIn i => [i.Value, .. i.List],
            SqlBetween bt => [bt.Value, bt.Low, bt.High],
            SqlLike l => l.Escape is null ? [l.Value, l.Pattern] : [l.Value, l.Pattern, l.Escape],
            SqlIsNull n => [n.Value],
            SqlFunctionCall f => f.Filter is null ? f.Arguments : [.. f.Arguments, f.Filter],
            SqlCase c => [.. c.Operand is null ? [] : new[] { c.Operand }, .. c.Whens.SelectMany(w => new[] { w.When, w.Then }), .. c.Else is null ? [] : new[] { c.Else }],
            SqlCast c => [c.Value],
            SqlFloorTo f => [f.Value],
            _ => [],
        };
        foreach (var child in children)
        {
            foreach (var d in Descendants(child))
            {
                yield return d;
            }
        }
    }
}
