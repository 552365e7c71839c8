using System.Text;

namespace Tributary.Sql;

/// <summary>
/// Splits SQL text into <see cref="SqlToken"/>s. Keywords are case-insensitive; comments (<c>--</c> to the end of the
/// line, <c>/* */</c>) and white space are skipped; every token carries its line and column.
/// </summary>
public static class SqlTokenizer
{
    /// <summary>The reserved words: never read as identifiers unless quoted.</summary>
    public static readonly IReadOnlySet<string> Keywords = new HashSet<string>(StringComparer.Ordinal)
    {
        "ALL", "AND", "AS", "ASC", "BETWEEN", "BY", "CASE", "CAST", "CURRENT_TIMESTAMP", "DESC", "DISTINCT", "ELSE",
        "END", "ESCAPE", "EXCEPT", "EXPLAIN", "FALSE", "FETCH", "FILTER", "FOR", "FROM", "FULL", "GROUP", "HAVING",
        "IN", "INNER", "INTERSECT", "INTERVAL", "IS", "JOIN", "LEFT", "LIKE", "LIMIT", "NOT", "NULL", "OFFSET", "ON",
        "OR", "ORDER", "OUTER", "PLAN", "RIGHT", "SELECT", "THEN", "TIMESTAMP", "TO", "TRUE", "UNION", "WHEN",
        "WHERE", "WITH",
    };

    /// <summary>Tokenizes <paramref name="sql"/>; the last token is <see cref="SqlTokenKind.End"/>.</summary>
    /// <exception cref="SqlParseException">An unterminated string, identifier or comment, or a character SQL has no use for.</exception>
    public static List<SqlToken> Tokenize(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var tokens = new List<SqlToken>();
        var i = 0;
        var line = 1;
        var lineStart = 0;
        while (true)
        {
            // skip white space and comments, tracking lines
            while (i < sql.Length)
            {
                var c = sql[i];
                if (c == '\n')
                {
                    i++;
                    line++;
                    lineStart = i;
                }
                else if (char.IsWhiteSpace(c))
                {
                    i++;
                }
                else if (c == '-' && i + 1 < sql.Length && sql[i + 1] == '-')
                {
                    while (i < sql.Length && sql[i] != '\n')
                    {
                        i++;
                    }
                }
                else if (c == '/' && i + 1 < sql.Length && sql[i + 1] == '*')
                {
                    var start = new SqlPosition(line, i - lineStart + 1);
                    i += 2;
                    while (i < sql.Length && !(sql[i] == '*' && i + 1 < sql.Length && sql[i + 1] == '/'))
                    {
                        if (sql[i] == '\n')
                        {
                            line++;
                            lineStart = i + 1;
                        }

                        i++;
                    }

                    if (i >= sql.Length)
                    {
                        throw new SqlParseException("Unterminated comment: '/*' without '*/'", start);
                    }

                    i += 2;
                }
                else
                {
                    break;
                }
            }

            var pos = new SqlPosition(line, i - lineStart + 1);
            if (i >= sql.Length)
            {
                tokens.Add(new SqlToken(SqlTokenKind.End, string.Empty, pos));
                return tokens;
            }

            var ch = sql[i];
            if (char.IsLetter(ch) || ch == '_')
            {
                var start = i;
                while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] == '_' || sql[i] == '$'))
                {
                    i++;
                }

                var word = sql[start..i];
                var upper = word.ToUpperInvariant();
                tokens.Add(Keywords.Contains(upper) ? new SqlToken(SqlTokenKind.Keyword, upper, pos) : new SqlToken(SqlTokenKind.Identifier, word, pos));
            }
            else if (char.IsAsciiDigit(ch) || (ch == '.' && i + 1 < sql.Length && char.IsAsciiDigit(sql[i + 1])))
            {
                var start = i;
                while (i < sql.Length && char.IsAsciiDigit(sql[i]))
                {
                    i++;
                }

                if (i < sql.Length && sql[i] == '.')
                {
                    i++;
                    while (i < sql.Length && char.IsAsciiDigit(sql[i]))
                    {
                        i++;
                    }
                }

                if (i < sql.Length && (sql[i] == 'e' || sql[i] == 'E'))
                {
                    var e = i + 1;
                    if (e < sql.Length && (sql[e] == '+' || sql[e] == '-'))
                    {
                        e++;
                    }

                    if (e < sql.Length && char.IsAsciiDigit(sql[e]))
                    {
                        i = e;
                        while (i < sql.Length && char.IsAsciiDigit(sql[i]))
                        {
                            i++;
                        }
                    }
                }

                if (i < sql.Length && (char.IsLetter(sql[i]) || sql[i] == '_'))
                {
                    throw new SqlParseException($"Malformed number '{sql[start..(i + 1)]}'", pos);
                }

                tokens.Add(new SqlToken(SqlTokenKind.Number, sql[start..i], pos));
            }
            else if (ch == '\'' || ch == '"')
            {
                var text = ReadQuoted(sql, ref i, ch, pos);
                tokens.Add(new SqlToken(ch == '\'' ? SqlTokenKind.String : SqlTokenKind.QuotedIdentifier, text, pos));
            }
            else if (ch == '?')
            {
                i++;
                tokens.Add(new SqlToken(SqlTokenKind.Parameter, "?", pos));
            }
            else
            {
                var two = i + 1 < sql.Length ? sql.Substring(i, 2) : null;
                if (two is "<>" or "!=" or "<=" or ">=" or "||")
                {
                    i += 2;
                    tokens.Add(new SqlToken(SqlTokenKind.Operator, two == "!=" ? "<>" : two, pos));
                }
                else if ("(),.*+-/%=<>;".Contains(ch, StringComparison.Ordinal))
                {
                    i++;
                    tokens.Add(new SqlToken(SqlTokenKind.Operator, ch.ToString(), pos));
                }
                else
                {
                    throw new SqlParseException($"Lexical error: unexpected character '{ch}'", pos);
                }
            }
        }
    }

    private static string ReadQuoted(string sql, ref int i, char quote, SqlPosition pos)
    {
        var sb = new StringBuilder();
        i++;
        while (true)
        {
            if (i >= sql.Length)
            {
                throw new SqlParseException(quote == '\'' ? "Unterminated string literal" : "Unterminated quoted identifier", pos);
            }

            if (sql[i] == quote)
            {
                if (i + 1 < sql.Length && sql[i + 1] == quote)
                {
                    sb.Append(quote);
                    i += 2;
                    continue;
                }

                i++;
                return sb.ToString();
            }

            sb.Append(sql[i]);
            i++;
        }
    }
}
