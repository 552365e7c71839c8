namespace Tributary.Sql.Tests;

public sealed class SqlTokenizerTests
{
    [Fact]
    public void Tokenize_MixedQuery_GivesKindsTextAndPositions()
    {
        var tokens = SqlTokenizer.Tokenize("select \"Page\", 'it''s' -- c\n/* x */ FROM t WHERE n >= 1.5e3 AND p = ?");
        Assert.Equal(SqlTokenKind.Keyword, tokens[0].Kind);
        Assert.Equal("SELECT", tokens[0].Text);
        Assert.Equal(new SqlToken(SqlTokenKind.QuotedIdentifier, "Page", new SqlPosition(1, 8)), tokens[1]);
        Assert.Equal(new SqlToken(SqlTokenKind.String, "it's", new SqlPosition(1, 16)), tokens[3]);
        Assert.Equal(new SqlToken(SqlTokenKind.Keyword, "FROM", new SqlPosition(2, 9)), tokens[4]);
        Assert.Contains(tokens, t => t.Kind == SqlTokenKind.Number && t.Text == "1.5e3");
        Assert.Contains(tokens, t => t.IsOperator(">="));
        Assert.Equal(SqlTokenKind.Parameter, tokens[^2].Kind);
        Assert.Equal(SqlTokenKind.End, tokens[^1].Kind);
    }

    [Theory]
    [InlineData("SELECT 'abc", "Unterminated string literal", 1, 8)]
    [InlineData("SELECT \"abc", "Unterminated quoted identifier", 1, 8)]
    [InlineData("SELECT 1\n/* open", "Unterminated comment", 2, 1)]
    [InlineData("SELECT #", "unexpected character '#'", 1, 8)]
    [InlineData("SELECT 12ab", "Malformed number", 1, 8)]
    public void Tokenize_BadText_ThrowsWithPosition(string sql, string message, int line, int column)
    {
        var e = Assert.Throws<SqlParseException>(() => SqlTokenizer.Tokenize(sql));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal(new SqlPosition(line, column), e.Position);
    }
}
