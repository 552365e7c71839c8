using System.Text;
using System.Text.Json;
using Tributary.Sql.Protocol;

namespace Tributary.Sql.Tests.Protocol;

public sealed class SqlQueryRequestTests
{
    private static SqlQueryRequest Parse(string json) => SqlQueryRequest.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Parse_QueryOnly_HasDruidsDefaults()
    {
        var request = Parse("""{"query":"SELECT 1"}""");
        Assert.Equal("SELECT 1", request.Query);
        Assert.Equal(SqlResultFormat.Object, request.ResultFormat);
        Assert.False(request.Header);
        Assert.Empty(request.Parameters);
        Assert.Null(request.SqlOuterLimit);
        Assert.Null(request.SqlQueryId);
        Assert.Equal(TimeZoneInfo.Utc, request.SqlTimeZone);
    }

    [Fact]
    public void Parse_EveryField_IsRead()
    {
        var request = Parse("""
            {"query":"SELECT * FROM t WHERE a = ? AND b > ?","resultFormat":"arrayLines","header":true,"typesHeader":true,"sqlTypesHeader":true,
             "context":{"sqlQueryId":"q1","sqlOuterLimit":10,"sqlTimeZone":"America/Los_Angeles","timeout":1000},
             "parameters":[{"type":"varchar","value":"x"},{"type":"BIGINT","value":7}],"batchSize":5}
            """);
        Assert.Equal(SqlResultFormat.ArrayLines, request.ResultFormat);
        Assert.True(request.Header && request.TypesHeader && request.SqlTypesHeader);
        Assert.Equal("q1", request.SqlQueryId);
        Assert.Equal(10, request.SqlOuterLimit);
        Assert.Equal("America/Los_Angeles", request.SqlTimeZone.Id);
        Assert.Equal(1000, request.Context["timeout"].GetInt32());
        Assert.Equal(["VARCHAR", "BIGINT"], request.Parameters.Select(p => p.Type));
        Assert.Equal("x", request.Parameters[0].Value.GetString());
        Assert.Equal(7, request.Parameters[1].Value.GetInt64());
    }

    [Theory]
    [InlineData("+05:30", 330)]
    [InlineData("-08:00", -480)]
    [InlineData("UTC", 0)]
    public void Parse_FixedOffsetTimeZones_AreAccepted(string zone, int minutes)
    {
        var request = Parse("""{"query":"SELECT 1","context":{"sqlTimeZone":""" + JsonSerializer.Serialize(zone) + "}}");
        Assert.Equal(TimeSpan.FromMinutes(minutes), request.SqlTimeZone.BaseUtcOffset);
    }

    [Theory]
    [InlineData("""{"resultFormat":"object"}""", "query", "query is required")]
    [InlineData("""{"query":5}""", "query", "query must be a string")]
    [InlineData("""{"query":"SELECT 1","resultFormat":"xml"}""", "resultFormat", "resultFormat must be one of object, array, objectLines, arrayLines, csv")]
    [InlineData("""{"query":"SELECT 1","header":"yes"}""", "header", "header must be true or false")]
    [InlineData("""{"query":"SELECT 1","typesHeader":true}""", "typesHeader", "typesHeader can only be set when header is true")]
    [InlineData("""{"query":"SELECT 1","context":[1]}""", "context", "context must be a JSON object")]
    [InlineData("""{"query":"SELECT 1","context":{"sqlOuterLimit":-1}}""", "context.sqlOuterLimit", "context.sqlOuterLimit must be a non-negative integer")]
    [InlineData("""{"query":"SELECT 1","context":{"sqlTimeZone":"Mars/Olympus"}}""", "context.sqlTimeZone", "'Mars/Olympus' is not a known time zone")]
    [InlineData("""{"query":"SELECT ?","parameters":{"type":"VARCHAR"}}""", "parameters", "parameters must be a JSON array")]
    [InlineData("""{"query":"SELECT ?","parameters":[{"value":1}]}""", "parameters[0].type", "parameters[0].type is required")]
    [InlineData("""[1]""", "", "the request body must be a JSON object")]
    [InlineData("""{"query":""", "", "the request body is not JSON")]
    public void Parse_BadBody_NamesTheField(string json, string field, string message)
    {
        var error = Assert.Throws<SqlRequestException>(() => Parse(json));
        Assert.Equal(field, error.Field);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(400, SqlErrors.ToDruidError(error).StatusCode);
    }

    [Fact]
    public void FromText_PlainBody_IsTheQuery()
    {
        Assert.Equal("SELECT 1", SqlQueryRequest.FromText("SELECT 1").Query);
        Assert.Equal("query", Assert.Throws<SqlRequestException>(() => SqlQueryRequest.FromText("  ")).Field);
    }

    [Fact]
    public void ToDruidError_EachSqlError_GetsDruidsCode()
    {
        Assert.Equal("SQL parse failed", SqlErrors.ToDruidError(new SqlParseException("Encountered \"FROM\"", new SqlPosition(1, 8))).Error);
        Assert.Equal("Plan validation failed", SqlErrors.ToDruidError(new SqlValidationException("Column 'x' not found in any table", new SqlPosition(1, 8))).Error);
        var unsupported = SqlErrors.ToDruidError(new SqlPlanningException("CASE cannot be planned"));
        Assert.Equal((400, "SQL query is unsupported"), (unsupported.StatusCode, unsupported.Error));
        using var body = JsonDocument.Parse(SqlErrors.ToDruidError(new SqlParseException("Encountered \"FROM\"", new SqlPosition(1, 8))).ToJson());
        Assert.Equal("Encountered \"FROM\" (line [1], column [8])", body.RootElement.GetProperty("errorMessage").GetString());
    }
}
