using System.Text.Json;

namespace Tributary.Query.Tests;

/// <summary>Each extraction function against values worked out from Druid's documented semantics, and their parse errors.</summary>
public sealed class ExtractionFnTests
{
    private static ExtractionFn Fn(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return QueryParser.ParseExtractionFn(doc.RootElement, "extractionFn");
    }

    [Theory]
    [InlineData("""{"type":"timeFormat","format":"yyyy-MM-dd HH:mm:ss.SSS"}""", "1795429445123", "2026-11-23 10:24:05.123")]
    [InlineData("""{"type":"timeFormat","format":"EEEE, MMMM d ''yy 'at' h a","timeZone":"America/Los_Angeles","locale":"en-US"}""", "1795429445123", "Monday, November 23 '26 at 2 AM")]
    [InlineData("""{"type":"timeFormat","format":"EEE MMM dd HH:mm Z ZZ","timeZone":"+05:30"}""", "1795429445123", "Mon Nov 23 15:54 +0530 +05:30")]
    [InlineData("""{"type":"timeFormat","format":"xxxx-'W'ww-e D"}""", "1795429445123", "2026-W48-1 327")]
    [InlineData("""{"type":"timeFormat","format":"HH:mm","granularity":"fifteen_minute"}""", "1795429445123", "10:15")]
    [InlineData("""{"type":"timeFormat","format":"yyyy-MM-dd","granularity":{"type":"period","period":"P1W"}}""", "1795429445123", "2026-11-23")]
    [InlineData("""{"type":"timeFormat"}""", "1795429445123", "2026-11-23T10:24:05.123Z")]
    [InlineData("""{"type":"timeFormat","timeZone":"+01:00"}""", "1795429445123", "2026-11-23T11:24:05.123+01:00")]
    [InlineData("""{"type":"timeFormat","format":"HH"}""", "2026-11-23T22:00:00Z", "22")]
    [InlineData("""{"type":"timeFormat","format":"HH"}""", "soon", null)]
    [InlineData("""{"type":"substring","index":1,"length":3}""", "abcdef", "bcd")]
    [InlineData("""{"type":"substring","index":4,"length":9}""", "abcdef", "ef")]
    [InlineData("""{"type":"substring","index":2}""", "abcdef", "cdef")]
    [InlineData("""{"type":"substring","index":6}""", "abcdef", null)]
    [InlineData("""{"type":"substring","index":0}""", "", null)]
    [InlineData("""{"type":"regex","expr":"^pin-(\\d)(\\d+)","index":2}""", "pin-0123", "123")]
    [InlineData("""{"type":"regex","expr":"(\\d+)"}""", "x", "x")]
    [InlineData("""{"type":"regex","expr":"(\\d+)","replaceMissingValue":true,"replaceMissingValueWith":"none"}""", "x", "none")]
    [InlineData("""{"type":"regex","expr":"(\\d+)","replaceMissingValue":true}""", "x", null)]
    [InlineData("""{"type":"regex","expr":"b+","index":0}""", "abbbc", "bbb")]
    [InlineData("""{"type":"partial","expr":"^a"}""", "abc", "abc")]
    [InlineData("""{"type":"partial","expr":"^a"}""", "cba", null)]
    [InlineData("""{"type":"strlen"}""", "héllo", "5")]
    [InlineData("""{"type":"strlen"}""", "", "0")]
    [InlineData("""{"type":"upper","locale":"fr"}""", "abc-é", "ABC-É")]
    [InlineData("""{"type":"lower"}""", "ÉTÉ", "été")]
    [InlineData("""{"type":"lookup","lookup":{"type":"map","map":{"US":"America","DE":"Europe"}}}""", "DE", "Europe")]
    [InlineData("""{"type":"lookup","lookup":{"type":"map","map":{"US":"America"}}}""", "FR", null)]
    [InlineData("""{"type":"lookup","lookup":{"type":"map","map":{"US":"America"}},"retainMissingValue":true}""", "FR", "FR")]
    [InlineData("""{"type":"lookup","lookup":{"type":"map","map":{"US":"America"}},"replaceMissingValueWith":"other","injective":true}""", "FR", "other")]
    [InlineData("""{"type":"bucket","size":5,"offset":2}""", "13", "12")]
    [InlineData("""{"type":"bucket","size":5,"offset":2}""", "-1", "-3")]
    [InlineData("""{"type":"bucket"}""", "3.7", "3")]
    [InlineData("""{"type":"bucket","size":0.5}""", "3.7", "3.5")]
    [InlineData("""{"type":"bucket"}""", "seven", null)]
    [InlineData("""{"type":"cascade","extractionFns":[{"type":"substring","index":0,"length":3},{"type":"upper"},{"type":"lookup","lookup":{"type":"map","map":{"PIN":"p"}},"retainMissingValue":true}]}""", "pin-001", "p")]
    [InlineData("""{"type":"identity"}""", "x", "x")]
    public void Apply_Value_GivesDruidsResult(string json, string value, string? expected)
    {
        Assert.Equal(expected, Fn(json).Apply(value));
    }

    [Theory]
    [InlineData("""{"type":"substring","index":0}""")]
    [InlineData("""{"type":"regex","expr":"(a)"}""")]
    [InlineData("""{"type":"strlen"}""")]
    [InlineData("""{"type":"upper"}""")]
    [InlineData("""{"type":"bucket"}""")]
    [InlineData("""{"type":"timeFormat","format":"yyyy"}""")]
    public void Apply_Null_GivesNull(string json)
    {
        Assert.Null(Fn(json).Apply(null));
    }

    [Fact]
    public void Apply_LookupOfNullWithReplacement_GivesTheReplacement()
    {
        Assert.Equal("none", Fn("""{"type":"lookup","lookup":{"type":"map","map":{"a":"b"}},"replaceMissingValueWith":"none"}""").Apply(null));
    }

    [Theory]
    [InlineData("""{"type":"nope"}""", "extractionFn.type", false)]
    [InlineData("""{"type":"javascript","function":"x"}""", "extractionFn.type", true)]
    [InlineData("""{"type":"regex","expr":"(a"}""", "extractionFn.expr", false)]
    [InlineData("""{"type":"regex","expr":"(a)","index":2}""", "extractionFn.index", false)]
    [InlineData("""{"type":"partial","expr":"[a"}""", "extractionFn.expr", false)]
    [InlineData("""{"type":"timeFormat","format":"yyyy-MM-dd qq"}""", "extractionFn.format", false)]
    [InlineData("""{"type":"timeFormat","format":"'open"}""", "extractionFn.format", false)]
    [InlineData("""{"type":"timeFormat","timeZone":"Mars/Olympus"}""", "extractionFn.timeZone", false)]
    [InlineData("""{"type":"timeFormat","locale":"fr"}""", "extractionFn.locale", true)]
    [InlineData("""{"type":"timeFormat","granularity":"fortnight"}""", "extractionFn.granularity", false)]
    [InlineData("""{"type":"substring"}""", "extractionFn.index", false)]
    [InlineData("""{"type":"substring","index":-1}""", "extractionFn.index", false)]
    [InlineData("""{"type":"lookup","lookup":"countries"}""", "extractionFn.lookup", true)]
    [InlineData("""{"type":"lookup","lookup":{"type":"jdbc"}}""", "extractionFn.lookup.type", true)]
    [InlineData("""{"type":"lookup","lookup":{"type":"map","map":[1]}}""", "extractionFn.lookup.map", false)]
    [InlineData("""{"type":"lookup","lookup":{"type":"map","map":{}},"retainMissingValue":true,"replaceMissingValueWith":"x"}""", "extractionFn.replaceMissingValueWith", false)]
    [InlineData("""{"type":"bucket","size":0}""", "extractionFn.size", false)]
    [InlineData("""{"type":"cascade","extractionFns":[]}""", "extractionFn.extractionFns", false)]
    [InlineData("""{"type":"cascade","extractionFns":[{"type":"strlen"},{"type":"regex"}]}""", "extractionFn.extractionFns[1].expr", false)]
    public void Parse_BadExtractionFn_ThrowsNamingTheField(string json, string path, bool unsupported)
    {
        var ex = Assert.ThrowsAny<QueryValidationException>(() => Fn(json));
        Assert.Equal(path, ex.Path);
        Assert.Equal(unsupported, ex is QueryUnsupportedException);
        Assert.Equal(400, DruidError.FromException(ex).StatusCode);
    }

    [Fact]
    public void Parse_ExtractionDimensionSpecAndFilter_CarryTheFunctions()
    {
        var query = (GroupByQuery)QueryParser.Parse("""
            {"queryType":"groupBy","dataSource":"d","intervals":["2026-11-23/P1D"],
             "dimensions":[{"type":"extraction","dimension":"__time","outputName":"day","extractionFn":{"type":"timeFormat","format":"yyyy-MM-dd"}},"country"],
             "filter":{"type":"in","dimension":"pin_id","values":["PIN"],"extractionFn":{"type":"cascade","extractionFns":[{"type":"substring","index":0,"length":3},{"type":"upper"}]}}}
            """);
        Assert.IsType<TimeFormatExtractionFn>(query.Dimensions[0].ExtractionFn);
        Assert.Equal("day", query.Dimensions[0].OutputName);
        Assert.Null(query.Dimensions[1].ExtractionFn);
        var filter = Assert.IsType<InFilter>(query.Filter);
        Assert.IsType<CascadeExtractionFn>(filter.ExtractionFn);
        Assert.True(filter.Accepts("pin-001"));
        Assert.False(filter.Matches("pin-001"));
    }

    [Fact]
    public void Derive_SelectorOnTheKeyWithExtractionFn_IsUnconstrained()
    {
        var query = QueryParser.Parse("""{"queryType":"timeseries","dataSource":"d","intervals":["2026-11-23/P1D"],"filter":{"type":"selector","dimension":"pin_id","value":"PIN-001","extractionFn":{"type":"upper"}}}""");
        Assert.True(KeyConstraint.Derive(query.Filter, "pin_id").IsUnconstrained);
    }
}
