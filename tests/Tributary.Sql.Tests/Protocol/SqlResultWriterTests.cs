using System.Buffers;
using System.Text;
using System.Text.Json;
using Tributary.Sql.Protocol;

namespace Tributary.Sql.Tests.Protocol;

public sealed class SqlResultWriterTests
{
    private static readonly SqlResultColumn[] Columns = [SqlResultColumn.Of("__time", "TIMESTAMP"), SqlResultColumn.Of("user", "VARCHAR"), SqlResultColumn.Of("n", "BIGINT"), SqlResultColumn.Of("avg", "DOUBLE")];

    private static readonly object?[][] Rows =
    [
        [new DateTimeOffset(2015, 9, 12, 0, 47, 53, 259, TimeSpan.Zero), "BlueMoon2662", 14L, 0.5],
        [new DateTimeOffset(2015, 9, 12, 1, 0, 0, TimeSpan.Zero), "a,\"b\"", null, double.NaN],
    ];

    private static string Write(string format, bool header = false, bool types = false, bool sqlTypes = false, string zone = "UTC")
    {
        var body = new Dictionary<string, object>
        {
            ["query"] = "SELECT 1",
            ["resultFormat"] = format,
            ["header"] = header,
            ["typesHeader"] = types,
            ["sqlTypesHeader"] = sqlTypes,
            ["context"] = new Dictionary<string, string> { ["sqlTimeZone"] = zone },
        };
        var request = SqlQueryRequest.Parse(JsonSerializer.SerializeToUtf8Bytes(body));
        var buffer = new ArrayBufferWriter<byte>();
        SqlResultWriter.Write(buffer, request, Columns, Rows);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Fact]
    public void Object_IsAnArrayOfObjectsInColumnOrder()
    {
        Assert.Equal(
            """[{"__time":"2015-09-12T00:47:53.259Z","user":"BlueMoon2662","n":14,"avg":0.5},{"__time":"2015-09-12T01:00:00.000Z","user":"a,\u0022b\u0022","n":null,"avg":null}]""",
            Write("object"));
    }

    [Fact]
    public void Object_WithHeaders_StartsWithTheTypesObject()
    {
        using var doc = JsonDocument.Parse(Write("object", header: true, types: true, sqlTypes: true));
        var head = doc.RootElement[0];
        Assert.Equal("LONG", head.GetProperty("__time").GetProperty("type").GetString());
        Assert.Equal("TIMESTAMP", head.GetProperty("__time").GetProperty("sqlType").GetString());
        Assert.Equal("STRING", head.GetProperty("user").GetProperty("type").GetString());
        Assert.Equal(3, doc.RootElement.GetArrayLength());

        using var namesOnly = JsonDocument.Parse(Write("object", header: true));
        Assert.Equal(JsonValueKind.Null, namesOnly.RootElement[0].GetProperty("user").ValueKind);
    }

    [Fact]
    public void Array_WithHeaders_HasNamesThenTypesThenSqlTypes()
    {
        using var doc = JsonDocument.Parse(Write("array", header: true, types: true, sqlTypes: true));
        Assert.Equal("""["__time","user","n","avg"]""", doc.RootElement[0].GetRawText());
        Assert.Equal("""["LONG","STRING","LONG","DOUBLE"]""", doc.RootElement[1].GetRawText());
        Assert.Equal("""["TIMESTAMP","VARCHAR","BIGINT","DOUBLE"]""", doc.RootElement[2].GetRawText());
        Assert.Equal("""["2015-09-12T00:47:53.259Z","BlueMoon2662",14,0.5]""", doc.RootElement[3].GetRawText());
    }

    [Fact]
    public void Lines_OneValuePerLine_ThenABlankLine()
    {
        var objects = Write("objectLines");
        Assert.EndsWith("}\n\n", objects, StringComparison.Ordinal);
        Assert.Equal(2, objects.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        var arrays = Write("arrayLines", header: true, sqlTypes: true).Split('\n');
        Assert.Equal(["""["__time","user","n","avg"]""", """["TIMESTAMP","VARCHAR","BIGINT","DOUBLE"]"""], arrays[..2]);
        Assert.Equal(["", ""], arrays[^2..]);
    }

    [Fact]
    public void Csv_QuotesWhatNeedsIt_AndEndsWithABlankLine()
    {
        Assert.Equal(
            "__time,user,n,avg\nLONG,STRING,LONG,DOUBLE\n2015-09-12T00:47:53.259Z,BlueMoon2662,14,0.5\n2015-09-12T01:00:00.000Z,\"a,\"\"b\"\"\",,\n\n",
            Write("csv", header: true, types: true));
    }

    [Fact]
    public void Timestamps_AreWrittenInTheSqlTimeZone()
    {
        using var doc = JsonDocument.Parse(Write("array", zone: "+05:30"));
        Assert.Equal("2015-09-12T06:17:53.259+05:30", doc.RootElement[0][0].GetString());
    }

    [Fact]
    public void ContentType_FollowsDruid()
    {
        Assert.Equal("application/json", SqlResultWriter.ContentType(SqlResultFormat.Array));
        Assert.Equal("text/plain", SqlResultWriter.ContentType(SqlResultFormat.ObjectLines));
        Assert.Equal("text/csv", SqlResultWriter.ContentType(SqlResultFormat.Csv));
    }

    [Fact]
    public void Write_RowOfTheWrongWidth_Throws()
    {
        var request = SqlQueryRequest.FromText("SELECT 1");
        Assert.Throws<ArgumentException>(() => SqlResultWriter.Write(new ArrayBufferWriter<byte>(), request, Columns, [["only one"]]));
    }
}
