using System.Globalization;

namespace Tributary.Sql;

/// <summary>
/// A recursive-descent parser for the Druid SQL subset (see README): one SELECT, optionally under
/// <c>EXPLAIN PLAN FOR</c>, into an immutable <see cref="SqlStatement"/>. Precedence, loosest first: OR, AND, NOT,
/// comparisons / IS / IN / BETWEEN / LIKE, <c>+ -</c>, <c>* / % ||</c>, unary minus.
/// </summary>
public sealed class SqlParser
{
    private readonly List<SqlToken> _tokens;
    private int _next;
    private int _parameters;

    private SqlParser(List<SqlToken> tokens) => _tokens = tokens;

    /// <summary>Parses one statement.</summary>
    /// <exception cref="SqlParseException">The text is not a statement of the subset; the message names the offending token and its position.</exception>
    public static SqlStatement Parse(string sql)
    {
        var parser = new SqlParser(SqlTokenizer.Tokenize(sql));
        return parser.ParseStatement();
    }

    /// <summary>Parses one expression (for tests and callers that receive expressions alone).</summary>
    public static SqlExpr ParseExpression(string sql)
    {
        var parser = new SqlParser(SqlTokenizer.Tokenize(sql));
        var e = parser.Expression();
        parser.ExpectEnd();
        return e;
    }

    private SqlToken Peek => _tokens[_next];

    private SqlToken PeekAt(int ahead) => _tokens[Math.Min(_next + ahead, _tokens.Count - 1)];

    private SqlStatement ParseStatement()
    {
        var explain = false;
        if (Peek.IsKeyword("EXPLAIN"))
        {
            Advance();
            ExpectKeyword("PLAN");
            ExpectKeyword("FOR");
            explain = true;
        }

        var select = Select();
        ExpectEnd();
        return new SqlStatement(select, explain, _parameters);
    }

    private void ExpectEnd()
    {
        if (Peek.IsOperator(";"))
        {
            Advance();
        }

        if (Peek.Kind != SqlTokenKind.End)
        {
            throw Unexpected(Peek, "<EOF>");
        }
    }

    private SqlSelect Select()
    {
        var start = ExpectKeyword("SELECT");
        var distinct = false;
        if (Peek.IsKeyword("DISTINCT"))
        {
            Advance();
            distinct = true;
        }
        else if (Peek.IsKeyword("ALL"))
        {
            Advance();
        }

        var items = new List<SqlSelectItem> { SelectItem() };
        while (Accept(","))
        {
            items.Add(SelectItem());
        }

        SqlTableRef? from = null;
        if (AcceptKeyword("FROM"))
        {
            from = TableRef();
        }

        SqlExpr? where = AcceptKeyword("WHERE") ? Expression() : null;
        var groupBy = new List<SqlExpr>();
        if (AcceptKeyword("GROUP"))
        {
            ExpectKeyword("BY");
            groupBy.Add(Expression());
            while (Accept(","))
            {
                groupBy.Add(Expression());
            }
        }

        SqlExpr? having = AcceptKeyword("HAVING") ? Expression() : null;
        var orderBy = new List<SqlOrderItem>();
        if (AcceptKeyword("ORDER"))
        {
            ExpectKeyword("BY");
            do
            {
                var e = Expression();
                var descending = false;
                if (AcceptKeyword("DESC"))
                {
                    descending = true;
                }
                else
                {
                    AcceptKeyword("ASC");
                }

                orderBy.Add(new SqlOrderItem(e, descending) { Position = e.Position });
            }
            while (Accept(","));
        }

        SqlExpr? limit = null;
        SqlExpr? offset = null;
        if (AcceptKeyword("LIMIT"))
        {
            limit = Count("LIMIT");
        }

        if (AcceptKeyword("OFFSET"))
        {
            offset = Count("OFFSET");
            if (Peek.Kind == SqlTokenKind.Identifier && Peek.Text.ToUpperInvariant() is "ROW" or "ROWS")
            {
                Advance();
            }
        }

        if (Peek.IsKeyword("UNION") || Peek.IsKeyword("JOIN") || Peek.IsKeyword("INTERSECT") || Peek.IsKeyword("EXCEPT"))
        {
            throw new SqlParseException($"{Peek.Text} is not supported; Tributary SQL reads one table per query", Peek.Position);
        }

        return new SqlSelect
        {
            Position = start.Position,
            Distinct = distinct,
            Items = items,
            From = from,
            Where = where,
            GroupBy = groupBy,
            Having = having,
            OrderBy = orderBy,
            Limit = limit,
            Offset = offset,
        };
    }

    private SqlExpr Count(string clause)
    {
        var t = Peek;
        if (t.Kind == SqlTokenKind.Number && long.TryParse(t.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            Advance();
            return new SqlLiteral(SqlLiteralKind.Integer, n) { Position = t.Position };
        }

        if (t.Kind == SqlTokenKind.Parameter)
        {
            Advance();
            return new SqlParameter(_parameters++) { Position = t.Position };
        }

        throw Unexpected(t, $"a non-negative integer after {clause}");
    }

    private SqlSelectItem SelectItem()
    {
        var t = Peek;
        if (t.IsOperator("*"))
        {
            Advance();
            return new SqlSelectItem(null, null) { Position = t.Position };
        }

        var e = Expression();
        string? alias = null;
        if (AcceptKeyword("AS"))
        {
            alias = Name("an alias after AS");
        }
        else if (Peek.Kind is SqlTokenKind.Identifier or SqlTokenKind.QuotedIdentifier)
        {
            alias = Advance().Text;
        }

        return new SqlSelectItem(e, alias) { Position = t.Position };
    }

    private SqlTableRef TableRef()
    {
        var t = Peek;
        var first = Name("a table name");
        string? schema = null;
        var name = first;
        if (Accept("."))
        {
            schema = first;
            name = Name("a table name");
        }

        // a table alias is allowed (and ignored: there is only one table)
        if (AcceptKeyword("AS"))
        {
            Name("a table alias");
        }
        else if (Peek.Kind is SqlTokenKind.Identifier or SqlTokenKind.QuotedIdentifier)
        {
            Advance();
        }

        return new SqlTableRef(schema, name) { Position = t.Position };
    }

    private string Name(string expected)
    {
        var t = Peek;
        if (t.Kind is SqlTokenKind.Identifier or SqlTokenKind.QuotedIdentifier)
        {
            Advance();
            return t.Text;
        }

        throw Unexpected(t, expected);
    }

    /// <summary>Any expression (the loosest level, OR).</summary>
    private SqlExpr Expression()
    {
        var left = And();
        while (Peek.IsKeyword("OR"))
        {
            Advance();
            var right = And();
            left = new SqlBinary("OR", left, right) { Position = left.Position };
        }

        return left;
    }

    private SqlExpr And()
    {
        var left = Not();
        while (Peek.IsKeyword("AND"))
        {
            Advance();
            var right = Not();
            left = new SqlBinary("AND", left, right) { Position = left.Position };
        }

        return left;
    }

    private SqlExpr Not()
    {
        if (Peek.IsKeyword("NOT"))
        {
            var t = Advance();
            return new SqlUnary("NOT", Not()) { Position = t.Position };
        }

        return Predicate();
    }

    private SqlExpr Predicate()
    {
        var left = Additive();
        var t = Peek;
        if (t.Kind == SqlTokenKind.Operator && t.Text is "=" or "<>" or "<" or "<=" or ">" or ">=")
        {
            Advance();
            var right = Additive();
            return new SqlBinary(t.Text, left, right) { Position = left.Position };
        }

        if (t.IsKeyword("IS"))
        {
            Advance();
            var negated = AcceptKeyword("NOT");
            ExpectKeyword("NULL");
            return new SqlIsNull(left, negated) { Position = left.Position };
        }

        var not = false;
        if (t.IsKeyword("NOT") && (PeekAt(1).IsKeyword("IN") || PeekAt(1).IsKeyword("BETWEEN") || PeekAt(1).IsKeyword("LIKE")))
        {
            Advance();
            not = true;
            t = Peek;
        }

        if (t.IsKeyword("IN"))
        {
            Advance();
            Expect("(");
            if (Peek.IsKeyword("SELECT"))
            {
                throw new SqlParseException("IN (SELECT ...) sub-queries are not supported", Peek.Position);
            }

            var list = new List<SqlExpr> { Expression() };
            while (Accept(","))
            {
                list.Add(Expression());
            }

            Expect(")");
            return new SqlIn(left, list, not) { Position = left.Position };
        }

        if (t.IsKeyword("BETWEEN"))
        {
            Advance();
            if (Peek.Kind == SqlTokenKind.Identifier && Peek.Text.ToUpperInvariant() is "SYMMETRIC" or "ASYMMETRIC")
            {
                throw new SqlParseException($"BETWEEN {Peek.Text.ToUpperInvariant()} is not supported", Peek.Position);
            }

            var low = Additive();
            ExpectKeyword("AND");
            var high = Additive();
            return new SqlBetween(left, low, high, not) { Position = left.Position };
        }

        if (t.IsKeyword("LIKE"))
        {
            Advance();
            var pattern = Additive();
            SqlExpr? escape = AcceptKeyword("ESCAPE") ? Additive() : null;
            return new SqlLike(left, pattern, escape, not) { Position = left.Position };
        }

        return left;
    }

    private SqlExpr Additive()
    {
        var left = Multiplicative();
        while (Peek.IsOperator("+") || Peek.IsOperator("-"))
        {
            var op = Advance().Text;
            var right = Multiplicative();
            left = new SqlBinary(op, left, right) { Position = left.Position };
        }

        return left;
    }

    private SqlExpr Multiplicative()
    {
        var left = Unary();
        while (Peek.IsOperator("*") || Peek.IsOperator("/") || Peek.IsOperator("%") || Peek.IsOperator("||"))
        {
            var op = Advance().Text;
            var right = Unary();
            left = new SqlBinary(op, left, right) { Position = left.Position };
        }

        return left;
    }

    private SqlExpr Unary()
    {
        var t = Peek;
        if (t.IsOperator("-"))
        {
            Advance();
            var operand = Unary();

            // fold a negative number literal so that -9223372036854775808 and LIMIT-like contexts read naturally
            return operand switch
            {
                SqlLiteral { Kind: SqlLiteralKind.Integer, Value: long l } => new SqlLiteral(SqlLiteralKind.Integer, -l) { Position = t.Position },
                SqlLiteral { Kind: SqlLiteralKind.Decimal, Value: double d } => new SqlLiteral(SqlLiteralKind.Decimal, -d) { Position = t.Position },
                _ => new SqlUnary("-", operand) { Position = t.Position },
            };
        }

        if (t.IsOperator("+"))
        {
            Advance();
            return Unary();
        }

        return Primary();
    }

    private SqlExpr Primary()
    {
        var t = Peek;
        switch (t.Kind)
        {
            case SqlTokenKind.Number:
                Advance();
                if (!t.Text.Contains('.', StringComparison.Ordinal) && !t.Text.Contains('e', StringComparison.OrdinalIgnoreCase)
                    && long.TryParse(t.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var l))
                {
                    return new SqlLiteral(SqlLiteralKind.Integer, l) { Position = t.Position };
                }

                return new SqlLiteral(SqlLiteralKind.Decimal, double.Parse(t.Text, NumberStyles.Float, CultureInfo.InvariantCulture)) { Position = t.Position };
            case SqlTokenKind.String:
                Advance();
                return new SqlLiteral(SqlLiteralKind.String, t.Text) { Position = t.Position };
            case SqlTokenKind.Parameter:
                Advance();
                return new SqlParameter(_parameters++) { Position = t.Position };
            case SqlTokenKind.Operator when t.Text == "(":
            {
                Advance();
                if (Peek.IsKeyword("SELECT"))
                {
                    throw new SqlParseException("sub-queries are not supported", Peek.Position);
                }

                var e = Expression();
                Expect(")");
                return e;
            }

            case SqlTokenKind.Keyword:
                return KeywordPrimary(t);
            case SqlTokenKind.Identifier or SqlTokenKind.QuotedIdentifier:
                return IdentifierPrimary(t);
            default:
                throw Unexpected(t, "an expression");
        }
    }

    private SqlExpr KeywordPrimary(SqlToken t)
    {
        switch (t.Text)
        {
            case "NULL":
                Advance();
                return new SqlLiteral(SqlLiteralKind.Null, null) { Position = t.Position };
            case "TRUE" or "FALSE":
                Advance();
                return new SqlLiteral(SqlLiteralKind.Boolean, t.Text == "TRUE") { Position = t.Position };
            case "CURRENT_TIMESTAMP":
                Advance();
                return new SqlCurrentTimestamp { Position = t.Position };
            case "TIMESTAMP":
            {
                Advance();
                var s = ExpectString("a timestamp string after TIMESTAMP");
                return new SqlLiteral(SqlLiteralKind.Timestamp, ParseTime(s, false)) { Position = t.Position };
            }

            case "INTERVAL":
            {
                Advance();
                var s = ExpectString("a quoted count after INTERVAL (INTERVAL '1' HOUR)");
                if (!long.TryParse(s.Text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
                {
                    throw new SqlParseException($"Illegal interval literal '{s.Text}': only a whole number of one unit is supported (INTERVAL '2' HOUR)", s.Position);
                }

                var unit = Unit("a time unit (SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, QUARTER, YEAR)");
                return new SqlIntervalLiteral(n, unit) { Position = t.Position };
            }

            case "CASE":
                return Case();
            case "CAST":
            {
                Advance();
                Expect("(");
                var value = Expression();
                ExpectKeyword("AS");
                var type = TypeName();
                Expect(")");
                return new SqlCast(value, type) { Position = t.Position };
            }

            default:
                throw Unexpected(t, "an expression");
        }
    }

    private string TypeName()
    {
        var t = Peek;
        string name;
        if (t.IsKeyword("TIMESTAMP"))
        {
            Advance();
            name = "TIMESTAMP";
        }
        else if (t.Kind == SqlTokenKind.Identifier)
        {
            Advance();
            name = t.Text.ToUpperInvariant();
            if (name == "DOUBLE" && Peek.Kind == SqlTokenKind.Identifier && Peek.Text.Equals("PRECISION", StringComparison.OrdinalIgnoreCase))
            {
                Advance();
            }
        }
        else
        {
            throw Unexpected(t, "a type name");
        }

        // VARCHAR(10), DECIMAL(10, 2): the length and scale are accepted and ignored, as Druid does
        if (Accept("("))
        {
            Count("a type length");
            if (Accept(","))
            {
                Count("a type scale");
            }

            Expect(")");
        }

        return name;
    }

    private SqlExpr Case()
    {
        var start = Advance();
        SqlExpr? operand = Peek.IsKeyword("WHEN") ? null : Expression();
        var whens = new List<SqlWhen>();
        while (AcceptKeyword("WHEN"))
        {
            var when = Expression();
            ExpectKeyword("THEN");
            whens.Add(new SqlWhen(when, Expression()));
        }

        if (whens.Count == 0)
        {
            throw Unexpected(Peek, "WHEN");
        }

        SqlExpr? otherwise = AcceptKeyword("ELSE") ? Expression() : null;
        ExpectKeyword("END");
        return new SqlCase(operand, whens, otherwise) { Position = start.Position };
    }

    private SqlExpr IdentifierPrimary(SqlToken t)
    {
        Advance();

        // DATE '2026-01-01'
        if (t.Kind == SqlTokenKind.Identifier && t.Text.Equals("DATE", StringComparison.OrdinalIgnoreCase) && Peek.Kind == SqlTokenKind.String)
        {
            var s = Advance();
            return new SqlLiteral(SqlLiteralKind.Date, ParseTime(s, true)) { Position = t.Position };
        }

        if (t.Kind == SqlTokenKind.Identifier && Peek.IsOperator("("))
        {
            return FunctionCall(t);
        }

        var parts = new List<string> { t.Text };
        while (Peek.IsOperator("."))
        {
            Advance();
            parts.Add(Name("a column name after '.'"));
        }

        return new SqlIdentifier(parts) { Position = t.Position };
    }

    private SqlExpr FunctionCall(SqlToken nameToken)
    {
        var name = nameToken.Text.ToUpperInvariant();
        Expect("(");
        var args = new List<SqlExpr>();
        var distinct = false;
        var star = false;
        if (Peek.IsOperator("*"))
        {
            Advance();
            star = true;
        }
        else if (!Peek.IsOperator(")"))
        {
            if (AcceptKeyword("DISTINCT"))
            {
                distinct = true;
            }
            else
            {
                AcceptKeyword("ALL");
            }

            args.Add(Expression());
            if (name is "FLOOR" or "CEIL" && AcceptKeyword("TO"))
            {
                var unit = Unit("a time unit after TO");
                Expect(")");
                return new SqlFloorTo(args[0], unit, name == "CEIL") { Position = nameToken.Position };
            }

            while (Accept(","))
            {
                args.Add(Expression());
            }
        }

        Expect(")");
        SqlExpr? filter = null;
        if (Peek.IsKeyword("FILTER"))
        {
            Advance();
            Expect("(");
            ExpectKeyword("WHERE");
            filter = Expression();
            Expect(")");
        }

        return new SqlFunctionCall(name, args, distinct, star, filter) { Position = nameToken.Position };
    }

    private SqlTimeUnit Unit(string expected)
    {
        var t = Peek;
        if (t.Kind == SqlTokenKind.Identifier && TryUnit(t.Text, out var unit))
        {
            Advance();
            return unit;
        }

        throw Unexpected(t, expected);
    }

    /// <summary>Reads a time unit name (SECOND ... YEAR, case-insensitive).</summary>
    internal static bool TryUnit(string text, out SqlTimeUnit unit)
    {
        switch (text.ToUpperInvariant())
        {
            case "SECOND": unit = SqlTimeUnit.Second; return true;
            case "MINUTE": unit = SqlTimeUnit.Minute; return true;
            case "HOUR": unit = SqlTimeUnit.Hour; return true;
            case "DAY": unit = SqlTimeUnit.Day; return true;
            case "WEEK": unit = SqlTimeUnit.Week; return true;
            case "MONTH": unit = SqlTimeUnit.Month; return true;
            case "QUARTER": unit = SqlTimeUnit.Quarter; return true;
            case "YEAR": unit = SqlTimeUnit.Year; return true;
            default: unit = default; return false;
        }
    }

    /// <summary>Parses a SQL timestamp text (<c>2026-01-02 03:04:05[.fff]</c>, or ISO-8601) as UTC milliseconds.</summary>
    internal static bool TryParseTime(string text, out long millis)
    {
        var s = text.Trim();
        if (s.Length > 10 && s[10] == ' ')
        {
            s = string.Concat(s.AsSpan(0, 10), "T", s.AsSpan(11).Trim());
        }

        return Tributary.Query.IsoTime.TryParse(s, out millis);
    }

    private static long ParseTime(SqlToken s, bool date)
    {
        if (!TryParseTime(s.Text, out var millis) || (date && s.Text.Trim().Length != 10))
        {
            throw new SqlParseException($"Illegal {(date ? "DATE" : "TIMESTAMP")} literal '{s.Text}': expected {(date ? "'yyyy-MM-dd'" : "'yyyy-MM-dd HH:mm:ss'")}", s.Position);
        }

        return millis;
    }

    private SqlToken ExpectString(string expected)
    {
        var t = Peek;
        if (t.Kind != SqlTokenKind.String)
        {
            throw Unexpected(t, expected);
        }

        return Advance();
    }

    private SqlToken Advance()
    {
        var t = _tokens[_next];
        if (_next < _tokens.Count - 1)
        {
            _next++;
        }

        return t;
    }

    private bool Accept(string op)
    {
        if (Peek.IsOperator(op))
        {
            Advance();
            return true;
        }

        return false;
    }

    private bool AcceptKeyword(string keyword)
    {
        if (Peek.IsKeyword(keyword))
        {
            Advance();
            return true;
        }

        return false;
    }

    private void Expect(string op)
    {
        if (!Accept(op))
        {
            throw Unexpected(Peek, $"\"{op}\"");
        }
    }

    private SqlToken ExpectKeyword(string keyword)
    {
        if (!Peek.IsKeyword(keyword))
        {
            throw Unexpected(Peek, $"\"{keyword}\"");
        }

        return Advance();
    }

    private static SqlParseException Unexpected(SqlToken t, string expected) =>
        new($"Encountered \"{t.Describe()}\" at line {t.Position.Line}, column {t.Position.Column}. Was expecting {expected}", t.Position);
}
