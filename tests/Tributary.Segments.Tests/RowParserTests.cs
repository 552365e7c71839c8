using System.Text;
using Tributary.Segments.Ingest;

namespace Tributary.Segments.Tests;

public sealed class RowParserTests
{
    private readonly RowParser _parser = new(TestData.PinEngagement());

    private (bool Ok, string? Error, ParsedRow Row) Parse(string json)
    {
        var row = new ParsedRow(_parser.Spec);
        var ok = _parser.TryParse(Encoding.UTF8.GetBytes(json), row, out var error);
        return (ok, error, row);
    }

    [Fact]
    public void TryParse_GeneratedEvent_ReadsEveryField()
    {
        var (ok, error, row) = Parse("""{"ts":"2026-11-23T10:00:01.123Z","pin_id":100000000042,"user_id":7,"action":"click","ip":"1.2.3.4","device":"ios","app_version":"12.31.0"}""");
        Assert.True(ok, error);
        Assert.Equal(TestData.HourStart + 1123, row.TimestampMs);
        Assert.Equal("100000000042", Encoding.UTF8.GetString(row.DimensionUtf8(0)));
        Assert.Equal("click", Encoding.UTF8.GetString(row.DimensionUtf8(1)));
        Assert.Equal("12.31.0", Encoding.UTF8.GetString(row.DimensionUtf8(3)));
    }

    [Fact]
    public void TryParse_EscapedStringAndMissingDimension_Unescapes()
    {
        var (ok, error, row) = Parse("""{"pin_id":"p\u00e9","ts":"2026-11-23T10:00:00Z","action":"a\"b"}""");
        Assert.True(ok, error);
        Assert.Equal("pé", Encoding.UTF8.GetString(row.DimensionUtf8(0)));
        Assert.Equal("a\"b", Encoding.UTF8.GetString(row.DimensionUtf8(1)));
        Assert.True(row.IsNull(2));
    }

    [Theory]
    [InlineData("""{"ts":"2026-11-23T10:00:01.1""", "invalid JSON")]
    [InlineData("GET /pin/1 HTTP/1.1 garbage", "invalid JSON at byte 0")]
    [InlineData("""{"ts":"2026-11-23T10:00:01.123Z","pin":1}""", "missing partition key field 'pin_id'")]
    [InlineData("""{"ts":"yesterday 2026-11-23T10:00:01.123Z","pin_id":1}""", "field 'ts': 'yesterday 2026-11-23T10:00:01.123Z' is not an ISO-8601 time")]
    [InlineData("""{"pin_id":1}""", "missing time field 'ts'")]
    [InlineData("""{"ts":5,"pin_id":1}""", "field 'ts': expected an ISO-8601 string")]
    [InlineData("""{"ts":"2026-11-23T10:00:01Z","pin_id":[1,2]}""", "field 'pin_id': expected a string, found StartArray")]
    [InlineData("""{"ts":"2026-11-23T10:00:01Z","pin_id":1} trailing""", "invalid JSON")]
    [InlineData("[1,2]", "event is not a JSON object")]
    public void TryParse_MalformedEvent_ReasonNamesTheProblem(string json, string reason)
    {
        var (ok, error, _) = Parse(json);
        Assert.False(ok);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_MetricOfWrongType_NamesField()
    {
        var parser = new RowParser(TestData.Full());
        var row = new ParsedRow(parser.Spec);
        Assert.False(parser.TryParse("""{"ts":"2026-11-23T10:00:00Z","key":"k","qty":"lots"}"""u8, row, out var error));
        Assert.Equal("field 'qty': 'lots' is not a number", error);
        Assert.True(parser.TryParse("""{"ts":"2026-11-23T10:00:00Z","key":"k","qty":"12","price":"1.5","size":"-3"}"""u8, row, out error), error);
        Assert.Equal(-3, row.DimensionLong(2));
    }
}
