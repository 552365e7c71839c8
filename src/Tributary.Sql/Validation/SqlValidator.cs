using System.Globalization;

namespace Tributary.Sql;

/// <summary>One output column of a validated SELECT: its name (alias, column name or <c>EXPR$i</c>), expression and type.</summary>
public sealed record SqlValidatedItem(string Name, SqlExpr Expression, SqlType Type);

/// <summary>One ORDER BY key: the expression (positions and aliases resolved), its direction, and the select item it is, if any.</summary>
public sealed record SqlValidatedOrder(SqlExpr Expression, bool Descending, int? ItemIndex)
{
    /// <summary>Where the ORDER BY item is written.</summary>
    public SqlPosition Position { get; init; }
}

/// <summary>A SELECT checked against the catalog: <c>*</c> expanded, positions and aliases resolved, types known.</summary>
public sealed class SqlValidatedQuery
{
    /// <summary>The statement (parameters bound).</summary>
    public required SqlStatement Statement { get; init; }

    /// <summary>The table read, or null for a SELECT without FROM.</summary>
    public SqlTable? Table { get; init; }

    /// <summary>The output columns in order.</summary>
    public required IReadOnlyList<SqlValidatedItem> Items { get; init; }

    /// <summary>WHERE, if any.</summary>
    public SqlExpr? Where { get; init; }

    /// <summary>The grouping expressions (positions and aliases replaced by the select expressions).</summary>
    public IReadOnlyList<SqlExpr> GroupBy { get; init; } = [];

    /// <summary>HAVING, if any (select aliases replaced by their expressions).</summary>
    public SqlExpr? Having { get; init; }

    /// <summary>ORDER BY keys.</summary>
    public IReadOnlyList<SqlValidatedOrder> OrderBy { get; init; } = [];

    /// <summary>LIMIT, if any.</summary>
    public long? Limit { get; init; }

    /// <summary>OFFSET (0 when absent).</summary>
    public long Offset { get; init; }

    /// <summary>True if the query aggregates (GROUP BY, or an aggregate anywhere in SELECT / HAVING / ORDER BY).</summary>
    public bool IsAggregate { get; init; }

    /// <summary>SELECT DISTINCT.</summary>
    public bool Distinct { get; init; }

    /// <summary>EXPLAIN PLAN FOR.</summary>
    public bool Explain => Statement.Explain;
}

/// <summary>
/// Checks a parsed statement against an <see cref="ISqlCatalog"/>: tables, columns and functions exist, types fit,
/// aggregates appear only where SQL allows them, and every non-aggregated column of an aggregating query is grouped.
/// Errors are <see cref="SqlValidationException"/>s in Druid's words, at the position of what is wrong.
/// </summary>
public static class SqlValidator
{
    private static readonly HashSet<string> Aggregates = new(StringComparer.Ordinal) { "COUNT", "SUM", "MIN", "MAX", "AVG", "APPROX_COUNT_DISTINCT" };

    private enum Clause
    {
        Select,
        Where,
        GroupBy,
        Having,
        OrderBy,
    }

    /// <summary>Validates <paramref name="statement"/> (its parameters must be bound).</summary>
    public static SqlValidatedQuery Validate(SqlStatement statement, ISqlCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(statement);
        ArgumentNullException.ThrowIfNull(catalog);
        var q = statement.Query;
        SqlTable? table = null;
        if (q.From is { } from)
        {
            table = catalog.FindTable(from.Schema, from.Name)
                ?? throw new SqlValidationException(
                    from.Schema is null ? $"Object '{from.Name}' not found" : $"Object '{from.Name}' not found within '{from.Schema}'", from.Position);
        }

        var checker = new Checker(table);

        // the select list, * expanded
        var items = new List<SqlValidatedItem>();
        foreach (var item in q.Items)
        {
            if (item.IsStar)
            {
                if (table is null)
                {
                    throw new SqlValidationException("SELECT * requires a FROM clause", item.Position);
                }

                items.AddRange(table.Columns.Select(c => new SqlValidatedItem(c.Name, new SqlIdentifier([c.Name]) { Position = item.Position }, c.Type)));
                continue;
            }

            var e = item.Expression!;
            var type = checker.Check(e, Clause.Select, false);
            var name = item.Alias ?? (e is SqlIdentifier id ? id.Name : $"EXPR${items.Count}");
            items.Add(new SqlValidatedItem(name, e, type));
        }

        if (q.Where is { } where)
        {
            RequireBoolean(checker.Check(where, Clause.Where, false), where, "WHERE");
        }

        var groupBy = new List<SqlExpr>();
        foreach (var g in q.GroupBy)
        {
            var resolved = g switch
            {
                SqlLiteral { Kind: SqlLiteralKind.Integer, Value: long n } => n >= 1 && n <= items.Count
                    ? items[(int)n - 1].Expression
                    : throw new SqlValidationException($"Ordinal out of range: GROUP BY {n} but the select list has {items.Count} items", g.Position),
                SqlIdentifier id when table?.FindColumn(id.Name) is null && items.FirstOrDefault(i => i.Name == id.Name) is { } aliased => aliased.Expression,
                _ => g,
            };
            checker.Check(resolved, Clause.GroupBy, false);
            if (ContainsAggregate(resolved))
            {
                throw new SqlValidationException("Aggregate expression is illegal in GROUP BY clause", g.Position);
            }

            groupBy.Add(resolved);
        }

        // HAVING may name select aliases that are not columns (Druid's conformance allows it)
        var havingExpr = q.Having is null ? null : SqlRewriter.Rewrite(q.Having, e =>
            e is SqlIdentifier id && table?.FindColumn(id.Name) is null && items.FirstOrDefault(i => i.Name == id.Name) is { } aliased ? aliased.Expression : null);
        if (havingExpr is { } having)
        {
            RequireBoolean(checker.Check(having, Clause.Having, false), having, "HAVING");
        }

        var orderBy = new List<SqlValidatedOrder>();
        foreach (var o in q.OrderBy)
        {
            int? index = o.Expression switch
            {
                SqlLiteral { Kind: SqlLiteralKind.Integer, Value: long n } => n >= 1 && n <= items.Count
                    ? (int)n - 1
                    : throw new SqlValidationException($"Ordinal out of range: ORDER BY {n} but the select list has {items.Count} items", o.Position),
                SqlIdentifier id when items.FindIndex(i => i.Name == id.Name) is var k and >= 0 => k,
                _ => null,
            };
            var expr = index is { } ix ? items[ix].Expression : o.Expression;
            if (index is null)
            {
                checker.Check(expr, Clause.OrderBy, false);
                var text = expr.ToString();
                var same = items.FindIndex(i => i.Expression.ToString() == text);
                index = same >= 0 ? same : null;
            }

            orderBy.Add(new SqlValidatedOrder(expr, o.Descending, index) { Position = o.Position });
        }

        var isAggregate = groupBy.Count > 0
            || items.Any(i => ContainsAggregate(i.Expression))
            || (q.Having is not null)
            || orderBy.Any(o => ContainsAggregate(o.Expression));
        if (isAggregate)
        {
            var grouped = groupBy.Select(g => g.ToString()).ToHashSet(StringComparer.Ordinal);
            foreach (var i in items)
            {
                CheckGrouped(i.Expression, grouped);
            }

            if (havingExpr is not null)
            {
                CheckGrouped(havingExpr, grouped);
            }

            foreach (var o in orderBy)
            {
                CheckGrouped(o.Expression, grouped);
            }
        }

        return new SqlValidatedQuery
        {
            Statement = statement,
            Table = table,
            Items = items,
            Where = q.Where,
            GroupBy = groupBy,
            Having = havingExpr,
            OrderBy = orderBy,
            Limit = Count(q.Limit, "LIMIT"),
            Offset = Count(q.Offset, "OFFSET") ?? 0,
            IsAggregate = isAggregate,
            Distinct = q.Distinct,
        };
    }

    /// <summary>True if <paramref name="e"/> is a call of COUNT, SUM, MIN, MAX, AVG or APPROX_COUNT_DISTINCT.</summary>
    public static bool IsAggregate(SqlExpr e) => e is SqlFunctionCall f && Aggregates.Contains(f.Name);

    /// <summary>True if an aggregate call occurs anywhere in <paramref name="e"/>.</summary>
    public static bool ContainsAggregate(SqlExpr e) => SqlRewriter.Descendants(e).Any(IsAggregate);

    /// <summary>The type of <paramref name="e"/> over <paramref name="table"/> (the expression must be valid).</summary>
    public static SqlType TypeOf(SqlExpr e, SqlTable? table) => new Checker(table).Check(e, Clause.Select, false);

    private static long? Count(SqlExpr? e, string clause)
    {
        return e switch
        {
            null => null,
            SqlLiteral { Kind: SqlLiteralKind.Integer, Value: long n } when n >= 0 => n,
            _ => throw new SqlValidationException($"{clause} must be a non-negative integer, got {e}", e.Position),
        };
    }

    private static void RequireBoolean(SqlType type, SqlExpr e, string clause)
    {
        if (type is not (SqlType.Boolean or SqlType.Null))
        {
            throw new SqlValidationException($"{clause} clause must be a condition, got an expression of type {type.Name()}", e.Position);
        }
    }

    private static void CheckGrouped(SqlExpr e, HashSet<string> grouped)
    {
        if (grouped.Contains(e.ToString()) || IsAggregate(e))
        {
            return;
        }

        if (e is SqlIdentifier id)
        {
            throw new SqlValidationException($"Expression '{id.Name}' is not being grouped", id.Position);
        }

        foreach (var child in Children(e))
        {
            CheckGrouped(child, grouped);
        }
    }

    private static IEnumerable<SqlExpr> Children(SqlExpr e)
    {
        return e switch
        {
            SqlUnary u => [u.Operand],
            SqlBinary b => [b.Left, b.Right],
            SqlIn i => [i.Value, .. i.List],
            SqlBetween bt => [bt.Value, bt.Low, bt.High],
            SqlLike l => l.Escape is null ? [l.Value, l.Pattern] : [l.Value, l.Pattern, l.Escape],
            SqlIsNull n => [n.Value],
            SqlFunctionCall f => f.Arguments,
            SqlCase c => [.. c.Operand is null ? [] : new[] { c.Operand }, .. c.Whens.SelectMany(w => new[] { w.When, w.Then }), .. c.Else is null ? [] : new[] { c.Else }],
            SqlCast c => [c.Value],
            SqlFloorTo f => [f.Value],
            _ => [],
        };
    }

    private sealed class Checker(SqlTable? table)
    {
        public SqlType Check(SqlExpr e, Clause clause, bool inAggregate)
        {
            switch (e)
            {
                case SqlIdentifier id:
                {
                    var column = table?.FindColumn(id.Name)
                        ?? throw new SqlValidationException($"Column '{id.Name}' not found in any table", id.Position);
                    return column.Type;
                }

                case SqlLiteral lit:
                    return lit.Kind switch
                    {
                        SqlLiteralKind.Null => SqlType.Null,
                        SqlLiteralKind.Boolean => SqlType.Boolean,
                        SqlLiteralKind.Integer => SqlType.Bigint,
                        SqlLiteralKind.Decimal => SqlType.Double,
                        SqlLiteralKind.String => SqlType.Varchar,
                        SqlLiteralKind.Timestamp => SqlType.Timestamp,
                        _ => SqlType.Date,
                    };
                case SqlIntervalLiteral:
                    return SqlType.Interval;
                case SqlParameter p:
                    throw new SqlValidationException($"No value bound for parameter (position [{p.Index + 1}])", p.Position);
                case SqlCurrentTimestamp:
                    return SqlType.Timestamp;
                case SqlUnary { Operator: "NOT" } not:
                    return RequireLogical(Check(not.Operand, clause, inAggregate), not.Operand, "NOT");
                case SqlUnary neg:
                {
                    var t = Check(neg.Operand, clause, inAggregate);
                    return t.IsNumeric() || t == SqlType.Null ? t : throw Apply("-", neg, t);
                }

                case SqlBinary { Operator: "AND" or "OR" } b:
                    RequireLogical(Check(b.Left, clause, inAggregate), b.Left, b.Operator);
                    RequireLogical(Check(b.Right, clause, inAggregate), b.Right, b.Operator);
                    return SqlType.Boolean;
                case SqlBinary { Operator: "=" or "<>" or "<" or "<=" or ">" or ">=" } b:
                {
                    var l = Check(b.Left, clause, inAggregate);
                    var r = Check(b.Right, clause, inAggregate);
                    return Comparable(l, r) ? SqlType.Boolean : throw Apply(b.Operator, b, l, r);
                }

                case SqlBinary { Operator: "||" } b:
                    Check(b.Left, clause, inAggregate);
                    Check(b.Right, clause, inAggregate);
                    return SqlType.Varchar;
                case SqlBinary b:
                {
                    var l = Check(b.Left, clause, inAggregate);
                    var r = Check(b.Right, clause, inAggregate);
                    if (b.Operator is "+" or "-" && l.IsTime() && r == SqlType.Interval)
                    {
                        return SqlType.Timestamp;
                    }

                    if (b.Operator == "+" && l == SqlType.Interval && r.IsTime())
                    {
                        return SqlType.Timestamp;
                    }

                    if ((l.IsNumeric() || l == SqlType.Null) && (r.IsNumeric() || r == SqlType.Null))
                    {
                        return l == SqlType.Double || r == SqlType.Double ? SqlType.Double : SqlType.Bigint;
                    }

                    throw Apply(b.Operator, b, l, r);
                }

                case SqlIn i:
                {
                    var v = Check(i.Value, clause, inAggregate);
                    foreach (var item in i.List)
                    {
                        var t = Check(item, clause, inAggregate);
                        if (!Comparable(v, t))
                        {
                            throw new SqlValidationException($"Values in expression list must have compatible types: {v.Name()} and {t.Name()}", item.Position);
                        }
                    }

                    return SqlType.Boolean;
                }

                case SqlBetween bt:
                {
                    var v = Check(bt.Value, clause, inAggregate);
                    var lo = Check(bt.Low, clause, inAggregate);
                    var hi = Check(bt.High, clause, inAggregate);
                    return Comparable(v, lo) && Comparable(v, hi) ? SqlType.Boolean : throw Apply("BETWEEN", bt, v, lo, hi);
                }

                case SqlLike l:
                {
                    var v = Check(l.Value, clause, inAggregate);
                    var p = Check(l.Pattern, clause, inAggregate);
                    var esc = l.Escape is null ? SqlType.Varchar : Check(l.Escape, clause, inAggregate);
                    if (v is not (SqlType.Varchar or SqlType.Null) || p is not (SqlType.Varchar or SqlType.Null) || esc is not (SqlType.Varchar or SqlType.Null))
                    {
                        throw Apply("LIKE", l, v, p);
                    }

                    return SqlType.Boolean;
                }

                case SqlIsNull n:
                    Check(n.Value, clause, inAggregate);
                    return SqlType.Boolean;
                case SqlCase c:
                {
                    var operand = c.Operand is null ? (SqlType?)null : Check(c.Operand, clause, inAggregate);
                    SqlType? result = null;
                    foreach (var w in c.Whens)
                    {
                        var wt = Check(w.When, clause, inAggregate);
                        if (operand is { } o ? !Comparable(o, wt) : wt is not (SqlType.Boolean or SqlType.Null))
                        {
                            throw new SqlValidationException($"CASE WHEN needs {(operand is null ? "a condition" : "a value comparable to the CASE operand")}, got {wt.Name()}", w.When.Position);
                        }

                        result = Unify(result, Check(w.Then, clause, inAggregate), w.Then);
                    }

                    if (c.Else is not null)
                    {
                        result = Unify(result, Check(c.Else, clause, inAggregate), c.Else);
                    }

                    return result ?? SqlType.Null;
                }

                case SqlCast cast:
                    Check(cast.Value, clause, inAggregate);
                    return cast.TypeName switch
                    {
                        "VARCHAR" or "CHAR" or "STRING" => SqlType.Varchar,
                        "BIGINT" or "INTEGER" or "INT" or "SMALLINT" or "TINYINT" => SqlType.Bigint,
                        "DOUBLE" or "FLOAT" or "REAL" or "DECIMAL" or "NUMERIC" => SqlType.Double,
                        "TIMESTAMP" => SqlType.Timestamp,
                        "DATE" => SqlType.Date,
                        "BOOLEAN" => SqlType.Boolean,
                        _ => throw new SqlValidationException($"Unknown type '{cast.TypeName}' in CAST", cast.Position),
                    };
                case SqlFloorTo f:
                {
                    var t = Check(f.Value, clause, inAggregate);
                    return t.IsTime() || t == SqlType.Null ? SqlType.Timestamp : throw Apply(f.Ceil ? "CEIL" : "FLOOR", f, t);
                }

                case SqlFunctionCall call:
                    return CheckCall(call, clause, inAggregate);
                default:
                    throw new SqlValidationException($"Unsupported expression {e}", e.Position);
            }
        }

        private SqlType CheckCall(SqlFunctionCall call, Clause clause, bool inAggregate)
        {
            if (Aggregates.Contains(call.Name))
            {
                if (inAggregate)
                {
                    throw new SqlValidationException("Aggregate expressions cannot be nested", call.Position);
                }

                if (clause is Clause.Where or Clause.GroupBy)
                {
                    throw new SqlValidationException($"Aggregate expression is illegal in {(clause == Clause.Where ? "WHERE" : "GROUP BY")} clause", call.Position);
                }

                if (call.Filter is { } filter)
                {
                    var ft = Check(filter, Clause.Where, false);
                    RequireLogical(ft, filter, "FILTER");
                }

                if (call.Star)
                {
                    return call.Name == "COUNT" ? SqlType.Bigint : throw new SqlValidationException($"{call.Name}(*) is not allowed; only COUNT(*)", call.Position);
                }

                if (call.Distinct && call.Name is not ("COUNT" or "APPROX_COUNT_DISTINCT"))
                {
                    throw new SqlValidationException($"DISTINCT is only supported in COUNT, not in {call.Name}", call.Position);
                }

                var args = call.Arguments.Select(a => Check(a, clause, true)).ToList();
                if (args.Count != 1)
                {
                    throw new SqlValidationException($"Invalid number of arguments to function '{call.Name}'. Was expecting 1 arguments", call.Position);
                }

                var t = args[0];
                if (t == SqlType.HyperUnique && !(call.Name == "APPROX_COUNT_DISTINCT" || (call.Name == "COUNT" && call.Distinct)))
                {
                    throw Apply(call.Name, call, t);
                }

                return call.Name switch
                {
                    "COUNT" or "APPROX_COUNT_DISTINCT" => SqlType.Bigint,
                    "SUM" => t.IsNumeric() || t == SqlType.Null ? (t == SqlType.Double ? SqlType.Double : SqlType.Bigint) : throw Apply(call.Name, call, t),
                    "AVG" => t.IsNumeric() || t == SqlType.Null ? SqlType.Double : throw Apply(call.Name, call, t),
                    _ => t is SqlType.Boolean or SqlType.Interval ? throw Apply(call.Name, call, t) : t,
                };
            }

            if (call.Filter is not null)
            {
                throw new SqlValidationException($"FILTER must be applied to an aggregate function, not {call.Name}", call.Position);
            }

            if (call.Star || call.Distinct)
            {
                throw new SqlValidationException($"{(call.Star ? "*" : "DISTINCT")} is only allowed in aggregate functions, not in {call.Name}", call.Position);
            }

            var types = call.Arguments.Select(a => Check(a, clause, inAggregate)).ToList();
            SqlValidationException Arity(string expected) =>
                new($"Invalid number of arguments to function '{call.Name}'. Was expecting {expected} arguments", call.Position);
            void Need(int min, int max)
            {
                if (types.Count < min || types.Count > max)
                {
                    throw Arity(min == max ? min.ToString(CultureInfo.InvariantCulture) : $"{min} to {max}");
                }
            }

            switch (call.Name)
            {
                case "TIME_FLOOR":
                    Need(2, 4);
                    return SqlType.Timestamp;
                case "TIME_CEIL" or "TIME_SHIFT":
                    Need(3, 4);
                    return SqlType.Timestamp;
                case "DATE_TRUNC":
                    Need(2, 2);
                    return SqlType.Timestamp;
                case "TIME_PARSE":
                    Need(1, 3);
                    return SqlType.Timestamp;
                case "TIME_FORMAT":
                    Need(1, 3);
                    return SqlType.Varchar;
                case "MILLIS_TO_TIMESTAMP":
                    Need(1, 1);
                    return SqlType.Timestamp;
                case "TIMESTAMP_TO_MILLIS":
                    Need(1, 1);
                    return SqlType.Bigint;
                case "LOWER" or "UPPER" or "TRIM" or "LTRIM" or "RTRIM":
                    Need(1, 1);
                    return SqlType.Varchar;
                case "SUBSTRING" or "SUBSTR":
                    Need(2, 3);
                    return SqlType.Varchar;
                case "CONCAT":
                    Need(1, int.MaxValue);
                    return SqlType.Varchar;
                case "CHAR_LENGTH" or "CHARACTER_LENGTH" or "LENGTH" or "STRLEN":
                    Need(1, 1);
                    return SqlType.Bigint;
                case "ABS" or "FLOOR" or "CEIL":
                    Need(1, 1);
                    return types[0].IsNumeric() || types[0] == SqlType.Null ? types[0] : throw Apply(call.Name, call, types[0]);
                case "COALESCE" or "NVL" or "IFNULL":
                {
                    Need(2, int.MaxValue);
                    SqlType? result = null;
                    for (var i = 0; i < types.Count; i++)
                    {
                        result = Unify(result, types[i], call.Arguments[i]);
                    }

                    return result ?? SqlType.Null;
                }

                default:
                    throw new SqlValidationException(
                        $"No match found for function signature {call.Name}({string.Join(", ", types.Select(Family))})", call.Position);
            }
        }

        private static string Family(SqlType t) => t switch
        {
            SqlType.Varchar => "<CHARACTER>",
            SqlType.Bigint or SqlType.Double => "<NUMERIC>",
            SqlType.Timestamp => "<TIMESTAMP>",
            SqlType.Date => "<DATE>",
            SqlType.Boolean => "<BOOLEAN>",
            _ => $"<{t.Name()}>",
        };

        private static SqlType Unify(SqlType? current, SqlType next, SqlExpr at)
        {
            if (current is null || current == SqlType.Null)
            {
                return next;
            }

            if (next == SqlType.Null || next == current)
            {
                return current.Value;
            }

            if (current.Value.IsNumeric() && next.IsNumeric())
            {
                return SqlType.Double;
            }

            if (current.Value.IsTime() && next.IsTime())
            {
                return SqlType.Timestamp;
            }

            throw new SqlValidationException($"Illegal mixing of types: {current.Value.Name()} and {next.Name()}", at.Position);
        }

        private static bool Comparable(SqlType a, SqlType b)
        {
            if (a == SqlType.Null || b == SqlType.Null || a == b)
            {
                return a is not (SqlType.HyperUnique or SqlType.Interval);
            }

            // Calcite compares strings with numbers and times (the string is cast), numbers with numbers, times with times
            return (a.IsNumeric() && b.IsNumeric()) || (a.IsTime() && b.IsTime())
                || (a == SqlType.Varchar && (b.IsNumeric() || b.IsTime())) || (b == SqlType.Varchar && (a.IsNumeric() || a.IsTime()));
        }

        private static SqlType RequireLogical(SqlType t, SqlExpr e, string op) =>
            t is SqlType.Boolean or SqlType.Null ? SqlType.Boolean : throw Apply(op, e, t);

        private static SqlValidationException Apply(string op, SqlExpr at, params SqlType[] types) =>
            new($"Cannot apply '{op}' to arguments of type '{op}({string.Join(", ", types.Select(t => "<" + t.Name() + ">"))})'", at.Position);
    }
}
