namespace Tributary.Sql.Tests;

public sealed class SqlValidatorTests
{
    private static SqlValidatedQuery Validate(string sql) => SqlValidator.Validate(SqlParser.Parse(sql), SqlTestData.Catalog);

    [Theory]
    [InlineData("SELECT * FROM nope", "Object 'nope' not found", 1, 15)]
    [InlineData("SELECT * FROM druid.nope", "Object 'nope' not found within 'druid'", 1, 15)]
    [InlineData("SELECT * FROM INFORMATION_SCHEMA.COLUMNZ", "Object 'COLUMNZ' not found within 'INFORMATION_SCHEMA'", 1, 15)]
    [InlineData("SELECT cuntry FROM pin_engagement", "Column 'cuntry' not found in any table", 1, 8)]
    [InlineData("SELECT country FROM pin_engagement WHERE Country = 'US'", "Column 'Country' not found in any table", 1, 42)]
    [InlineData("SELECT COUNT(*) FROM pin_engagement GROUP BY nope", "Column 'nope' not found in any table", 1, 46)]
    [InlineData("SELECT FOO(country) FROM pin_engagement", "No match found for function signature FOO(<CHARACTER>)", 1, 8)]
    [InlineData("SELECT LOWER(country, 1) FROM pin_engagement", "Invalid number of arguments to function 'LOWER'. Was expecting 1 arguments", 1, 8)]
    [InlineData("SELECT country FROM pin_engagement WHERE COUNT(*) > 1", "Aggregate expression is illegal in WHERE clause", 1, 42)]
    [InlineData("SELECT COUNT(*) FROM pin_engagement GROUP BY COUNT(*)", "Aggregate expression is illegal in GROUP BY clause", 1, 46)]
    [InlineData("SELECT SUM(COUNT(*)) FROM pin_engagement", "Aggregate expressions cannot be nested", 1, 12)]
    [InlineData("SELECT country, device, COUNT(*) FROM pin_engagement GROUP BY country", "Expression 'device' is not being grouped", 1, 17)]
    [InlineData("SELECT country, COUNT(*) FROM pin_engagement", "Expression 'country' is not being grouped", 1, 8)]
    [InlineData("SELECT country FROM pin_engagement GROUP BY country HAVING device = 'ios'", "Expression 'device' is not being grouped", 1, 60)]
    [InlineData("SELECT country FROM pin_engagement GROUP BY country ORDER BY clicks", "Expression 'clicks' is not being grouped", 1, 62)]
    [InlineData("SELECT SUM(country) FROM pin_engagement", "Cannot apply 'SUM' to arguments of type 'SUM(<VARCHAR>)'", 1, 8)]
    [InlineData("SELECT AVG(unique_users) FROM pin_engagement", "Cannot apply 'AVG'", 1, 8)]
    [InlineData("SELECT country FROM pin_engagement WHERE clicks", "WHERE clause must be a condition", 1, 42)]
    [InlineData("SELECT country FROM pin_engagement WHERE country LIKE 5", "Cannot apply 'LIKE'", 1, 42)]
    [InlineData("SELECT country FROM pin_engagement WHERE clicks = TRUE", "Cannot apply '='", 1, 42)]
    [InlineData("SELECT country + 1 FROM pin_engagement", "Cannot apply '+'", 1, 8)]
    [InlineData("SELECT country FROM pin_engagement GROUP BY 2", "Ordinal out of range: GROUP BY 2", 1, 45)]
    [InlineData("SELECT country FROM pin_engagement ORDER BY 0", "Ordinal out of range: ORDER BY 0", 1, 45)]
    [InlineData("SELECT LOWER(country) FILTER (WHERE clicks > 1) FROM pin_engagement", "FILTER must be applied to an aggregate function", 1, 8)]
    [InlineData("SELECT SUM(DISTINCT clicks) FROM pin_engagement", "DISTINCT is only supported in COUNT", 1, 8)]
    [InlineData("SELECT CAST(clicks AS BLOB) FROM pin_engagement", "Unknown type 'BLOB' in CAST", 1, 8)]
    [InlineData("SELECT * ", "SELECT * requires a FROM clause", 1, 8)]
    [InlineData("SELECT CASE WHEN clicks THEN 1 END FROM pin_engagement", "CASE WHEN needs a condition", 1, 18)]
    [InlineData("SELECT CASE WHEN clicks > 1 THEN 'a' ELSE 2 END FROM pin_engagement", "Illegal mixing of types: VARCHAR and BIGINT", 1, 43)]
    public void Validate_BadQuery_NamesTheProblemAndPosition(string sql, string message, int line, int column)
    {
        var e = Assert.Throws<SqlValidationException>(() => Validate(sql));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal(new SqlPosition(line, column), e.Position);
    }

    [Fact]
    public void Validate_StarExpandsToCatalogColumnsWithDruidTypes()
    {
        var v = Validate("SELECT * FROM pin_engagement");
        Assert.Equal(["__time", "country", "device", "event_type", "pin_id", "user_age", "clicks", "dwell_ms", "unique_users"], v.Items.Select(i => i.Name));
        Assert.Equal(["TIMESTAMP", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "BIGINT", "BIGINT", "DOUBLE", "COMPLEX<hyperUnique>"], v.Items.Select(i => i.Type.Name()));
        Assert.False(v.IsAggregate);
    }

    [Fact]
    public void Validate_NamesTypesPositionsAndAliases()
    {
        var v = Validate(
            "SELECT FLOOR(__time TO HOUR) AS h, country, COUNT(*) AS c, SUM(dwell_ms), AVG(clicks), APPROX_COUNT_DISTINCT(unique_users), clicks * 2 + 1 AS x " +
            "FROM druid.pin_engagement GROUP BY 1, country, x ORDER BY c DESC, 2, h");
        Assert.Equal(["h", "country", "c", "EXPR$3", "EXPR$4", "EXPR$5", "x"], v.Items.Select(i => i.Name));
        Assert.Equal([SqlType.Timestamp, SqlType.Varchar, SqlType.Bigint, SqlType.Double, SqlType.Double, SqlType.Bigint, SqlType.Bigint], v.Items.Select(i => i.Type));
        Assert.Equal(["FLOOR(__time TO HOUR)", "country", "((clicks * 2) + 1)"], v.GroupBy.Select(g => g.ToString()));
        Assert.Equal([2, 1, 0], v.OrderBy.Select(o => o.ItemIndex!.Value));
        Assert.Equal([true, false, false], v.OrderBy.Select(o => o.Descending));
        Assert.True(v.IsAggregate);
    }

    [Fact]
    public void Validate_SystemTablesResolve()
    {
        var v = Validate("SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'druid'");
        Assert.Equal(SqlTableKind.System, v.Table!.Kind);
        Assert.Equal(SqlTableKind.System, Validate("SELECT segment_id, num_rows FROM sys.segments").Table!.Kind);
    }

    [Fact]
    public void Validate_UnboundParameter_IsAnError()
    {
        var e = Assert.Throws<SqlValidationException>(() => Validate("SELECT country FROM pin_engagement WHERE country = ?"));
        Assert.Contains("No value bound for parameter (position [1])", e.Message, StringComparison.Ordinal);
    }
}
