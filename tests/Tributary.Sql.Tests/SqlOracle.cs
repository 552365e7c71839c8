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
internal sealed class SqlOracle(long now, TimeZoneInfo? timeZone = null)
{
    private readonly TimeZoneInfo _zone = timeZone ?? TimeZoneInfo.Utc;

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
            case SqlLiteral { Kind: SqlLiteralKind.Timestamp or SqlLiteralKind.Date, Value: long wall }:
                return ToUtc(wall, _zone);
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

                var c = CompareTyped(l, r, b.Left, b.Right);
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

                if (b.Operator == "||")
                {
                    return Str(l) + Str(r);
                }

                if (l is long x && r is long y)
                {
                    return b.Operator switch { "+" => x + y, "-" => x - y, "*" => x * y, "/" => y == 0 ? null : x / y, _ => y == 0 ? null : x % y };
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
                bool? found = values.Any(x => x is not null && CompareTyped(v, x, i.Value, null) == 0) ? true : values.Any(x => x is null) ? null : false;
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

                var inside = CompareTyped(v, lo, bt.Value, bt.Low) >= 0 && CompareTyped(v, hi, bt.Value, bt.High) <= 0;
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
                return Eval(f.Value, row, group) is long ft ? Floor(ft, UnitPeriod(f.Unit.ToString()), null, _zone) : null;
            case SqlCase c:
            {
                var operand = c.Operand is null ? null : Eval(c.Operand, row, group);
                foreach (var w in c.Whens)
                {
                    var hit = c.Operand is null
                        ? Eval(w.When, row, group) is true
                        : operand is not null && Eval(w.When, row, group) is { } wv && CompareTyped(operand, wv, c.Operand, w.When) == 0;
                    if (hit)
                    {
                        return Widen(Eval(w.Then, row, group), e);
                    }
                }

                return c.Else is null ? null : Widen(Eval(c.Else, row, group), e);
            }

            case SqlCast c:
                return Cast(Eval(c.Value, row, group), SqlValidator.TypeOf(c.Value, Table), c.TypeName);
            case SqlFunctionCall call when SqlValidator.IsAggregate(call):
                return Aggregate(call, group ?? throw new InvalidOperationException("aggregate outside a group"));
            case SqlFunctionCall call:
                return Function(call, call.Arguments.Select(a => Eval(a, row, group)).ToList());
            default:
                throw new InvalidOperationException($"the oracle does not evaluate {e}");
        }
    }

    /// <summary>The table the validated query reads (for the types of CAST operands).</summary>
    public SqlTable? Table { get; set; }

    private object? Widen(object? v, SqlExpr e) => v is long l && SqlValidator.TypeOf(e, Table) == SqlType.Double ? (double)l : v;

    private object? Function(SqlFunctionCall call, List<object?> a)
    {
        switch (call.Name)
        {
            case "COALESCE" or "NVL" or "IFNULL":
                return Widen(a.FirstOrDefault(v => v is not null), call);
        }

        if (call.Name is not ("CONCAT" or "TIME_FLOOR" or "TIME_FORMAT" or "TIME_PARSE") && a.Count > 0 && a[0] is null)
        {
            return null;
        }

        switch (call.Name)
        {
            case "LOWER":
                return ((string)a[0]!).ToLowerInvariant();
            case "UPPER":
                return ((string)a[0]!).ToUpperInvariant();
            case "TRIM":
                return ((string)a[0]!).Trim(' ');
            case "LTRIM":
                return ((string)a[0]!).TrimStart(' ');
            case "RTRIM":
                return ((string)a[0]!).TrimEnd(' ');
            case "CHAR_LENGTH" or "CHARACTER_LENGTH" or "LENGTH" or "STRLEN":
                return (long)((string)a[0]!).Length;
            case "CONCAT":
                return a.Any(v => v is null) ? null : string.Concat(a.Select(Str));
            case "SUBSTRING" or "SUBSTR":
            {
                // Druid: substring(s, start - 1, length), null when the start is past the end
                var text = (string)a[0]!;
                var start = (int)(long)a[1]! - 1;
                if (start >= text.Length)
                {
                    return null;
                }

                return a.Count > 2 ? text.Substring(start, (int)Math.Min((long)a[2]!, text.Length - start)) : text[start..];
            }

            case "ABS":
                return a[0] is long al ? Math.Abs(al) : Math.Abs((double)a[0]!);
            case "FLOOR":
                return a[0] is long fl ? fl : Math.Floor((double)a[0]!);
            case "CEIL":
                return a[0] is long cl ? cl : Math.Ceiling((double)a[0]!);
            case "MILLIS_TO_TIMESTAMP" or "TIMESTAMP_TO_MILLIS":
                return a[0];
            case "TIME_FLOOR":
            {
                if (a[0] is not long t)
                {
                    return null;
                }

                var zone = a.Count > 3 && a[3] is string tz ? Zone(tz) : _zone;
                return Floor(t, (string)a[1]!, a.Count > 2 ? a[2] as long? : null, zone);
            }

            case "DATE_TRUNC":
                return Floor((long)a[1]!, UnitPeriod((string)a[0]!), null, _zone);
            case "TIME_FORMAT":
            {
                if (a[0] is not long t)
                {
                    return null;
                }

                var zone = a.Count > 2 && a[2] is string tz ? Zone(tz) : _zone;
                var local = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(t), zone);
                if (a.Count < 2 || a[1] is null)
                {
                    return local.Offset == TimeSpan.Zero
                        ? local.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)
                        : local.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);
                }

                return local.ToString(DotNetFormat((string)a[1]!), CultureInfo.InvariantCulture);
            }

            case "TIME_PARSE":
            {
                if (a[0] is not string text)
                {
                    return null;
                }

                var zone = a.Count > 2 && a[2] is string tz ? Zone(tz) : _zone;
                if (a.Count > 1 && a[1] is string pattern)
                {
                    return DateTime.TryParseExact(text, DotNetFormat(pattern), CultureInfo.InvariantCulture, DateTimeStyles.None, out var dt)
                        ? ToUtc((dt.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond, zone)
                        : null;
                }

                return ParseTime(text, zone);
            }

            default:
                throw new InvalidOperationException($"the oracle does not evaluate {call.Name}");
        }
    }

    private object? Cast(object? v, SqlType from, string to)
    {
        if (v is null)
        {
            return null;
        }

        switch (to)
        {
            case "VARCHAR" or "CHAR" or "STRING":
                return from switch
                {
                    SqlType.Timestamp => TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds((long)v), _zone).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                    SqlType.Date => TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds((long)v), _zone).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    _ => Str(v),
                };
            case "BIGINT" or "INTEGER" or "INT" or "SMALLINT" or "TINYINT":
                return v switch
                {
                    long l => l,
                    double d => (long)d,
                    string s when long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => l,
                    string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => (long)d,
                    _ => null,
                };
            case "DOUBLE" or "FLOAT" or "REAL" or "DECIMAL" or "NUMERIC":
                return v switch
                {
                    long l => (double)l,
                    double d => d,
                    string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
                    _ => null,
                };
            case "TIMESTAMP":
                return v switch
                {
                    string s => ParseTime(s, _zone),
                    double d => (long)d,
                    _ => v,
                };
            case "DATE":
                return Floor(v is string ds ? (long)ParseTime(ds, _zone)! : (long)v, "P1D", null, _zone);
            default:
                throw new InvalidOperationException(to);
        }
    }

    private static string Str(object? v) => v switch
    {
        null => string.Empty,
        double d => d == Math.Floor(d) && Math.Abs(d) < 1e7 ? d.ToString("0.0", CultureInfo.InvariantCulture) : d.ToString("R", CultureInfo.InvariantCulture),
        _ => Convert.ToString(v, CultureInfo.InvariantCulture)!,
    };

    private static TimeZoneInfo Zone(string id) =>
        id.Length > 0 && id[0] is '+' or '-'
            ? TimeZoneInfo.CreateCustomTimeZone(id, TimeSpan.ParseExact(id[1..], "hh\\:mm", CultureInfo.InvariantCulture) * (id[0] == '-' ? -1 : 1), id, id)
            : id == "UTC" ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(id);

    /// <summary>The instant of a wall-clock time (epoch milliseconds read as local) in <paramref name="zone"/>.</summary>
    public static long ToUtc(long wall, TimeZoneInfo zone)
    {
        var local = DateTime.SpecifyKind(DateTime.UnixEpoch.AddMilliseconds(wall), DateTimeKind.Unspecified);
        return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(local, zone)).ToUnixTimeMilliseconds();
    }

    private static string UnitPeriod(string unit) => unit.ToLowerInvariant() switch
    {
        "second" => "PT1S",
        "minute" => "PT1M",
        "hour" => "PT1H",
        "day" => "P1D",
        "week" => "P1W",
        "month" => "P1M",
        "quarter" => "P3M",
        "year" => "P1Y",
        var u => throw new InvalidOperationException(u),
    };

    /// <summary>Floors an instant to a period of the forms PTnS/PTnM/PTnH, PnD, P1W, PnM, PnY in a zone, from an origin.</summary>
    private static long Floor(long t, string period, long? origin, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(t), zone).DateTime;
        var originLocal = origin is { } o ? TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(o), zone).DateTime : new DateTime(1970, 1, 1);
        var m = Regex.Match(period, @"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$");
        int G(int i) => m.Groups[i].Success ? int.Parse(m.Groups[i].Value, CultureInfo.InvariantCulture) : 0;
        DateTime floored;
        var months = (G(1) * 12) + G(2);
        if (months > 0)
        {
            var index = ((local.Year - originLocal.Year) * 12) + local.Month - originLocal.Month;
            var k = (int)Math.Floor(index / (double)months) * months;
            floored = originLocal.AddMonths(k);
            if (floored > local)
            {
                floored = originLocal.AddMonths(k - months);
            }
        }
        else
        {
            var length = TimeSpan.FromDays((G(3) * 7) + G(4)) + TimeSpan.FromHours(G(5)) + TimeSpan.FromMinutes(G(6)) + TimeSpan.FromSeconds(G(7));
            if (G(3) > 0 && origin is null)
            {
                // Joda weeks start on Monday: 1970-01-05 was one
                originLocal = new DateTime(1970, 1, 5);
            }

            var n = (long)Math.Floor((local - originLocal).Ticks / (double)length.Ticks);
            floored = originLocal + TimeSpan.FromTicks(n * length.Ticks);
        }

        return ToUtc((floored.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond, zone);
    }

    // Joda letters y M d H m s S and quoted literals as a .NET custom format
    private static string DotNetFormat(string joda)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < joda.Length; i++)
        {
            var c = joda[i];
            if (c == '\'')
            {
                var end = joda.IndexOf('\'', i + 1);
                sb.Append('\'').Append(joda, i + 1, end - i - 1).Append('\'');
                i = end;
            }
            else
            {
                sb.Append(c switch { 'S' => 'f', 'Y' => 'y', _ when char.IsAsciiLetter(c) => c, _ => c });
                if (!char.IsAsciiLetter(c))
                {
                    sb.Insert(sb.Length - 1, '\\');
                }
            }
        }

        return sb.ToString();
    }

    private object? Aggregate(SqlFunctionCall call, List<Row> group)
    {
        if (call.Filter is { } filter)
        {
            group = group.Where(r => Eval(filter, r, null) is true).ToList();
        }

        if (call.Star)
        {
            return (long)group.Count;
        }

        var values = group.Select(r => Eval(call.Arguments[0], r, null)).Where(v => v is not null).ToList();
        switch (call.Name)
        {
            case "COUNT" when call.Distinct:
            case "APPROX_COUNT_DISTINCT":
                return (long)values.SelectMany(v => v is SetSketch sketch ? sketch.Values : [StringComparers.ToDimensionString(v)!]).Distinct().Count();
            case "COUNT":
                return (long)values.Count;
            case "SUM":
                return values.Count == 0 ? null : SqlValidator.TypeOf(call, Table) == SqlType.Bigint ? values.Sum(v => Convert.ToInt64(v, CultureInfo.InvariantCulture)) : values.Sum(v => Convert.ToDouble(v, CultureInfo.InvariantCulture));
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

    // Calcite casts a string compared with a number or a time to that type (times in the connection's zone)
    private int CompareTyped(object a, object b, SqlExpr? left, SqlExpr? right)
    {
        if (a is string sa && b is string sb)
        {
            return string.CompareOrdinal(sa, sb);
        }

        if (a is string s)
        {
            a = FromString(s, right);
        }

        if (b is string t)
        {
            b = FromString(t, left);
        }

        return Compare(a, b);
    }

    private object FromString(string s, SqlExpr? other)
    {
        var otherIsTime = other is not null && SqlValidator.TypeOf(other, Table).IsTime();
        if (!otherIsTime && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return d;
        }

        return ParseTime(s, _zone) ?? throw new InvalidOperationException($"'{s}' is no time");
    }

    /// <summary>An ISO-8601 time (T or a space), wall-clock in <paramref name="zone"/> unless it has an offset.</summary>
    private static long? ParseTime(string s, TimeZoneInfo zone)
    {
        s = s.Trim();
        if (!Regex.IsMatch(s, @"^\d{4}-\d{2}-\d{2}([T ]\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?)?(Z|[+-]\d{2}:?\d{2})?$"))
        {
            return null;
        }

        var hasOffset = Regex.IsMatch(s, @"(Z|[+-]\d{2}:?\d{2})$") && s.Length > 10;
        if (hasOffset)
        {
            return DateTimeOffset.Parse(s, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
        }

        var wall = DateTime.Parse(s.Length == 13 ? s + ":00" : s, CultureInfo.InvariantCulture, DateTimeStyles.None);
        return ToUtc((wall.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond, zone);
    }
}
