using System.Globalization;
using System.Text;

namespace Tributary.Sql;

/// <summary>Prints expressions back as SQL, fully parenthesised (error messages, tests, de-duplicating aggregates).</summary>
public static class SqlFormatter
{
    /// <summary>The expression as SQL text with every operator parenthesised.</summary>
    public static string Format(SqlExpr expr)
    {
        var sb = new StringBuilder();
        Write(sb, expr);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, SqlExpr e)
    {
        switch (e)
        {
            case SqlIdentifier id:
                sb.AppendJoin('.', id.Parts);
                break;
            case SqlLiteral lit:
                sb.Append(lit.Kind switch
                {
                    SqlLiteralKind.Null => "NULL",
                    SqlLiteralKind.Boolean => (bool)lit.Value! ? "TRUE" : "FALSE",
                    SqlLiteralKind.Integer => ((long)lit.Value!).ToString(CultureInfo.InvariantCulture),
                    SqlLiteralKind.Decimal => ((double)lit.Value!).ToString("R", CultureInfo.InvariantCulture),
                    SqlLiteralKind.String => "'" + ((string)lit.Value!).Replace("'", "''", StringComparison.Ordinal) + "'",
                    SqlLiteralKind.Timestamp => "TIMESTAMP '" + Tributary.Query.IsoTime.Format((long)lit.Value!) + "'",
                    _ => "DATE '" + Tributary.Query.IsoTime.Format((long)lit.Value!)[..10] + "'",
                });
                break;
            case SqlIntervalLiteral iv:
                sb.Append("INTERVAL '").Append(iv.Count.ToString(CultureInfo.InvariantCulture)).Append("' ").Append(iv.Unit.ToString().ToUpperInvariant());
                break;
            case SqlParameter p:
                sb.Append('?').Append(p.Index.ToString(CultureInfo.InvariantCulture));
                break;
            case SqlCurrentTimestamp:
                sb.Append("CURRENT_TIMESTAMP");
                break;
            case SqlUnary u:
                sb.Append('(').Append(u.Operator).Append(u.Operator == "NOT" ? " " : string.Empty);
                Write(sb, u.Operand);
                sb.Append(')');
                break;
            case SqlBinary b:
                sb.Append('(');
                Write(sb, b.Left);
                sb.Append(' ').Append(b.Operator).Append(' ');
                Write(sb, b.Right);
                sb.Append(')');
                break;
            case SqlIn i:
                sb.Append('(');
                Write(sb, i.Value);
                sb.Append(i.Negated ? " NOT IN (" : " IN (");
                for (var k = 0; k < i.List.Count; k++)
                {
                    if (k > 0)
                    {
                        sb.Append(", ");
                    }

                    Write(sb, i.List[k]);
                }

                sb.Append("))");
                break;
            case SqlBetween bt:
                sb.Append('(');
                Write(sb, bt.Value);
                sb.Append(bt.Negated ? " NOT BETWEEN " : " BETWEEN ");
                Write(sb, bt.Low);
                sb.Append(" AND ");
                Write(sb, bt.High);
                sb.Append(')');
                break;
            case SqlLike l:
                sb.Append('(');
                Write(sb, l.Value);
                sb.Append(l.Negated ? " NOT LIKE " : " LIKE ");
                Write(sb, l.Pattern);
                if (l.Escape is not null)
                {
                    sb.Append(" ESCAPE ");
                    Write(sb, l.Escape);
                }

                sb.Append(')');
                break;
            case SqlIsNull n:
                sb.Append('(');
                Write(sb, n.Value);
                sb.Append(n.Negated ? " IS NOT NULL)" : " IS NULL)");
                break;
            case SqlFunctionCall f:
                sb.Append(f.Name).Append('(');
                if (f.Star)
                {
                    sb.Append('*');
                }

                if (f.Distinct)
                {
                    sb.Append("DISTINCT ");
                }

                for (var k = 0; k < f.Arguments.Count; k++)
                {
                    if (k > 0)
                    {
                        sb.Append(", ");
                    }

                    Write(sb, f.Arguments[k]);
                }

                sb.Append(')');
                if (f.Filter is not null)
                {
                    sb.Append(" FILTER (WHERE ");
                    Write(sb, f.Filter);
                    sb.Append(')');
                }

                break;
            case SqlCase c:
                sb.Append("CASE");
                if (c.Operand is not null)
                {
                    sb.Append(' ');
                    Write(sb, c.Operand);
                }

                foreach (var w in c.Whens)
                {
                    sb.Append(" WHEN ");
                    Write(sb, w.When);
                    sb.Append(" THEN ");
                    Write(sb, w.Then);
                }

                if (c.Else is not null)
                {
                    sb.Append(" ELSE ");
                    Write(sb, c.Else);
                }

                sb.Append(" END");
                break;
            case SqlCast cast:
                sb.Append("CAST(");
                Write(sb, cast.Value);
                sb.Append(" AS ").Append(cast.TypeName).Append(')');
                break;
            case SqlFloorTo fl:
                sb.Append(fl.Ceil ? "CEIL(" : "FLOOR(");
                Write(sb, fl.Value);
                sb.Append(" TO ").Append(fl.Unit.ToString().ToUpperInvariant()).Append(')');
                break;
            default:
                sb.Append(e.GetType().Name);
                break;
        }
    }
}
