using System.Text;

namespace Tributary.MySqlLoad.Tests;

public sealed class JsonRowTransformTests
{
    private static readonly List<SqlColumnOptions> Columns =
    [
        new() { Name = "event_time", Type = "DATETIME(3)", Source = "ts" },
        new() { Name = "pin_id", Type = "BIGINT" },
        new() { Name = "score", Type = "DOUBLE" },
        new() { Name = "tags", Type = "JSON" },
        new() { Name = "bot", Type = "BOOLEAN" },
    ];

    [Fact]
    public void Transform_Object_MapsFieldsBySourceInColumnOrder()
    {
        var outcome = new JsonRowTransform(Columns).Transform(Encoding.UTF8.GetBytes("""{"pin_id":42,"ts":"2026-12-07T10:00:00Z","extra":{"a":1},"score":1.5,"tags":["a","b"],"bot":false}"""));

        Assert.Equal(SqlRowOutcomeKind.Row, outcome.Kind);
        Assert.Equal(["2026-12-07T10:00:00Z", 42L, 1.5m, """["a","b"]""", false], outcome.Values!);
    }

    [Fact]
    public void Transform_MissingField_IsNull()
    {
        var outcome = new JsonRowTransform(Columns).Transform("""{"pin_id":1}"""u8);

        Assert.Equal([null, 1L, null, null, null], outcome.Values!);
    }

    [Theory]
    [InlineData("GET /pin/1 HTTP/1.1", "invalid JSON")]
    [InlineData("[1,2]", "not a JSON object")]
    [InlineData("{\"pin_id\":1", "invalid JSON")]
    public void Transform_NotAnObject_IsMalformedWithReason(string value, string reason)
    {
        var outcome = new JsonRowTransform(Columns).Transform(Encoding.UTF8.GetBytes(value));

        Assert.Equal(SqlRowOutcomeKind.Malformed, outcome.Kind);
        Assert.Contains(reason, outcome.Reason, StringComparison.Ordinal);
    }
}
