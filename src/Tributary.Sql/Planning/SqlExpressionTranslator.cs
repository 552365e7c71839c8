using System.Globalization;
using System.Text;
using Tributary.Query;

namespace Tributary.Sql;

/// <summary>
/// Translates a scalar SQL expression (no aggregates) into the subset of Druid's expression language that
/// <see cref="Expr"/> evaluates, for expression virtual columns: columns, literals, arithmetic, comparisons and logic
/// (three-valued, as <see cref="Expr"/>'s), <c>||</c>/CONCAT, CASE, CAST, COALESCE, LOWER/UPPER/TRIM, SUBSTRING,
/// CHAR_LENGTH, ABS/FLOOR/CEIL, and the time functions with the connection's time zone (<c>sqlTimeZone</c>) as the
/// default. TIMESTAMP values are epoch milliseconds (longs); BOOLEAN values are 1/0. What has no translation raises
/// <see cref="SqlPlanningException"/> naming it.
/// </summary>
internal sealed class SqlExpressionTranslator(SqlTable table, TimeZoneInfo zone, Func<SqlExpr, long?> foldTime)
{
    private string ZoneLiteral => Quote(zone.Id);

    /// <summary>The expression text and its SQL type.</summary>
    public (string Text, SqlType Type) Translate(SqlExpr e)
    {
        var type = SqlValidator.TypeOf(e, table);
        return (Text(e, type), type);
    }

    private SqlType TypeOf(SqlExpr e) => SqlValidator.TypeOf(e, table);

    private string Text(SqlExpr e) => Text(e, TypeOf(e));

    private string Text(SqlExpr e, SqlType type)
    {
        if (type.IsTime() && foldTime(e) is { } constantTime)
        {
            return constantTime.ToString(CultureInfo.InvariantCulture);
        }

        switch (e)
        {
            case SqlIdentifier id:
                return Identifier(table.FindColumn(id.Name)!.Name);
            case SqlLiteral lit:
                return lit.Kind switch
                {
                    SqlLiteralKind.Null => "null",
                    SqlLiteralKind.Boolean => (bool)lit.Value! ? "1" : "0",
                    SqlLiteralKind.Integer => ((long)lit.Value!).ToString(CultureInfo.InvariantCulture),
                    SqlLiteralKind.Decimal => StringComparers.FormatDouble((double)lit.Value!),
                    SqlLiteralKind.String => Quote((string)lit.Value!),
                    _ => throw Unsupported(e, "this literal"),
                };
            case SqlUnary { Operator: "NOT" } n:
                return $"!({Text(n.Operand)})";
            case SqlUnary { Operator: "-" } u:
                return $"-({Text(u.Operand)})";
            case SqlBinary { Operator: "AND" or "OR" } b:
                return $"({Text(b.Left)} {(b.Operator == "AND" ? "&&" : "||")} {Text(b.Right)})";
            case SqlBinary { Operator: "=" or "<>" or "<" or "<=" or ">" or ">=" } b:
                return Comparison(b.Left, b.Operator, b.Right);
            case SqlBinary { Operator: "||" } b:
                return $"concat({Text(b.Left)}, {Text(b.Right)})";
            case SqlBinary { Operator: "+" or "-" } b when b.Right is SqlIntervalLiteral iv:
                return $"({Text(b.Left)} {b.Operator} {IntervalMillis(iv)})";
            case SqlBinary { Operator: "+" } b when b.Left is SqlIntervalLiteral iv:
                return $"({Text(b.Right)} + {IntervalMillis(iv)})";
            case SqlBinary { Operator: "+" or "-" or "*" or "/" or "%" } b:
                // two longs divide as integers, as SQL's BIGINT division does
                return $"({Text(b.Left)} {b.Operator} {Text(b.Right)})";

            case SqlIn i:
            {
                var v = Text(i.Value);
                var any = "(" + string.Join(" || ", i.List.Select(x => Comparison(i.Value, "=", x, v))) + ")";
                return i.Negated ? $"!{any}" : any;
            }

            case SqlBetween bt:
            {
                var inside = $"({Comparison(bt.Value, ">=", bt.Low)} && {Comparison(bt.Value, "<=", bt.High)})";
                return bt.Negated ? $"!{inside}" : inside;
            }

            case SqlIsNull n:
                return $"{(n.Negated ? "notnull" : "isnull")}({Text(n.Value)})";
            case SqlCase c:
                return Case(c, type);
            case SqlCast c:
                return Cast(c);
            case SqlFloorTo { Ceil: false } f:
                return $"timestamp_floor({Text(f.Value)}, {Quote(UnitPeriod(f.Unit))}, null, {ZoneLiteral})";
            case SqlFunctionCall call when !SqlValidator.IsAggregate(call):
                return Function(call, type);
            default:
                throw Unsupported(e, e switch
                {
                    SqlLike => "LIKE inside an expression",
                    SqlFloorTo => "CEIL of a time",
                    SqlIntervalLiteral => "an INTERVAL outside time arithmetic",
                    _ => "this expression",
                });
        }
    }

    private string Comparison(SqlExpr left, string op, SqlExpr right, string? leftText = null)
    {
        var lt = TypeOf(left);
        var rt = TypeOf(right);
        var l = leftText ?? Text(left, lt);
        var r = Text(right, rt);

        // a string compared with a time is read as a time in the connection's zone (Calcite casts it)
        if (lt == SqlType.Varchar && rt.IsTime())
        {
            l = $"timestamp_parse({l}, null, {ZoneLiteral})";
        }
        else if (rt == SqlType.Varchar && lt.IsTime())
        {
            r = $"timestamp_parse({r}, null, {ZoneLiteral})";
        }

        var native = op switch { "=" => "==", "<>" => "!=", _ => op };
        return $"({l} {native} {r})";
    }

    private string Case(SqlCase c, SqlType type)
    {
        var result = c.Else is null ? "null" : Branch(c.Else, type);
        for (var i = c.Whens.Count - 1; i >= 0; i--)
        {
            var w = c.Whens[i];
            var condition = c.Operand is null ? Text(w.When) : Comparison(c.Operand, "=", w.When);
            result = $"if({condition}, {Branch(w.Then, type)}, {result})";
        }

        return result;
    }

    // CASE branches of mixed BIGINT and DOUBLE give a DOUBLE
    private string Branch(SqlExpr e, SqlType type)
    {
        var text = Text(e);
        return type == SqlType.Double && TypeOf(e) == SqlType.Bigint ? $"cast({text}, 'DOUBLE')" : text;
    }

    private string Cast(SqlCast c)
    {
        var from = TypeOf(c.Value);
        var value = Text(c.Value, from);
        switch (c.TypeName)
        {
            case "VARCHAR" or "CHAR" or "STRING":
                return from switch
                {
                    SqlType.Varchar => value,
                    SqlType.Timestamp => $"timestamp_format({value}, 'yyyy-MM-dd HH:mm:ss', {ZoneLiteral})",
                    SqlType.Date => $"timestamp_format({value}, 'yyyy-MM-dd', {ZoneLiteral})",
                    SqlType.Boolean => $"if(isnull({value}), null, if({value}, 'true', 'false'))",
                    _ => $"cast({value}, 'STRING')",
                };
            case "BIGINT" or "INTEGER" or "INT" or "SMALLINT" or "TINYINT":
                return from is SqlType.Bigint or SqlType.Timestamp or SqlType.Date or SqlType.Boolean ? value : $"cast({value}, 'LONG')";
            case "DOUBLE" or "FLOAT" or "REAL" or "DECIMAL" or "NUMERIC":
                return from == SqlType.Double ? value : $"cast({value}, 'DOUBLE')";
            case "TIMESTAMP":
                return from switch
                {
                    SqlType.Varchar => $"timestamp_parse({value}, null, {ZoneLiteral})",
                    SqlType.Double => $"cast({value}, 'LONG')",
                    _ => value,
                };
            case "DATE":
            {
                var time = from == SqlType.Varchar ? $"timestamp_parse({value}, null, {ZoneLiteral})" : value;
                return $"timestamp_floor({time}, 'P1D', null, {ZoneLiteral})";
            }

            default:
                throw Unsupported(c, $"CAST to {c.TypeName}");
        }
    }

    private string Function(SqlFunctionCall call, SqlType type)
    {
        var args = call.Arguments;
        switch (call.Name)
        {
            case "LOWER" or "UPPER" or "TRIM" or "LTRIM" or "RTRIM":
                return $"{call.Name.ToLowerInvariant()}({Text(args[0])})";
            case "CHAR_LENGTH" or "CHARACTER_LENGTH" or "LENGTH" or "STRLEN":
                return $"strlen({Text(args[0])})";
            case "CONCAT":
                return $"concat({string.Join(", ", args.Select(Text))})";
            case "SUBSTRING" or "SUBSTR":
            {
                if (args[1] is not SqlLiteral { Kind: SqlLiteralKind.Integer, Value: long start } || start < 1)
                {
                    throw new SqlPlanningException($"{call}: SUBSTRING needs a positive integer literal as its start", args[1].Position);
                }

                long length = -1;
                if (args.Count == 3 && (args[2] is not SqlLiteral { Kind: SqlLiteralKind.Integer, Value: long n } || (length = n) < 0))
                {
                    throw new SqlPlanningException($"{call}: SUBSTRING needs a non-negative integer literal as its length", args[2].Position);
                }

                return $"substring({Text(args[0])}, {start - 1}, {length})";
            }

            case "ABS":
                return $"abs({Text(args[0])})";
            case "FLOOR" or "CEIL":
            {
                var inner = $"{call.Name.ToLowerInvariant()}({Text(args[0])})";
                return type == SqlType.Bigint ? $"cast({inner}, 'LONG')" : inner;
            }

            case "COALESCE" or "NVL" or "IFNULL":
            {
                var result = Branch(args[^1], type);
                for (var i = args.Count - 2; i >= 0; i--)
                {
                    result = $"nvl({Branch(args[i], type)}, {result})";
                }

                return result;
            }

            case "MILLIS_TO_TIMESTAMP" or "TIMESTAMP_TO_MILLIS":
                return Text(args[0]);
            case "TIME_FLOOR":
            {
                var period = StringLiteral(call, 1, "an ISO-8601 period literal such as 'PT1H'");
                if (!Period.TryParse(period, out var p) || (p.HasCalendarFields && p.FixedMillis != 0))
                {
                    throw new SqlPlanningException($"TIME_FLOOR period '{period}' is not an ISO-8601 period of one kind (months/years or fixed units)", args[1].Position);
                }

                var origin = args.Count >= 3 && args[2] is not SqlLiteral { Kind: SqlLiteralKind.Null }
                    ? (foldTime(args[2]) ?? throw new SqlPlanningException($"TIME_FLOOR's origin must be a time constant: {call}", args[2].Position)).ToString(CultureInfo.InvariantCulture)
                    : "null";
                return $"timestamp_floor({Text(args[0])}, {Quote(period)}, {origin}, {ZoneArgument(call, 3)})";
            }

            case "DATE_TRUNC":
            {
                var unit = StringLiteral(call, 0, "a unit literal such as 'day'");
                if (!SqlParser.TryUnit(unit, out var u))
                {
                    throw new SqlPlanningException($"DATE_TRUNC unit '{unit}' is not one of second, minute, hour, day, week, month, quarter, year", args[0].Position);
                }

                return $"timestamp_floor({Text(args[1])}, {Quote(UnitPeriod(u))}, null, {ZoneLiteral})";
            }

            case "TIME_FORMAT":
            {
                var pattern = args.Count >= 2 && args[1] is not SqlLiteral { Kind: SqlLiteralKind.Null } ? StringLiteral(call, 1, "a Joda pattern literal") : null;
                if (pattern is not null)
                {
                    try
                    {
                        JodaFormat.Parse(pattern);
                    }
                    catch (FormatException ex)
                    {
                        throw new SqlPlanningException($"TIME_FORMAT pattern '{pattern}': {ex.Message}", args[1].Position);
                    }
                }

                return $"timestamp_format({Text(args[0])}, {(pattern is null ? "null" : Quote(pattern))}, {ZoneArgument(call, 2)})";
            }

            case "TIME_PARSE":
            {
                var pattern = args.Count >= 2 && args[1] is not SqlLiteral { Kind: SqlLiteralKind.Null } ? StringLiteral(call, 1, "a Joda pattern literal") : null;
                if (pattern is not null && !TimeFunctions.CanParseWith(pattern))
                {
                    throw new SqlPlanningException($"TIME_PARSE pattern '{pattern}': only the Joda letters y M d H m s S and literals can be parsed", args[1].Position);
                }

                return $"timestamp_parse({Text(args[0])}, {(pattern is null ? "null" : Quote(pattern))}, {ZoneArgument(call, 2)})";
            }

            default:
                throw Unsupported(call, $"function {call.Name}");
        }
    }

    private string ZoneArgument(SqlFunctionCall call, int index)
    {
        if (call.Arguments.Count <= index || call.Arguments[index] is SqlLiteral { Kind: SqlLiteralKind.Null })
        {
            return ZoneLiteral;
        }

        var id = StringLiteral(call, index, "a time zone literal such as 'America/Los_Angeles'");
        return TimeFunctions.FindZone(id) is not null
            ? Quote(id)
            : throw new SqlPlanningException($"Unknown time zone '{id}' in {call.Name}", call.Arguments[index].Position);
    }

    private static string StringLiteral(SqlFunctionCall call, int index, string what) =>
        call.Arguments[index] is SqlLiteral { Kind: SqlLiteralKind.String, Value: string s }
            ? s
            : throw new SqlPlanningException($"{call.Name} needs {what} as argument {index + 1}: {call}", call.Arguments[index].Position);

    private static long IntervalMillis(SqlIntervalLiteral iv) => iv.Unit switch
    {
        SqlTimeUnit.Second => iv.Count * 1000L,
        SqlTimeUnit.Minute => iv.Count * 60_000L,
        SqlTimeUnit.Hour => iv.Count * 3_600_000L,
        SqlTimeUnit.Day => iv.Count * 86_400_000L,
        SqlTimeUnit.Week => iv.Count * 7 * 86_400_000L,
        _ => throw new SqlPlanningException($"{iv} added to a time that is not a constant needs calendar arithmetic (TIME_SHIFT), which is not planned", iv.Position),
    };

    /// <summary>The ISO-8601 period of a FLOOR / DATE_TRUNC unit.</summary>
    public static string UnitPeriod(SqlTimeUnit unit) => unit switch
    {
        SqlTimeUnit.Second => "PT1S",
        SqlTimeUnit.Minute => "PT1M",
        SqlTimeUnit.Hour => "PT1H",
        SqlTimeUnit.Day => "P1D",
        SqlTimeUnit.Week => "P1W",
        SqlTimeUnit.Month => "P1M",
        SqlTimeUnit.Quarter => "P3M",
        _ => "P1Y",
    };

    private static string Identifier(string name) => "\"" + name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static string Quote(string s)
    {
        var sb = new StringBuilder("'");
        foreach (var c in s)
        {
            sb.Append(c switch { '\'' => "\\'", '\\' => "\\\\", _ => c.ToString() });
        }

        return sb.Append('\'').ToString();
    }

    private static SqlPlanningException Unsupported(SqlExpr e, string what) =>
        new($"{e}: {what} has no translation to a native expression", e.Position);
}
