using System.Globalization;
using Tributary.Query;

namespace Tributary.Sql;

/// <summary>Settings for one <see cref="SqlRowEvaluator.Evaluate"/>: the clock CURRENT_TIMESTAMP reads and Druid's <c>sqlOuterLimit</c>.</summary>
public sealed record SqlRowEvaluatorOptions
{
    /// <summary>The clock for CURRENT_TIMESTAMP (read once per statement).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Druid's context <c>sqlOuterLimit</c>: at most this many rows, on top of the statement's LIMIT.</summary>
    public long? OuterLimit { get; init; }
}

/// <summary>The answer of <see cref="SqlRowEvaluator.Evaluate"/>: the output columns and the rows (values in column order).</summary>
public sealed record SqlRowResult(IReadOnlyList<SqlOutputColumn> Columns, IReadOnlyList<object?[]> Rows);

/// <summary>
/// Answers a validated SELECT row by row over a small in-memory table (the system tables) or over no table at all
/// (<c>SELECT 1</c>, <c>SELECT CURRENT_TIMESTAMP</c>): WHERE with SQL's three-valued logic (comparisons, AND/OR/NOT,
/// IN, BETWEEN, LIKE, IS [NOT] NULL), projection with arithmetic, <c>||</c>, CASE, CAST and the standard scalar
/// functions, GROUP BY with COUNT/SUM/MIN/MAX/AVG (and FILTER), HAVING, DISTINCT, ORDER BY, OFFSET and LIMIT.
/// Druid-specific functions (TIME_FLOOR, TIME_FORMAT, ...) are not evaluated, as Druid does not evaluate them over
/// its metadata tables either: they raise <see cref="SqlPlanningException"/> naming the function.
/// </summary>
/// <remarks>
/// Row values are VARCHAR strings, BIGINT longs, DOUBLE doubles, BOOLEAN bools and TIMESTAMP UTC epoch milliseconds
/// (longs), in the table's column order. Output values are converted to the output column's type. Sorting puts nulls
/// first, as <see cref="SqlPlan.CompareValues"/> does for datasource queries. Integer division by zero is an error.
/// </remarks>
public static class SqlRowEvaluator
{
    private static readonly HashSet<string> Functions = new(StringComparer.Ordinal)
    {
        "COUNT", "SUM", "MIN", "MAX", "AVG", "APPROX_COUNT_DISTINCT",
        "LOWER", "UPPER", "TRIM", "LTRIM", "RTRIM", "SUBSTRING", "SUBSTR", "CONCAT",
        "CHAR_LENGTH", "CHARACTER_LENGTH", "LENGTH", "STRLEN", "ABS", "FLOOR", "CEIL", "COALESCE", "NVL", "IFNULL",
        "MILLIS_TO_TIMESTAMP", "TIMESTAMP_TO_MILLIS", "TIME_PARSE",
    };

    /// <summary>
    /// Evaluates <paramref name="query"/> over <paramref name="rows"/> (rows of <see cref="SqlValidatedQuery.Table"/>,
    /// values in its column order; ignored when the query has no FROM, which reads one empty row).
    /// </summary>
    /// <exception cref="SqlPlanningException">A construct the evaluator does not compute (named, with its position).</exception>
    public static SqlRowResult Evaluate(SqlValidatedQuery query, IReadOnlyList<object?[]> rows, SqlRowEvaluatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(rows);
        options ??= new SqlRowEvaluatorOptions();
        var run = new Run(query, options);
        run.CheckSupported();
        return run.Execute(rows);
    }

    private sealed record Interval(long Count, SqlTimeUnit Unit);

    private readonly record struct Ctx(object?[] Row, IReadOnlyList<object?[]>? Group);

    private sealed class Run
    {
        private readonly SqlValidatedQuery _q;
        private readonly SqlRowEvaluatorOptions _options;
        private readonly long _now;
        private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
        private readonly Dictionary<(string, char?), LikeFilter> _likes = [];
        private readonly Dictionary<SqlExpr, SqlType> _types = new(ReferenceEqualityComparer.Instance);
        private readonly object?[] _nullRow;

        public Run(SqlValidatedQuery q, SqlRowEvaluatorOptions options)
        {
            _q = q;
            _options = options;
            _now = options.Clock.GetUtcNow().ToUnixTimeMilliseconds();
            var columns = q.Table?.Columns ?? [];
            for (var i = 0; i < columns.Count; i++)
            {
                _index[columns[i].Name] = i;
            }

            _nullRow = new object?[columns.Count];
        }

        private string Source => _q.Table is { } t ? $"{t.Schema}.{t.Name}" : "a SELECT without FROM";

        public void CheckSupported()
        {
            var all = _q.Items.Select(i => i.Expression)
                .Concat(_q.GroupBy)
                .Concat(_q.OrderBy.Select(o => o.Expression))
                .Concat(_q.Where is null ? [] : [_q.Where])
                .Concat(_q.Having is null ? [] : [_q.Having]);
            foreach (var e in all.SelectMany(SqlRewriter.Descendants))
            {
                switch (e)
                {
                    case SqlFunctionCall f when !Functions.Contains(f.Name):
                        throw new SqlPlanningException(
                            $"Function {f.Name} is not supported over {Source}: system tables answer standard SQL functions only (as in Druid), not Druid-specific ones",
                            f.Position);
                    case SqlFunctionCall { Name: "TIME_PARSE", Arguments.Count: > 1 } f:
                        throw new SqlPlanningException($"TIME_PARSE with a format is not supported over {Source}", f.Position);
                    case SqlFloorTo f:
                        throw new SqlPlanningException($"{(f.Ceil ? "CEIL" : "FLOOR")}(... TO {f.Unit.ToString().ToUpperInvariant()}) is not supported over {Source}", f.Position);
                    case SqlParameter p:
                        throw new SqlPlanningException($"Parameter (position [{p.Index + 1}]) has no value", p.Position);
                }
            }
        }

        public SqlRowResult Execute(IReadOnlyList<object?[]> rows)
        {
            var columns = _q.Items.Select(i => new SqlOutputColumn(i.Name, i.Type)).ToList();
            IReadOnlyList<object?[]> source = _q.Table is null ? [[]] : rows;
            var kept = _q.Where is { } where ? source.Where(r => Truth(Eval(where, new Ctx(r, null))) == true).ToList() : [.. source];

            var output = new List<(object?[] Values, object?[] Keys)>();
            if (_q.IsAggregate)
            {
                foreach (var group in Groups(kept))
                {
                    var ctx = new Ctx(group.Count > 0 ? group[0] : _nullRow, group);
                    if (_q.Having is { } having && Truth(Eval(having, ctx)) != true)
                    {
                        continue;
                    }

                    output.Add(Project(ctx));
                }
            }
            else
            {
                output.AddRange(kept.Select(r => Project(new Ctx(r, null))));
            }

            if (_q.Distinct)
            {
                var seen = new HashSet<object?[]>(ValuesComparer.Instance);
                output = [.. output.Where(o => seen.Add(o.Values))];
            }

            if (_q.OrderBy.Count > 0)
            {
                var order = _q.OrderBy;
                output = [.. output.Order(Comparer<(object?[] Values, object?[] Keys)>.Create((a, b) =>
                {
                    for (var i = 0; i < order.Count; i++)
                    {
                        var c = SqlPlan.CompareValues(a.Keys[i], b.Keys[i]);
                        if (c != 0)
                        {
                            return order[i].Descending ? -c : c;
                        }
                    }

                    return 0;
                }))];
            }

            IEnumerable<(object?[] Values, object?[] Keys)> result = output;
            if (_q.Offset > 0)
            {
                result = result.Skip((int)Math.Min(_q.Offset, int.MaxValue));
            }

            var limit = _options.OuterLimit is { } outer ? Math.Min(outer, _q.Limit ?? long.MaxValue) : _q.Limit;
            if (limit is { } n)
            {
                result = result.Take((int)Math.Min(n, int.MaxValue));
            }

            return new SqlRowResult(columns, [.. result.Select(r => Coerce(r.Values, columns))]);
        }

        private List<IReadOnlyList<object?[]>> Groups(List<object?[]> rows)
        {
            if (_q.GroupBy.Count == 0)
            {
                // an aggregate without GROUP BY has one row, also over no rows
                return [rows];
            }

            var groups = new Dictionary<object?[], List<object?[]>>(ValuesComparer.Instance);
            var order = new List<List<object?[]>>();
            foreach (var row in rows)
            {
                var key = _q.GroupBy.Select(g => Eval(g, new Ctx(row, null))).ToArray();
                if (!groups.TryGetValue(key, out var members))
                {
                    members = [];
                    groups[key] = members;
                    order.Add(members);
                }

                members.Add(row);
            }

            return [.. order];
        }

        private (object?[] Values, object?[] Keys) Project(Ctx ctx)
        {
            var values = _q.Items.Select(i => Eval(i.Expression, ctx)).ToArray();
            var keys = _q.OrderBy.Select(o => o.ItemIndex is { } i ? values[i] : Eval(o.Expression, ctx)).ToArray();
            return (values, keys);
        }

        // ---- expressions ---------------------------------------------------------------------------------------

        private object? Eval(SqlExpr e, Ctx ctx)
        {
            switch (e)
            {
                case SqlIdentifier id:
                    return _index.TryGetValue(id.Name, out var i) && i < ctx.Row.Length ? ctx.Row[i] : null;
                case SqlLiteral lit:
                    return lit.Value;
                case SqlIntervalLiteral iv:
                    return new Interval(iv.Count, iv.Unit);
                case SqlCurrentTimestamp:
                    return _now;
                case SqlUnary { Operator: "NOT" } not:
                    return Not(Truth(Eval(not.Operand, ctx)));
                case SqlUnary neg:
                    return Eval(neg.Operand, ctx) switch
                    {
                        null => null,
                        long l => -l,
                        double d => -d,
                        var v => throw Unsupported($"- of {v.GetType().Name}", neg),
                    };
                case SqlBinary { Operator: "AND" } and:
                {
                    var l = Truth(Eval(and.Left, ctx));
                    if (l == false)
                    {
                        return false;
                    }

                    var r = Truth(Eval(and.Right, ctx));
                    return r == false ? false : l is null || r is null ? null : true;
                }

                case SqlBinary { Operator: "OR" } or:
                {
                    var l = Truth(Eval(or.Left, ctx));
                    if (l == true)
                    {
                        return true;
                    }

                    var r = Truth(Eval(or.Right, ctx));
                    return r == true ? true : l is null || r is null ? null : false;
                }

                case SqlBinary { Operator: "=" or "<>" or "<" or "<=" or ">" or ">=" } b:
                {
                    var c = Compare(Eval(b.Left, ctx), Eval(b.Right, ctx), b.Left, b.Right);
                    return c is not { } v ? null : b.Operator switch
                    {
                        "=" => v == 0,
                        "<>" => v != 0,
                        "<" => v < 0,
                        "<=" => v <= 0,
                        ">" => v > 0,
                        _ => v >= 0,
                    };
                }

                case SqlBinary { Operator: "||" } cat:
                {
                    var l = Eval(cat.Left, ctx);
                    var r = Eval(cat.Right, ctx);
                    return l is null || r is null ? null : Text(l, cat.Left) + Text(r, cat.Right);
                }

                case SqlBinary b:
                    return Arithmetic(b, Eval(b.Left, ctx), Eval(b.Right, ctx));
                case SqlIn @in:
                {
                    var v = Eval(@in.Value, ctx);
                    if (v is null)
                    {
                        return null;
                    }

                    bool? found = false;
                    foreach (var item in @in.List)
                    {
                        var c = Compare(v, Eval(item, ctx), @in.Value, item);
                        if (c == 0)
                        {
                            found = true;
                            break;
                        }

                        if (c is null)
                        {
                            found = null;
                        }
                    }

                    return @in.Negated ? Not(found) : found;
                }

                case SqlBetween bt:
                {
                    var v = Eval(bt.Value, ctx);
                    var lo = Compare(v, Eval(bt.Low, ctx), bt.Value, bt.Low);
                    var hi = Compare(v, Eval(bt.High, ctx), bt.Value, bt.High);
                    bool? inside = lo < 0 || hi > 0 ? false : lo is null || hi is null ? null : true;
                    return bt.Negated ? Not(inside) : inside;
                }

                case SqlLike like:
                {
                    var v = Eval(like.Value, ctx);
                    var p = Eval(like.Pattern, ctx);
                    var esc = like.Escape is null ? null : Eval(like.Escape, ctx);
                    if (v is null || p is null || (like.Escape is not null && esc is null))
                    {
                        return null;
                    }

                    if (esc is string { Length: not 1 })
                    {
                        throw Unsupported("an ESCAPE of more than one character", like.Escape!);
                    }

                    var escape = esc is string s ? s[0] : (char?)null;
                    var key = (Text(p, like.Pattern), escape);
                    if (!_likes.TryGetValue(key, out var filter))
                    {
                        filter = new LikeFilter("value", key.Item1, escape);
                        _likes[key] = filter;
                    }

                    var matches = filter.Matches(Text(v, like.Value));
                    return like.Negated ? !matches : matches;
                }

                case SqlIsNull isNull:
                    return (Eval(isNull.Value, ctx) is null) != isNull.Negated;
                case SqlCase c:
                {
                    var operand = c.Operand is null ? null : Eval(c.Operand, ctx);
                    foreach (var w in c.Whens)
                    {
                        var hit = c.Operand is null
                            ? Truth(Eval(w.When, ctx)) == true
                            : Compare(operand, Eval(w.When, ctx), c.Operand, w.When) == 0;
                        if (hit)
                        {
                            return Eval(w.Then, ctx);
                        }
                    }

                    return c.Else is null ? null : Eval(c.Else, ctx);
                }

                case SqlCast cast:
                    return Cast(Eval(cast.Value, ctx), cast);
                case SqlFunctionCall f when SqlValidator.IsAggregate(f):
                    return Aggregate(f, ctx.Group ?? throw Unsupported($"{f.Name} outside an aggregating query", f));
                case SqlFunctionCall f:
                    return Scalar(f, [.. f.Arguments.Select(a => Eval(a, ctx))]);
                default:
                    throw Unsupported(e.ToString(), e);
            }
        }

        private object? Aggregate(SqlFunctionCall f, IReadOnlyList<object?[]> group)
        {
            IEnumerable<object?[]> rows = group;
            if (f.Filter is { } filter)
            {
                rows = rows.Where(r => Truth(Eval(filter, new Ctx(r, null))) == true);
            }

            if (f.Star)
            {
                return (long)rows.Count();
            }

            var arg = f.Arguments[0];
            var values = rows.Select(r => Eval(arg, new Ctx(r, null))).Where(v => v is not null).ToList();
            if (f.Distinct || f.Name == "APPROX_COUNT_DISTINCT")
            {
                values = [.. values.Distinct(ValueComparer.Instance)];
            }

            switch (f.Name)
            {
                case "COUNT" or "APPROX_COUNT_DISTINCT":
                    return (long)values.Count;
                case "SUM":
                    if (values.Count == 0)
                    {
                        return null;
                    }

                    if (values.All(v => v is long))
                    {
                        return values.Aggregate(0L, (s, v) => unchecked(s + (long)v!));
                    }

                    return values.Sum(v => Number(v, arg));
                case "AVG":
                    return values.Count == 0 ? null : values.Average(v => Number(v, arg));
                case "MIN":
                    return values.Count == 0 ? null : values.Aggregate((a, b) => SqlPlan.CompareValues(a, b) <= 0 ? a : b);
                default:
                    return values.Count == 0 ? null : values.Aggregate((a, b) => SqlPlan.CompareValues(a, b) >= 0 ? a : b);
            }
        }

        private object? Scalar(SqlFunctionCall f, object?[] args)
        {
            switch (f.Name)
            {
                case "COALESCE" or "NVL" or "IFNULL":
                    return args.FirstOrDefault(a => a is not null);
                case "CONCAT":
                    return args.Any(a => a is null) ? null : string.Concat(args.Select((a, i) => Text(a!, f.Arguments[i])));
            }

            if (args.Length > 0 && args[0] is null)
            {
                return null;
            }

            switch (f.Name)
            {
                case "LOWER":
                    return Text(args[0]!, f.Arguments[0]).ToLowerInvariant();
                case "UPPER":
                    return Text(args[0]!, f.Arguments[0]).ToUpperInvariant();
                case "TRIM":
                    return Text(args[0]!, f.Arguments[0]).Trim(' ');
                case "LTRIM":
                    return Text(args[0]!, f.Arguments[0]).TrimStart(' ');
                case "RTRIM":
                    return Text(args[0]!, f.Arguments[0]).TrimEnd(' ');
                case "CHAR_LENGTH" or "CHARACTER_LENGTH" or "LENGTH" or "STRLEN":
                    return (long)Text(args[0]!, f.Arguments[0]).Length;
                case "SUBSTRING" or "SUBSTR":
                {
                    if (args.Skip(1).Any(a => a is null))
                    {
                        return null;
                    }

                    var s = Text(args[0]!, f.Arguments[0]);
                    var from = (long)Number(args[1], f.Arguments[1]);
                    var start = Math.Clamp(from - 1, 0, s.Length);
                    var end = args.Length > 2 ? Math.Clamp(from - 1 + (long)Number(args[2], f.Arguments[2]), start, s.Length) : s.Length;
                    return s[(int)start..(int)end];
                }

                case "ABS":
                    return args[0] is long l ? (object)Math.Abs(l) : Math.Abs(Number(args[0], f.Arguments[0]));
                case "FLOOR":
                    return args[0] is long fl ? (object)fl : Math.Floor(Number(args[0], f.Arguments[0]));
                case "CEIL":
                    return args[0] is long cl ? (object)cl : Math.Ceiling(Number(args[0], f.Arguments[0]));
                case "MILLIS_TO_TIMESTAMP" or "TIMESTAMP_TO_MILLIS":
                    return (long)Number(args[0], f.Arguments[0]);
                case "TIME_PARSE":
                    return SqlParser.TryParseTime(Text(args[0]!, f.Arguments[0]), out var ms) ? ms : null;
                default:
                    throw Unsupported($"Function {f.Name}", f);
            }
        }

        private object? Arithmetic(SqlBinary b, object? l, object? r)
        {
            if (l is null || r is null)
            {
                return null;
            }

            if (r is Interval iv && l is long t)
            {
                return AddInterval(t, iv, b.Operator == "+" ? 1 : -1, b);
            }

            if (l is Interval il && r is long t2)
            {
                return AddInterval(t2, il, 1, b);
            }

            if (l is long x && r is long y)
            {
                return b.Operator switch
                {
                    "+" => unchecked(x + y),
                    "-" => unchecked(x - y),
                    "*" => unchecked(x * y),
                    "/" => y == 0 ? throw new SqlPlanningException($"Division by zero in {b}", b.Position) : x / y,
                    "%" => y == 0 ? throw new SqlPlanningException($"Division by zero in {b}", b.Position) : x % y,
                    _ => throw Unsupported($"Operator {b.Operator}", b),
                };
            }

            var dx = Number(l, b.Left);
            var dy = Number(r, b.Right);
            return b.Operator switch
            {
                "+" => dx + dy,
                "-" => dx - dy,
                "*" => dx * dy,
                "/" => dx / dy,
                "%" => dx % dy,
                _ => throw Unsupported($"Operator {b.Operator}", b),
            };
        }

        private static long AddInterval(long t, Interval iv, int sign, SqlExpr at)
        {
            var n = iv.Count * sign;
            try
            {
                return iv.Unit switch
                {
                    SqlTimeUnit.Month => DateTimeOffset.FromUnixTimeMilliseconds(t).AddMonths(checked((int)n)).ToUnixTimeMilliseconds(),
                    SqlTimeUnit.Quarter => DateTimeOffset.FromUnixTimeMilliseconds(t).AddMonths(checked((int)(n * 3))).ToUnixTimeMilliseconds(),
                    SqlTimeUnit.Year => DateTimeOffset.FromUnixTimeMilliseconds(t).AddMonths(checked((int)(n * 12))).ToUnixTimeMilliseconds(),
                    SqlTimeUnit.Second => checked(t + (n * 1000L)),
                    SqlTimeUnit.Minute => checked(t + (n * 60_000L)),
                    SqlTimeUnit.Hour => checked(t + (n * 3_600_000L)),
                    SqlTimeUnit.Day => checked(t + (n * 86_400_000L)),
                    _ => checked(t + (n * 7 * 86_400_000L)),
                };
            }
            catch (Exception ex) when (ex is OverflowException or ArgumentOutOfRangeException)
            {
                throw new SqlPlanningException($"{at} moves the time out of range", at.Position);
            }
        }

        private object? Cast(object? v, SqlCast cast)
        {
            if (v is null)
            {
                return null;
            }

            SqlPlanningException Bad() => new($"Cannot CAST {(v is string ? $"'{v}'" : Text(v, cast.Value))} to {cast.TypeName}", cast.Position);
            switch (cast.TypeName)
            {
                case "VARCHAR" or "CHAR" or "STRING":
                    return Text(v, cast.Value);
                case "BIGINT" or "INTEGER" or "INT" or "SMALLINT" or "TINYINT":
                    return v switch
                    {
                        long l => l,
                        double d when double.IsFinite(d) => (long)Math.Truncate(d),
                        bool b => b ? 1L : 0L,
                        string s when long.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => l,
                        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) => (long)Math.Truncate(d),
                        _ => throw Bad(),
                    };
                case "DOUBLE" or "FLOAT" or "REAL" or "DECIMAL" or "NUMERIC":
                    return v switch
                    {
                        long l => (double)l,
                        double d => d,
                        bool b => b ? 1.0 : 0.0,
                        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
                        _ => throw Bad(),
                    };
                case "BOOLEAN":
                    return v switch
                    {
                        bool b => b,
                        long l => l != 0,
                        double d => d != 0,
                        string s when bool.TryParse(s.Trim(), out var b) => b,
                        _ => throw Bad(),
                    };
                case "TIMESTAMP" or "DATE":
                {
                    var ms = v switch
                    {
                        long l => l,
                        string s when SqlParser.TryParseTime(s, out var t) => t,
                        _ => throw Bad(),
                    };
                    return cast.TypeName == "DATE" ? (long)Math.Floor(ms / 86_400_000.0) * 86_400_000L : ms;
                }

                default:
                    throw Unsupported($"CAST to {cast.TypeName}", cast);
            }
        }

        // ---- values --------------------------------------------------------------------------------------------

        /// <summary>SQL comparison: null if either side is null; a string against a number or time is read as one.</summary>
        private int? Compare(object? a, object? b, SqlExpr ea, SqlExpr eb)
        {
            if (a is null || b is null)
            {
                return null;
            }

            return (a, b) switch
            {
                (string, string) or (bool, bool) => SqlPlan.CompareValues(a, b),
                (string x, _) => SqlPlan.CompareValues(Read(x, ea, TypeOf(eb)), b),
                (_, string y) => SqlPlan.CompareValues(a, Read(y, eb, TypeOf(ea))),
                _ => SqlPlan.CompareValues(a, b),
            };
        }

        private static object Read(string s, SqlExpr at, SqlType type)
        {
            if (type.IsTime())
            {
                return SqlParser.TryParseTime(s, out var ms) ? ms : throw new SqlPlanningException($"'{s}' is not a time", at.Position);
            }

            if (long.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            {
                return l;
            }

            return double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                ? d
                : throw new SqlPlanningException($"'{s}' is not a number", at.Position);
        }

        private SqlType TypeOf(SqlExpr e)
        {
            if (!_types.TryGetValue(e, out var t))
            {
                t = SqlValidator.TypeOf(e, _q.Table);
                _types[e] = t;
            }

            return t;
        }

        private string Text(object v, SqlExpr at) => v switch
        {
            string s => s,
            long l when TypeOf(at) == SqlType.Date => DateTimeOffset.FromUnixTimeMilliseconds(l).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            long l when TypeOf(at).IsTime() => DateTimeOffset.FromUnixTimeMilliseconds(l).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), // Druid's CAST(TIMESTAMP AS VARCHAR)
            long l => l.ToString(CultureInfo.InvariantCulture),
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            bool b => b ? "true" : "false",
            _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? string.Empty,
        };

        private static double Number(object? v, SqlExpr at) => v switch
        {
            long l => l,
            double d => d,
            bool b => b ? 1 : 0,
            string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => throw new SqlPlanningException($"{at} is not a number", at.Position),
        };

        private static bool? Truth(object? v) => v as bool?;

        private static bool? Not(bool? v) => v is null ? null : !v.Value;

        private SqlPlanningException Unsupported(string what, SqlExpr at) => new($"{what} is not supported over {Source}", at.Position);

        private static object?[] Coerce(object?[] values, List<SqlOutputColumn> columns)
        {
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = (columns[i].Type, values[i]) switch
                {
                    (_, null) => null,
                    (SqlType.Double, long l) => (double)l,
                    (SqlType.Bigint, double d) when double.IsFinite(d) => (long)Math.Truncate(d),
                    (SqlType.Bigint, bool b) => b ? 1L : 0L,
                    (SqlType.Varchar, var v and not string) => Convert.ToString(v, CultureInfo.InvariantCulture),
                    (SqlType.Null, _) => null,
                    (_, var v) => v,
                };
            }

            return values;
        }
    }

    /// <summary>Equality of single values as SQL compares them (1 = 1.0); for GROUP BY keys and DISTINCT.</summary>
    private sealed class ValueComparer : IEqualityComparer<object?>
    {
        public static readonly ValueComparer Instance = new();

        public new bool Equals(object? x, object? y) => (x is null && y is null) || (x is not null && y is not null && SqlPlan.CompareValues(x, y) == 0 && (x is string) == (y is string));

        public int GetHashCode(object? obj) => obj switch
        {
            null => 0,
            long l => ((double)l).GetHashCode(),
            double d => d.GetHashCode(),
            string s => StringComparer.Ordinal.GetHashCode(s),
            var v => v.GetHashCode(),
        };
    }

    /// <summary>Element-wise <see cref="ValueComparer"/> over value arrays.</summary>
    private sealed class ValuesComparer : IEqualityComparer<object?[]>
    {
        public static readonly ValuesComparer Instance = new();

        public bool Equals(object?[]? x, object?[]? y)
        {
            if (x is null || y is null || x.Length != y.Length)
            {
                return ReferenceEquals(x, y);
            }

            for (var i = 0; i < x.Length; i++)
            {
                if (!ValueComparer.Instance.Equals(x[i], y[i]))
                {
                    return false;
                }
            }

            return true;
        }

        public int GetHashCode(object?[] obj)
        {
            var h = default(HashCode);
            foreach (var v in obj)
            {
                h.Add(ValueComparer.Instance.GetHashCode(v));
            }

            return h.ToHashCode();
        }
    }
}
