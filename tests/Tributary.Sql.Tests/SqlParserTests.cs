namespace Tributary.Sql.Tests;

public sealed class SqlParserTests
{
    [Theory]
    [InlineData("a OR b AND c", "(a OR (b AND c))")]
    [InlineData("NOT a = 1 AND b", "((NOT (a = 1)) AND b)")]
    [InlineData("a + b * c - d", "((a + (b * c)) - d)")]
    [InlineData("-a * b", "((-a) * b)")]
    [InlineData("a || b || c", "((a || b) || c)")]
    [InlineData("a + 1 = b * 2 OR c", "(((a + 1) = (b * 2)) OR c)")]
    [InlineData("x NOT IN ('a', 'b')", "(x NOT IN ('a', 'b'))")]
    [InlineData("x BETWEEN 1 AND 2 AND y", "((x BETWEEN 1 AND 2) AND y)")]
    [InlineData("x NOT BETWEEN 1 + 1 AND 5", "(x NOT BETWEEN (1 + 1) AND 5)")]
    [InlineData("x NOT LIKE 'a!%%' ESCAPE '!'", "(x NOT LIKE 'a!%%' ESCAPE '!')")]
    [InlineData("x IS NOT NULL OR y IS NULL", "((x IS NOT NULL) OR (y IS NULL))")]
    [InlineData("a % 3 <> 0", "((a % 3) <> 0)")]
    [InlineData("COUNT(*)", "COUNT(*)")]
    [InlineData("count(DISTINCT page)", "COUNT(DISTINCT page)")]
    [InlineData("SUM(n) FILTER (WHERE c = 'x')", "SUM(n) FILTER (WHERE (c = 'x'))")]
    [InlineData("CASE WHEN a > 1 THEN 'x' ELSE 'y' END", "CASE WHEN (a > 1) THEN 'x' ELSE 'y' END")]
    [InlineData("CASE a WHEN 1 THEN 2 END", "CASE a WHEN 1 THEN 2 END")]
    [InlineData("CAST(x AS VARCHAR)", "CAST(x AS VARCHAR)")]
    [InlineData("cast(x as double precision)", "CAST(x AS DOUBLE)")]
    [InlineData("FLOOR(__time TO HOUR)", "FLOOR(__time TO HOUR)")]
    [InlineData("TIME_FLOOR(__time, 'PT1H')", "TIME_FLOOR(__time, 'PT1H')")]
    [InlineData("CURRENT_TIMESTAMP - INTERVAL '1' DAY", "(CURRENT_TIMESTAMP - INTERVAL '1' DAY)")]
    [InlineData("TIMESTAMP '2026-01-02 03:04:05'", "TIMESTAMP '2026-01-02T03:04:05.000Z'")]
    [InlineData("DATE '2026-01-02'", "DATE '2026-01-02'")]
    [InlineData("TRUE AND NOT FALSE OR NULL", "((TRUE AND (NOT FALSE)) OR NULL)")]
    [InlineData("\"my col\" = 'it''s'", "(my col = 'it''s')")]
    [InlineData("t.page", "t.page")]
    [InlineData("1.5e3 + .5", "(1500 + 0.5)")]
    [InlineData("CEIL(__time TO DAY)", "CEIL(__time TO DAY)")]
    [InlineData("COUNT(ALL x) + -(-3)", "(COUNT(x) + 3)")]
    [InlineData("a - - b", "(a - (-b))")]
    [InlineData("NOT NOT a", "(NOT (NOT a))")]
    [InlineData("a = 1 OR NOT b IN (1) AND c LIKE 'x'", "((a = 1) OR ((NOT (b IN (1))) AND (c LIKE 'x')))")]
    [InlineData("x != 'a'", "(x <> 'a')")]
    [InlineData("CAST(x AS VARCHAR(10))", "CAST(x AS VARCHAR)")]
    [InlineData("CAST(x AS TIMESTAMP)", "CAST(x AS TIMESTAMP)")]
    [InlineData("INTERVAL '3' MONTH + CURRENT_TIMESTAMP", "(INTERVAL '3' MONTH + CURRENT_TIMESTAMP)")]
    public void ParseExpression_PrintsWithPrecedence(string sql, string expected)
    {
        Assert.Equal(expected, SqlParser.ParseExpression(sql).ToString());
    }

    [Fact]
    public void Parse_FullSelect_FillsEveryClause()
    {
        var s = SqlParser.Parse(
            "EXPLAIN PLAN FOR SELECT DISTINCT page AS p, COUNT(*) c, \"x\" FROM druid.\"wiki pedia\" WHERE n > ? GROUP BY 1, page HAVING COUNT(*) > 1 ORDER BY c DESC, 1 ASC LIMIT 10 OFFSET 5;");
        Assert.True(s.Explain);
        Assert.Equal(1, s.ParameterCount);
        var q = s.Query;
        Assert.True(q.Distinct);
        Assert.Equal(["p", "c", null], q.Items.Select(i => i.Alias));
        Assert.Equal(new SqlTableRef("druid", "wiki pedia") { Position = new SqlPosition(1, 66) }, q.From);
        Assert.Equal("(n > ?0)", q.Where!.ToString());
        Assert.Equal(["1", "page"], q.GroupBy.Select(g => g.ToString()));
        Assert.Equal("(COUNT(*) > 1)", q.Having!.ToString());
        Assert.Equal([true, false], q.OrderBy.Select(o => o.Descending));
        Assert.Equal(new SqlLiteral(SqlLiteralKind.Integer, 10L) { Position = q.Limit!.Position }, q.Limit);
        Assert.Equal(5L, ((SqlLiteral)q.Offset!).Value);
    }

    [Fact]
    public void Parse_AllOffsetRowsAndTableAlias()
    {
        var q = SqlParser.Parse("SELECT ALL t.page FROM wiki AS t ORDER BY t.page OFFSET 3 ROWS").Query;
        Assert.False(q.Distinct);
        Assert.Equal("page", ((SqlIdentifier)q.Items[0].Expression!).Name);
        Assert.Equal("wiki", q.From!.Name);
        Assert.Equal(3L, ((SqlLiteral)q.Offset!).Value);
        Assert.Null(q.Limit);
    }

    [Fact]
    public void Parse_StarAndSystemTables()
    {
        var q = SqlParser.Parse("select * from INFORMATION_SCHEMA.TABLES").Query;
        Assert.True(q.Items.Single().IsStar);
        Assert.Equal("INFORMATION_SCHEMA", q.From!.Schema);
        Assert.Equal("TABLES", q.From.Name);
        Assert.Equal("segments", SqlParser.Parse("SELECT * FROM sys.segments").Query.From!.Name);
        Assert.Null(SqlParser.Parse("SELECT 1").Query.From);
    }

    [Theory]
    [InlineData("SELECT FROM t", "Encountered \"FROM\" at line 1, column 8", 1, 8)]
    [InlineData("SELECT a FROM t WHERE", "Encountered \"<EOF>\" at line 1, column 22", 1, 22)]
    [InlineData("SELECT a,\n  FROM t", "Encountered \"FROM\" at line 2, column 3", 2, 3)]
    [InlineData("SELECT a FROM t LIMIT x", "Encountered \"x\" at line 1, column 23", 1, 23)]
    [InlineData("SELECT (a FROM t", "Encountered \"FROM\" at line 1, column 11", 1, 11)]
    [InlineData("SELECT a FROM t GROUP page", "Encountered \"page\" at line 1, column 23", 1, 23)]
    [InlineData("SELECT a FROM t t2 extra", "Encountered \"extra\" at line 1, column 20", 1, 20)]
    [InlineData("SELECT a IS NOT 1 FROM t", "Encountered \"1\" at line 1, column 17", 1, 17)]
    [InlineData("SELECT CASE END FROM t", "Encountered \"END\" at line 1, column 13", 1, 13)]
    [InlineData("SELECT CAST(a VARCHAR) FROM t", "Encountered \"VARCHAR\" at line 1, column 15", 1, 15)]
    [InlineData("SELECT INTERVAL '1.5' HOUR", "Illegal interval literal", 1, 17)]
    [InlineData("SELECT INTERVAL '1' FORTNIGHT", "Encountered \"FORTNIGHT\"", 1, 21)]
    [InlineData("SELECT TIMESTAMP 'yesterday'", "Illegal TIMESTAMP literal", 1, 18)]
    [InlineData("SELECT a FROM t UNION SELECT b FROM u", "UNION is not supported", 1, 17)]
    [InlineData("SELECT a FROM t WHERE a IN (SELECT b FROM u)", "sub-queries are not supported", 1, 29)]
    [InlineData("SELECT SUM(a) FILTER (a > 1) FROM t", "Encountered \"a\" at line 1, column 23", 1, 23)]
    public void Parse_BadSyntax_ThrowsAtTheOffendingToken(string sql, string message, int line, int column)
    {
        var e = Assert.Throws<SqlParseException>(() => SqlParser.Parse(sql));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal(new SqlPosition(line, column), e.Position);
        Assert.EndsWith($"(line [{line}], column [{column}])", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_TypedParameters_BecomeLiteralsByPosition()
    {
        var s = SqlParser.Parse("SELECT a FROM t WHERE b = ? AND c > ? AND d = ? AND __time >= ? AND e = ? LIMIT ?");
        var bound = SqlParameterBinder.Bind(s, [
            new SqlParameterValue("VARCHAR", "x"), new SqlParameterValue("DOUBLE", 1L), new SqlParameterValue("BOOLEAN", true),
            new SqlParameterValue("TIMESTAMP", "2026-01-01 00:00:00"), new SqlParameterValue("BIGINT", null), new SqlParameterValue("INTEGER", 5L)]);
        Assert.Equal(
            "(((((b = 'x') AND (c > 1)) AND (d = TRUE)) AND (__time >= TIMESTAMP '2026-01-01T00:00:00.000Z')) AND (e = NULL))",
            bound.Query.Where!.ToString());
        Assert.Equal(SqlLiteralKind.Decimal, SqlRewriter.Descendants(bound.Query.Where).OfType<SqlLiteral>().ElementAt(1).Kind);
        Assert.Equal(5L, ((SqlLiteral)bound.Query.Limit!).Value);
    }

    [Fact]
    public void Bind_MissingOrBadParameter_NamesThePosition()
    {
        var s = SqlParser.Parse("SELECT a FROM t WHERE b = ? AND c = ?");
        var missing = Assert.Throws<SqlValidationException>(() => SqlParameterBinder.Bind(s, [new SqlParameterValue("VARCHAR", "x")]));
        Assert.Contains("No value bound for parameter (position [2])", missing.Message, StringComparison.Ordinal);
        Assert.Equal(new SqlPosition(1, 37), missing.Position);
        var bad = Assert.Throws<SqlValidationException>(() => SqlParameterBinder.Bind(s, [new SqlParameterValue("VARCHAR", "x"), new SqlParameterValue("BIGINT", "abc")]));
        Assert.Contains("position [2]", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromJson_ReadsDruidParameterObjects()
    {
        using var doc = System.Text.Json.JsonDocument.Parse("""[{"type":"VARCHAR","value":"x"},{"type":"bigint","value":3},{"type":"DOUBLE","value":1.5}]""");
        var values = doc.RootElement.EnumerateArray().Select((e, i) => SqlParameterValue.FromJson(e, $"parameters[{i}]")).ToList();
        Assert.Equal([new SqlParameterValue("VARCHAR", "x"), new SqlParameterValue("BIGINT", 3L), new SqlParameterValue("DOUBLE", 1.5)], values);
        using var bad = System.Text.Json.JsonDocument.Parse("""{"value":1}""");
        Assert.Contains("parameters[3].type", Assert.Throws<SqlValidationException>(() => SqlParameterValue.FromJson(bad.RootElement, "parameters[3]")).Message, StringComparison.Ordinal);
    }
}
