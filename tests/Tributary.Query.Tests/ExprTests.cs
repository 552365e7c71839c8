namespace Tributary.Query.Tests;

/// <summary>The expression language subset: values worked out from Druid's expression semantics, and syntax errors with positions.</summary>
public sealed class ExprTests
{
    private static readonly Dictionary<string, object?> Values = new(StringComparer.Ordinal)
    {
        ["clicks"] = 7L,
        ["revenue"] = 2.5,
        ["country"] = "US",
        ["missing"] = null,
        ["quoted name"] = 4L,
        ["numericText"] = "12",
    };

    public static TheoryData<string, object?> Cases => new()
    {
        { "1 + 2 * 3", 7L },
        { "(1 + 2) * 3", 9L },
        { "7 / 2", 3L },
        { "-7 / 2", -3L },
        { "7 / 2.0", 3.5 },
        { "7 % 3", 1L },
        { "7.5 % 2", 1.5 },
        { "2 ^ 3 ^ 2", 512L },
        { "-2 ^ 2", 4L },
        { "2 ^ -1", 0.5 },
        { "1 / 0", null },
        { "1.0 / 0", double.PositiveInfinity },
        { "clicks * revenue", 17.5 },
        { "clicks - 10", -3L },
        { "missing + 1", null },
        { "country + '-' + clicks", "US-7" },
        { "'a' + 2.5", "a2.5" },
        { "numericText * 2", 24L },
        { "\"quoted name\" * 2", 8L },
        { "1e3", 1000.0 },
        { ".5 + 1", 1.5 },
        { "'it\\'s'", "it's" },
        { "3 > 2", 1L },
        { "3 <= 2", 0L },
        { "2 == 2.0", 1L },
        { "country == 'US'", 1L },
        { "'b' > 'a'", 1L },
        { "country != 'US'", 0L },
        { "missing == 1", null },
        { "1 && 0", 0L },
        { "2 && 3", 1L },
        { "-1 || 0", 0L },
        { "missing && 0", 0L },
        { "missing && 1", null },
        { "missing || 1", 1L },
        { "'true' && 1", 1L },
        { "!0", 1L },
        { "!clicks", 0L },
        { "!missing", null },
        { "1 + 2 > 2 && clicks < 10", 1L },
        { "if(clicks > 5, 'big', 'small')", "big" },
        { "if(missing, 1, 2)", 2L },
        { "nvl(missing, 5)", 5L },
        { "nvl(clicks, 5)", 7L },
        { "concat('a', clicks, revenue)", "a72.5" },
        { "concat('a', missing)", null },
        { "greatest(1, revenue, missing)", 2.5 },
        { "greatest(1, 3)", 3L },
        { "least(clicks, 3)", 3L },
        { "least(missing)", null },
        { "greatest('a', 'b')", "b" },
        { "abs(-3)", 3L },
        { "abs(-2.5)", 2.5 },
        { "sqrt(16)", 4.0 },
        { "floor(2.7)", 2.0 },
        { "ceil(2.1)", 3.0 },
        { "round(2.5)", 3.0 },
        { "round(-2.5)", -3.0 },
        { "round(2.345, 2)", 2.35 },
        { "round(clicks)", 7L },
        { "pow(2, 10)", 1024.0 },
        { "cast('12', 'LONG') + 1", 13L },
        { "cast(clicks, 'DOUBLE')", 7.0 },
        { "cast(clicks, 'STRING')", "7" },
        { "strlen(country)", 2L },
        { "lower(country)", "us" },
        { "upper('abc')", "ABC" },
        { "substring('abcdef', 1, 3)", "bcd" },
        { "substring('abcdef', 2, -1)", "cdef" },
        { "trim('  a b  ')", "a b" },
        { "isnull(missing)", 1L },
        { "notnull(missing)", 0L },
        { "isnull(clicks)", 0L },
        { "ltrim('  a ')", "a " },
        { "rtrim(' a  ')", " a" },
        { "timestamp_floor(1700000123456, 'PT1H')", 1699999200000L },
        { "timestamp_floor(1795402800000, 'P1D', null, 'America/Los_Angeles')", 1795334400000L },
        { "timestamp_floor(1795402800000, 'PT1H', 1795395600000 + 1800000)", 1795401000000L },
        { "timestamp_floor(missing, 'PT1H')", null },
        { "timestamp_floor(1795402800000, 'P1M1D')", null },
        { "timestamp_format(0, 'yyyy-MM-dd HH:mm', 'America/New_York')", "1969-12-31 19:00" },
        { "timestamp_format(1795395600000)", "2026-11-23T01:00:00.000Z" },
        { "timestamp_format(1795395600000, 'HH', '+05:30')", "06" },
        { "timestamp_parse('2026-11-23 01:00:00')", 1795395600000L },
        { "timestamp_parse('2026-11-23T01:00:00Z', null, 'Asia/Tokyo')", 1795395600000L },
        { "timestamp_parse('2026-11-23T01:00', null, '+02:00')", 1795388400000L },
        { "timestamp_parse('2026-11-23 01:00', 'yyyy-MM-dd HH:mm', '+02:00')", 1795388400000L },
        { "timestamp_parse('23/11/2026', 'dd/MM/yyyy')", 1795392000000L },
        { "timestamp_parse('not a time')", null },
        { "timestamp_parse('2026-11-23', 'EEE')", null },
        { "ABS(-1)", 1L },
        { "null", null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Evaluate_Expression_GivesDruidsValue(string expression, object? expected)
    {
        Assert.Equal(expected, Expr.Parse(expression).Evaluate(name => Values.GetValueOrDefault(name)));
    }

    [Fact]
    public void Identifiers_ListsEachNameOnceInOrder()
    {
        Assert.Equal(["clicks", "quoted name", "revenue"], Expr.Parse("clicks + \"quoted name\" * if(clicks > 1, revenue, 0)").Identifiers);
    }

    [Theory]
    [InlineData("1 +", 3, "end")]
    [InlineData("(1 + 2", 6, "')'")]
    [InlineData("1 + 2)", 5, "')'")]
    [InlineData("frobnicate(1)", 0, "unknown function 'frobnicate'")]
    [InlineData("1 + abs(1, 2)", 4, "takes 1 argument(s), got 2")]
    [InlineData("if(1, 2)", 0, "takes 3 argument(s)")]
    [InlineData("'abc", 0, "unterminated string")]
    [InlineData("1 # 2", 2, "'#'")]
    [InlineData("1e", 2, "exponent")]
    [InlineData("", 0, "end")]
    public void Parse_BadExpression_ThrowsWithThePosition(string expression, int position, string message)
    {
        var ex = Assert.Throws<ExpressionException>(() => Expr.Parse(expression));
        Assert.Equal(position, ex.Position);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }
}
