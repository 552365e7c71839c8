using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Tributary.Query;

namespace Tributary.Sql.Tests;

/// <summary>
/// An independent row-by-row evaluator of validated SQL over plain rows, with SQL's three-valued logic. It is the
/// oracle the planned native queries are compared with. It follows the front end's documented choices where SQL
/// leaves room: NULLs sort first ascending, and TIMESTAMP values are epoch milliseconds.
/// </summary>
internal sealed class SqlOracle(long now)
{
    /// <summary>All result rows, sorted by ORDER BY, before OFFSET and LIMIT.</summary>
    public List<object?[]> EvaluateAll(SqlValidatedQuery q, IReadOnlyList<Row> rows) => EvaluateWithKeys(q, rows).Select(o => o.Output).ToList();

    /// <summary>All result rows with their ORDER BY key values, sorted, before OFFSET and LIMIT.</summary>
    public List<(object?[] Output, object?[] Keys)> EvaluateWithKeys(SqlValidatedQuery q, IReadOnlyList<Row> rows)
    {
        var matching = rows.Where(r => q.Where is null || Eval(q.Where, r, null) is true).ToList();
        List<(object?[] Output, object?[] Keys)> output = [];
        if (q.IsAggregate || q.Distinct)
        {
            var keys = q.Distinct ? q.Items.Select(i => i.Expression).ToList() : q.GroupBy;
            var groups = new Dictionary<string, List<Row>>(StringComparer.Ordinal);
            var order = new List<string>();
            foreach (var r in matching)
            {
                var k = string.Join("\u0001", keys.Select(g => Key(Eval(g, r, null))));
                if (!groups.TryGetValue(k, out var list))
                {
                    groups[k] = list = [];
                    order.Add(k);
                }

                list.Add(r);
            }

            if (keys.Count == 0 && groups.Count == 0)
            {
                groups[string.Empty] = [];
                order.Add(string.Empty);
            }

            foreach (var k in order)
            {
                var g = groups[k];
                if (q.Having is not null && Eval(q.Having, g.FirstOrDefault(), g) is not true)
                {
                    continue;
                }

                output.Add((q.Items.Select(i => Eval(i.Expression, g.FirstOrDefault(), g)).ToArray(), q.OrderBy.Select(o => Eval(o.Expression, g.FirstOrDefault(), g)).ToArray()));
            }
        }
        else
        {
            output = matching.Select(r => (q.Items.Select(i => Eval(i.Expression, r, null)).ToArray(), q.OrderBy.Select(o => Eval(o.Expression, r, null)).ToArray())).ToList();
        }

        if (q.OrderBy.Count > 0)
        {
            output = output.Order(Comparer<(object?[] Output, object?[] Keys)>.Create((a, b) =>
            {
                for (var i = 0; i < q.OrderBy.Count; i++)
                {
                    var c = Compare(a.Keys[i], b.Keys[i]);
                    if (c != 0)
                    {
                        return q.OrderBy[i].Descending ? -c : c;
                    }
                }

                return 0;
            })).ToList();
        }

        return output;
    }

    public List<object?[]> Evaluate(SqlValidatedQuery q, IReadOnlyList<Row> rows)
    {
        IEnumerable<object?[]> all = EvaluateAll(q, rows).Skip((int)q.Offset);
        return (q.Limit is { } l ? all.Take((int)l) : all).ToList();
    }

    private static string Key(object? v) => v switch
    {
        null => "\u0000null",
        double d => "d" + d.ToString("R", CultureInfo.InvariantCulture),
        _ => v.GetType().Name + Convert.ToString(v, CultureInfo.InvariantCulture),
    };

    public static int Compare(object? a, object? b)
    {
        if (a is null || b is null)
        {
            return a is null ? (b is null ? 0 : -1) : 1;
        }

        if (a is string sa && b is string sb)
        {
            return string.CompareOrdinal(sa, sb);
        }

        if (a is long la && b is long lb)
        {
            return la.CompareTo(lb);
        }

        return Convert.ToDouble(a, CultureInfo.InvariantCulture).CompareTo(Convert.ToDouble(b, CultureInfo.InvariantCulture));
    }

    private object? Eval(SqlExpr e, Row? row, List<Row>? group)
    {
        switch (e)
        {
            case SqlIdentifier id:
                return row is null ? null : row.Get(id.Name);
            case SqlLiteral lit:
                return lit.Value;
            case SqlCurrentTimestamp:
                return now;
            case SqlUnary { Operator: "NOT" } n:
                return Eval(n.Operand, row, group) is bool nb ? !nb : null;
            case SqlUnary u:
                return Eval(u.Operand, row, group) switch { long l => -l, double d => -d, _ => null };
            case SqlBinary { Operator: "AND" } b:
            {
                var l = Eval(b.Left, row, group) as bool?;
                var r = Eval(b.Right, row, group) as bool?;
                return l == false || r == false ? false : l == true && r == true ? true : null;
            }

            case SqlBinary { Operator: "OR" } b:
            {
                var l = Eval(b.Left, row, group) as bool?;
                var r = Eval(b.Right, row, group) as bool?;
                return l == true || r == true ? true : l == false && r == false ? false : null;
            }

            case SqlBinary { Operator: "=" or "<>" or "<" or "<=" or ">" or ">=" } b:
            {
                var l = Eval(b.Left, row, group);
                var r = Eval(b.Right, row, group);
                if (l is null || r is null)
                {
                    return null;
                }

                var c = CompareTyped(l, r);
                return b.Operator switch
                {
                    "=" => c == 0,
                    "<>" => c != 0,
                    "<" => c < 0,
                    "<=" => c <= 0,
                    ">" => c > 0,
                    _ => c >= 0,
                };
            }

            case SqlBinary { Right: SqlIntervalLiteral iv } b:
            {
                var t = (long)Eval(b.Left, row, group)!;
                var sign = b.Operator == "-" ? -1 : 1;
                return iv.Unit switch
                {
                    SqlTimeUnit.Month => DateTimeOffset.FromUnixTimeMilliseconds(t).AddMonths((int)iv.Count * sign).ToUnixTimeMilliseconds(),
                    SqlTimeUnit.Year => DateTimeOffset.FromUnixTimeMilliseconds(t).AddYears((int)iv.Count * sign).ToUnixTimeMilliseconds(),
                    SqlTimeUnit.Hour => t + (sign * iv.Count * 3_600_000L),
                    SqlTimeUnit.Minute => t + (sign * iv.Count * 60_000L),
                    SqlTimeUnit.Day => t + (sign * iv.Count * 86_400_000L),
                    _ => throw new InvalidOperationException(iv.ToString()),
                };
            }

            case SqlBinary b:
            {
                var l = Eval(b.Left, row, group);
                var r = Eval(b.Right, row, group);
                if (l is null || r is null)
                {
                    return null;
                }

                if (l is long x && r is long y)
                {
                    return b.Operator switch { "+" => x + y, "-" => x - y, "*" => x * y, "/" => x / y, _ => x % y };
                }

                var dx = Convert.ToDouble(l, CultureInfo.InvariantCulture);
                var dy = Convert.ToDouble(r, CultureInfo.InvariantCulture);
                return b.Operator switch { "+" => dx + dy, "-" => dx - dy, "*" => dx * dy, "/" => dx / dy, _ => dx % dy };
            }

            case SqlIn i:
            {
                var v = Eval(i.Value, row, group);
                if (v is null)
                {
                    return null;
                }

                var values = i.List.Select(x => Eval(x, row, group)).ToList();
                bool? found = values.Any(x => x is not null && CompareTyped(v, x) == 0) ? true : values.Any(x => x is null) ? null : false;
                return i.Negated ? !found : found;
            }

            case SqlBetween bt:
            {
                var v = Eval(bt.Value, row, group);
                var lo = Eval(bt.Low, row, group);
                var hi = Eval(bt.High, row, group);
                if (v is null || lo is null || hi is null)
                {
                    return null;
                }

                var inside = CompareTyped(v, lo) >= 0 && CompareTyped(v, hi) <= 0;
                return bt.Negated ? !inside : inside;
            }

            case SqlLike l:
            {
                if (Eval(l.Value, row, group) is not string v)
                {
                    return null;
                }

                var pattern = (string)Eval(l.Pattern, row, group)!;
                var escape = l.Escape is null ? (char?)null : ((string)Eval(l.Escape, row, group)!)[0];
                var regex = new StringBuilder("^");
                for (var k = 0; k < pattern.Length; k++)
                {
                    var c = pattern[k];
                    if (c == escape && k + 1 < pattern.Length)
                    {
                        regex.Append(Regex.Escape(pattern[++k].ToString()));
                    }
                    else
                    {
                        regex.Append(c switch { '%' => "(?s:.*)", '_' => "(?s:.)", _ => Regex.Escape(c.ToString()) });
                    }
                }

                var match = Regex.IsMatch(v, regex.Append('$').ToString().Replace("$", "\\z", StringComparison.Ordinal));
                return l.Negated ? !match : match;
            }

            case SqlIsNull n:
                return (Eval(n.Value, row, group) is null) != n.Negated;
            case SqlFloorTo f:
                return FloorTime((long)Eval(f.Value, row, group)!, f.Unit.ToString().ToLowerInvariant());
            case SqlFunctionCall { Name: "TIME_FLOOR" } call:
                return FloorTime((long)Eval(call.Arguments[0], row, group)!, (string)((SqlLiteral)call.Arguments[1]).Value! switch
                {
                    "PT1H" => "hour",
                    "P1D" => "day",
                    "PT1M" => "minute",
                    "PT15M" => "15minute",
                    var p => throw new InvalidOperationException(p),
                });
            case SqlFunctionCall { Name: "DATE_TRUNC" } call:
                return FloorTime((long)Eval(call.Arguments[1], row, group)!, ((string)((SqlLiteral)call.Arguments[0]).Value!).ToLowerInvariant());
            case SqlFunctionCall { Name: "TIME_PARSE" } call:
                return FromString((string)Eval(call.Arguments[0], row, group)!);
            case SqlCast { TypeName: "TIMESTAMP" } c:
                return Eval(c.Value, row, group) is string ts ? FromString(ts) : Eval(c.Value, row, group);
            case SqlCast { TypeName: "DOUBLE" } c:
                return Eval(c.Value, row, group) switch { long l => (double)l, var x => x };
            case SqlFunctionCall call when SqlValidator.IsAggregate(call):
                return Aggregate(call, group ?? throw new InvalidOperationException("aggregate outside a group"));
            default:
                throw new InvalidOperationException($"the oracle does not evaluate {e}");
        }
    }

    private object? Aggregate(SqlFunctionCall call, List<Row> group)
    {
        if (call.Star)
        {
            return (long)group.Count;
        }

        var values = group.Select(r => Eval(call.Arguments[0], r, null)).Where(v => v is not null).ToList();
        switch (call.Name)
        {
            case "COUNT" when call.Distinct:
            case "APPROX_COUNT_DISTINCT":
                return (long)values.Select(v => v is ICardinalitySketch ? v : StringComparers.ToDimensionString(v)).Distinct().Count();
            case "COUNT":
                return (long)values.Count;
            case "SUM":
                return values.Count == 0 ? null : values[0] is long ? values.Sum(v => (long)v!) : values.Sum(v => (double)v!);
            case "AVG":
                return values.Count == 0 ? null : values.Average(v => Convert.ToDouble(v, CultureInfo.InvariantCulture));
            case "MIN":
                return values.Count == 0 ? null : values.Aggregate((a, b) => Compare(a, b) <= 0 ? a : b);
            case "MAX":
                return values.Count == 0 ? null : values.Aggregate((a, b) => Compare(a, b) >= 0 ? a : b);
            default:
                throw new InvalidOperationException(call.Name);
        }
    }

    private static int CompareTyped(object a, object b)
    {
        if (a is string sa && b is string sb)
        {
            return string.CompareOrdinal(sa, sb);
        }

        if (a is string s)
        {
            a = FromString(s);
        }

        if (b is string t)
        {
            b = FromString(t);
        }

        return Compare(a, b);
    }

    private static object FromString(string s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? d
            : DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUnixTimeMilliseconds();

    private static long FloorTime(long t, string unit)
    {
        var dt = DateTimeOffset.FromUnixTimeMilliseconds(t);
        var floored = unit switch
        {
            "minute" => new DateTimeOffset(dt.Year, dt.Month, dt.Day, dt.Hour, dt.Minute, 0, TimeSpan.Zero),
            "15minute" => new DateTimeOffset(dt.Year, dt.Month, dt.Day, dt.Hour, dt.Minute / 15 * 15, 0, TimeSpan.Zero),
            "hour" => new DateTimeOffset(dt.Year, dt.Month, dt.Day, dt.Hour, 0, 0, TimeSpan.Zero),
            "day" => new DateTimeOffset(dt.Year, dt.Month, dt.Day, 0, 0, 0, TimeSpan.Zero),
            "week" => new DateTimeOffset(dt.Year, dt.Month, dt.Day, 0, 0, 0, TimeSpan.Zero).AddDays(-(((int)dt.DayOfWeek + 6) % 7)),
            "month" => new DateTimeOffset(dt.Year, dt.Month, 1, 0, 0, 0, TimeSpan.Zero),
            "year" => new DateTimeOffset(dt.Year, 1, 1, 0, 0, 0, TimeSpan.Zero),
            _ => throw new InvalidOperationException(unit),
        };
        return floored.ToUnixTimeMilliseconds();
    }
}
