using System.Globalization;
using Tributary.Query;

namespace Tributary.Sql;

/// <summary>A column-like operand of a condition: a native column (WHERE) or result field (HAVING) and its SQL type.</summary>
internal readonly record struct FilterOperand(string Name, SqlType Type);

/// <summary>
/// A condition folded to TRUE, FALSE or a native filter. Filters are two-valued, so SQL's three-valued logic is
/// kept by translating every condition twice: the rows where it is TRUE and the rows where it is FALSE (NOT of a
/// condition is TRUE exactly where the condition is FALSE; a row where it is UNKNOWN is in neither).
/// </summary>
internal readonly record struct Cond(bool? Constant, Filter? Filter)
{
    public static readonly Cond True = new(true, null);
    public static readonly Cond False = new(false, null);

    public static Cond Of(Filter f) => new(null, f);

    public static Cond And(IEnumerable<Cond> parts)
    {
        var filters = new List<Filter>();
        foreach (var p in parts)
        {
            if (p.Constant == false)
            {
                return False;
            }

            if (p.Filter is AndFilter a)
            {
                filters.AddRange(a.Fields);
            }
            else if (p.Filter is { } f)
            {
                filters.Add(f);
            }
        }

        return filters.Count switch { 0 => True, 1 => Of(filters[0]), _ => Of(new AndFilter(filters)) };
    }

    public static Cond Or(IEnumerable<Cond> parts)
    {
        var filters = new List<Filter>();
        foreach (var p in parts)
        {
            if (p.Constant == true)
            {
                return True;
            }

            if (p.Filter is OrFilter o)
            {
                filters.AddRange(o.Fields);
            }
            else if (p.Filter is { } f)
            {
                filters.Add(f);
            }
        }

        return filters.Count switch { 0 => False, 1 => Of(filters[0]), _ => Of(new OrFilter(filters)) };
    }
}

/// <summary>
/// Translates SQL conditions into native filters with SQL's null semantics (see <see cref="Cond"/>). Leaves are
/// comparisons, IN, BETWEEN, LIKE and IS NULL of one operand (a column, or an expression as a virtual column) against
/// constants; any other condition, such as a comparison of two columns or a CASE, is a virtual column of 1/0/null
/// (<paramref name="booleanOperand"/>) matched by a selector on 1 (TRUE) or 0 (FALSE). Without that, or where it gives
/// nothing, it raises <see cref="SqlPlanningException"/> naming the condition.
/// </summary>
internal sealed class SqlFilterBuilder(Func<SqlExpr, FilterOperand?> resolve, Func<SqlExpr, long?> foldTime, string clause, Func<SqlExpr, FilterOperand?>? booleanOperand = null)
{
    public Cond True(SqlExpr e) => Translate(e, true);

    private Cond Translate(SqlExpr e, bool wantTrue)
    {
        switch (e)
        {
            case SqlBinary { Operator: "AND" } b:
                return wantTrue ? Cond.And([Translate(b.Left, true), Translate(b.Right, true)]) : Cond.Or([Translate(b.Left, false), Translate(b.Right, false)]);
            case SqlBinary { Operator: "OR" } b:
                return wantTrue ? Cond.Or([Translate(b.Left, true), Translate(b.Right, true)]) : Cond.And([Translate(b.Left, false), Translate(b.Right, false)]);
            case SqlUnary { Operator: "NOT" } n:
                return Translate(n.Operand, !wantTrue);
            case SqlLiteral { Kind: SqlLiteralKind.Boolean, Value: bool v }:
                return v == wantTrue ? Cond.True : Cond.False;
            case SqlLiteral { Kind: SqlLiteralKind.Null }:
                return Cond.False;
            case SqlIsNull isNull:
            {
                var op = Operand(isNull.Value, isNull);
                var isNullFilter = IsNull(op);
                // IS [NOT] NULL is never UNKNOWN
                var matchesNull = isNull.Negated != wantTrue;
                return isNullFilter.Constant is { } c ? (c == matchesNull ? Cond.True : Cond.False)
                    : matchesNull ? isNullFilter : Cond.Of(new NotFilter(isNullFilter.Filter!));
            }

            case SqlBinary { Operator: "<>" } ne:
                return Translate(ne with { Operator = "=" }, !wantTrue);
            case SqlIn { Negated: true } i:
                return Translate(i with { Negated = false }, !wantTrue);
            case SqlBetween { Negated: true } bt:
                return Translate(bt with { Negated = false }, !wantTrue);
            case SqlLike { Negated: true } l:
                return Translate(l with { Negated = false }, !wantTrue);
            case SqlBinary { Operator: "=" or "<" or "<=" or ">" or ">=" } b when !IsConstant(b.Left) && !IsConstant(b.Right) && booleanOperand is not null:
                return Boolean(e, wantTrue);
            case SqlBetween bt when (!IsConstant(bt.Low) || !IsConstant(bt.High)) && booleanOperand is not null:
                return Boolean(e, wantTrue);
            case SqlIn i when i.List.Any(x => !IsConstant(x)) && booleanOperand is not null:
                return Boolean(e, wantTrue);
            case SqlLike l when l.Pattern is not SqlLiteral && booleanOperand is not null:
                throw Unsupported(e);
            case SqlBinary { Operator: "=" or "<" or "<=" or ">" or ">=" } or SqlIn or SqlBetween or SqlLike:
                return Leaf(e, wantTrue);
            default:
                return Boolean(e, wantTrue);
        }
    }

    private Cond Boolean(SqlExpr e, bool wantTrue) =>
        booleanOperand?.Invoke(e) is { } op ? Cond.Of(new SelectorFilter(op.Name, wantTrue ? "1" : "0")) : throw Unsupported(e);

    // A leaf is UNKNOWN exactly when its operand is null (constants are never null here), so FALSE = NOT TRUE AND NOT NULL.
    private Cond Leaf(SqlExpr e, bool wantTrue)
    {
        var (op, positive, alwaysUnknownWhenFalse) = PositiveLeaf(e);
        if (wantTrue)
        {
            return positive;
        }

        if (alwaysUnknownWhenFalse)
        {
            return Cond.False;
        }

        var notNull = IsNull(op) is { Constant: null, Filter: { } n } ? Cond.Of(new NotFilter(n)) : Cond.True;
        return positive.Constant switch
        {
            true => Cond.False,
            false => notNull,
            _ => Cond.And([Cond.Of(new NotFilter(positive.Filter!)), notNull]),
        };
    }

    private (FilterOperand Op, Cond Positive, bool NeverFalse) PositiveLeaf(SqlExpr e)
    {
        switch (e)
        {
            case SqlBinary b:
            {
                var (column, constant, op) = Orient(b);
                var operand = Operand(column, b);
                if (constant is SqlLiteral { Kind: SqlLiteralKind.Null })
                {
                    return (operand, Cond.False, true);
                }

                return (operand, Compare(operand, op, constant, b), false);
            }

            case SqlIn i:
            {
                var operand = Operand(i.Value, i);
                var hasNull = i.List.Any(x => x is SqlLiteral { Kind: SqlLiteralKind.Null });
                var values = i.List.Where(x => x is not SqlLiteral { Kind: SqlLiteralKind.Null }).ToList();
                if (values.Count == 0)
                {
                    return (operand, Cond.False, true);
                }

                Cond positive;
                if (operand.Type == SqlType.Varchar || operand.Type.IsTime() || (operand.Type == SqlType.Bigint && values.All(v => Number(v, i) is { } d && IsIntegral(d))))
                {
                    positive = Cond.Of(new InFilter(operand.Name, values.Select(v => (string?)Text(operand, v, i)).Distinct().ToList()));
                }
                else
                {
                    positive = Cond.Or(values.Select(v => Compare(operand, "=", v, i)));
                }

                // x NOT IN (.., NULL) is never TRUE
                return (operand, positive, hasNull);
            }

            case SqlBetween bt:
            {
                var operand = Operand(bt.Value, bt);
                if (!IsConstant(bt.Low) || !IsConstant(bt.High))
                {
                    throw Unsupported(bt);
                }

                if (bt.Low is SqlLiteral { Kind: SqlLiteralKind.Null } || bt.High is SqlLiteral { Kind: SqlLiteralKind.Null })
                {
                    throw new SqlPlanningException($"BETWEEN with a NULL bound is not supported in {clause}: {bt}", bt.Position);
                }

                var positive = Cond.And([Compare(operand, ">=", bt.Low, bt), Compare(operand, "<=", bt.High, bt)]);
                return (operand, positive, false);
            }

            case SqlLike l:
            {
                var operand = Operand(l.Value, l);
                if (operand.Type != SqlType.Varchar || l.Pattern is not SqlLiteral { Kind: SqlLiteralKind.String, Value: string pattern })
                {
                    throw Unsupported(l);
                }

                char? escape = null;
                if (l.Escape is not null)
                {
                    escape = l.Escape is SqlLiteral { Kind: SqlLiteralKind.String, Value: string { Length: 1 } esc }
                        ? esc[0]
                        : throw new SqlPlanningException($"ESCAPE must be a single-character string literal: {l}", l.Escape.Position);
                }

                return (operand, Cond.Of(new LikeFilter(operand.Name, pattern, escape)), false);
            }

            default:
                throw Unsupported(e);
        }
    }

    private (SqlExpr Column, SqlExpr Constant, string Op) Orient(SqlBinary b)
    {
        if (IsConstant(b.Right) && !IsConstant(b.Left))
        {
            return (b.Left, b.Right, b.Operator);
        }

        if (IsConstant(b.Left) && !IsConstant(b.Right))
        {
            var flipped = b.Operator switch { "<" => ">", "<=" => ">=", ">" => "<", ">=" => "<=", var o => o };
            return (b.Right, b.Left, flipped);
        }

        if (IsConstant(b.Left))
        {
            throw new SqlPlanningException($"A condition without a column is not supported in {clause}: {b}", b.Position);
        }

        throw new SqlPlanningException($"Comparing two expressions ({b}) needs a column comparison filter, which the native engine does not have", b.Position);
    }

    private Cond Compare(FilterOperand op, string comparison, SqlExpr constant, SqlExpr at)
    {
        var text = Text(op, constant, at);
        if (op.Type == SqlType.Varchar)
        {
            return comparison switch
            {
                "=" => Cond.Of(new SelectorFilter(op.Name, text)),
                _ => Cond.Of(Bound(op.Name, comparison, text, StringOrdering.Lexicographic)),
            };
        }

        // numbers and times: both sides are canonical number strings (integers as longs print, doubles as Java
        // prints them), so the numeric ordering never meets two spellings of one value
        if (comparison == "=" && (op.Type.IsTime() || (op.Type == SqlType.Bigint && IsIntegral(Number(constant, at)!.Value))))
        {
            return Cond.Of(new SelectorFilter(op.Name, text));
        }

        return comparison == "="
            ? Cond.Of(new BoundFilter(op.Name, text, text, false, false, StringOrdering.Numeric))
            : Cond.Of(Bound(op.Name, comparison, text, StringOrdering.Numeric));
    }

    private static BoundFilter Bound(string name, string comparison, string text, StringOrdering ordering) => comparison switch
    {
        "<" => new BoundFilter(name, null, text, false, true, ordering),
        "<=" => new BoundFilter(name, null, text, false, false, ordering),
        ">" => new BoundFilter(name, text, null, true, false, ordering),
        _ => new BoundFilter(name, text, null, false, false, ordering),
    };

    /// <summary>The constant as the operand's values print, so that string comparison and equality are exact.</summary>
    private string Text(FilterOperand op, SqlExpr constant, SqlExpr at)
    {
        switch (op.Type)
        {
            case SqlType.Varchar:
                return constant is SqlLiteral { Kind: SqlLiteralKind.String, Value: string s }
                    ? s
                    : throw new SqlPlanningException(
                        $"Comparing VARCHAR '{op.Name}' with {constant} needs a cast of the column, which the native filters do not have; compare with a string literal", at.Position);
            case SqlType.Timestamp or SqlType.Date:
                return (foldTime(constant) ?? throw new SqlPlanningException($"{constant} is not a time constant the planner can compute (use TIMESTAMP '...', or CURRENT_TIMESTAMP - INTERVAL ...)", constant.Position))
                    .ToString(CultureInfo.InvariantCulture);
            case SqlType.Bigint or SqlType.Double:
            {
                var d = Number(constant, at) ?? throw new SqlPlanningException($"Comparing {op.Type.Name()} '{op.Name}' with {constant}, which is not a number", constant.Position);
                if (op.Type == SqlType.Bigint && IsIntegral(d) && constant is SqlLiteral { Kind: SqlLiteralKind.Integer, Value: long l })
                {
                    return l.ToString(CultureInfo.InvariantCulture);
                }

                return op.Type == SqlType.Bigint && IsIntegral(d) && Math.Abs(d) < 9e15
                    ? ((long)d).ToString(CultureInfo.InvariantCulture)
                    : StringComparers.FormatDouble(d);
            }

            default:
                throw new SqlPlanningException($"Conditions on {op.Type.Name()} '{op.Name}' are not supported", at.Position);
        }
    }

    private static double? Number(SqlExpr constant, SqlExpr at) => constant switch
    {
        SqlLiteral { Kind: SqlLiteralKind.Integer, Value: long l } => l,
        SqlLiteral { Kind: SqlLiteralKind.Decimal, Value: double d } => d,
        SqlLiteral { Kind: SqlLiteralKind.String, Value: string s } when StringComparers.TryParseNumber(s, out var d) => d,
        _ => null,
    };

    private static bool IsIntegral(double d) => d == Math.Floor(d) && !double.IsInfinity(d);

    private bool IsConstant(SqlExpr e) => e is SqlLiteral || foldTime(e) is not null;

    private FilterOperand Operand(SqlExpr e, SqlExpr at)
    {
        return resolve(e) ?? throw Unsupported(e is SqlIdentifier ? at : e);
    }

    private static Cond IsNull(FilterOperand op) =>
        op.Type.IsTime() && op.Name == Row.TimeColumn ? Cond.False : Cond.Of(new SelectorFilter(op.Name, null));

    private SqlPlanningException Unsupported(SqlExpr e) => e switch
    {
        SqlFunctionCall f => new SqlPlanningException($"Function {f.Name} in {clause} ({e}) needs an expression filter or virtual column, which the native engine does not have", e.Position),
        SqlCase => new SqlPlanningException($"CASE in {clause} ({e}) needs an expression filter, which the native engine does not have", e.Position),
        SqlCast => new SqlPlanningException($"CAST in {clause} ({e}) needs an expression filter, which the native engine does not have", e.Position),
        _ => new SqlPlanningException($"The condition {e} in {clause} cannot be planned to a native filter", e.Position),
    };
}
