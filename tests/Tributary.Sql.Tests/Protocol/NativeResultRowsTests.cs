using System.Text.Json;
using Tributary.Sql.Protocol;

namespace Tributary.Sql.Tests.Protocol;

public sealed class NativeResultRowsTests
{
    private static IReadOnlyList<NativeRow> Read(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return NativeResultRows.Read(doc.RootElement);
    }

    [Fact]
    public void Timeseries_OneRowPerBucket()
    {
        var rows = Read("""[{"timestamp":"2026-12-07T09:00:00.000Z","result":{"count":3}},{"timestamp":"2026-12-07T10:00:00.000Z","result":{"count":4}}]""");
        Assert.Equal([3L, 4L], rows.Select(r => r.Field("count").GetInt64()));
        Assert.Equal(new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero), rows[1].Timestamp);
    }

    [Fact]
    public void TopN_OneRowPerEntry_WithTheBucketTimestamp()
    {
        var rows = Read("""[{"timestamp":"2026-12-07T09:00:00.000Z","result":[{"device":"ios","count":5},{"device":"web","count":2}]}]""");
        Assert.Equal(["ios", "web"], rows.Select(r => r.Field("device").GetString()));
        Assert.All(rows, r => Assert.NotNull(r.Timestamp));
    }

    [Fact]
    public void GroupBy_ReadsTheEvent_AndAbsentFieldsAreNull()
    {
        var rows = Read("""[{"version":"v1","timestamp":"2026-12-07T09:00:00.000Z","event":{"device":"ios","n":1}}]""");
        Assert.Equal(1, rows.Single().Field("n").GetInt32());
        Assert.Equal(JsonValueKind.Null, rows.Single().Field("missing").ValueKind);
    }

    [Fact]
    public void Scan_ListAndCompactedList_GiveTheSameRows()
    {
        var list = Read("""[{"segmentId":"s","columns":["__time","device"],"events":[{"__time":1,"device":"ios"},{"__time":2,"device":"web"}]}]""");
        var compact = Read("""[{"segmentId":"s","columns":["__time","device"],"events":[[1,"ios"],[2,"web"]]}]""");
        Assert.Equal(list.Select(r => (r.Field("__time").GetInt64(), r.Field("device").GetString())), compact.Select(r => (r.Field("__time").GetInt64(), r.Field("device").GetString())));
        Assert.All(list, r => Assert.Null(r.Timestamp));
    }

    [Fact]
    public void NotAResult_Throws()
    {
        Assert.Throws<FormatException>(() => Read("""{"error":"x"}"""));
        Assert.Throws<FormatException>(() => Read("""[{"timestamp":"2026-12-07T09:00:00.000Z"}]"""));
    }
}
