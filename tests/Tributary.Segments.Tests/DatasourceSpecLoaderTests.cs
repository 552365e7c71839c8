using Tributary.Query;
using Tributary.Segments.Schema;

namespace Tributary.Segments.Tests;

public sealed class DatasourceSpecLoaderTests
{
    private const string Valid = """
        {
          "name": "ds", "timestamp": { "field": "ts" },
          "dimensions": [ { "name": "k" } ],
          "metrics": [ { "type": "count", "name": "count" } ],
          "partitioning": { "key": "k", "partitions": 8 },
          "granularity": { "segment": "hour", "query": "minute" }
        }
        """;

    [Fact]
    public void LoadFile_PinEngagement_HasTheIssuesShape()
    {
        var spec = TestData.PinEngagement();
        Assert.Equal("pin_engagement", spec.Name);
        Assert.Equal("ts", spec.Timestamp.Field);
        Assert.Equal(["pin_id", "action", "device", "app_version"], spec.Dimensions.Select(d => d.Name));
        Assert.Contains(spec.Metrics, m => m.Type == AggregatorType.HyperUnique && m.FieldName == "user_id");
        Assert.Equal(new PartitionSpec("pin_id", 16, 1), spec.Partitioning);
        Assert.Equal(FixedGranularity.Hour, spec.Granularity.Segment);
        Assert.Equal(FixedGranularity.Minute, spec.Granularity.Query);
        Assert.Equal(TimeSpan.FromHours(3), spec.LateWindow);
        Assert.Equal(TimeSpan.FromMinutes(10), spec.EarlyRejection);
    }

    [Fact]
    public void LoadDirectory_SiloConfig_LoadsEverySpec()
    {
        var specs = DatasourceSpecLoader.LoadDirectory(TestData.RepositoryFile("silo-config", "datasources"));
        Assert.Contains("pin_engagement", specs.Keys);
    }

    [Fact]
    public void Parse_Defaults_AreApplied()
    {
        var spec = DatasourceSpecLoader.Parse(Valid);
        Assert.Equal("ds", spec.Topic);
        Assert.Equal(TimestampFormat.Iso, spec.Timestamp.Format);
        Assert.Equal(DimensionType.String, spec.Dimensions[0].Type);
        Assert.Equal(1, spec.Partitioning.FanOutSize);
        Assert.True(spec.Granularity.Rollup);
        Assert.Equal(TimeSpan.FromHours(3), spec.LateWindow);
        Assert.Null(spec.EarlyRejection);
    }

    [Fact]
    public void Parse_RoundTripThroughWriter_EqualSpec()
    {
        var spec = TestData.PinEngagement();
        var again = DatasourceSpecLoader.Parse(DatasourceSpecWriter.ToJson(spec));
        Assert.Equal(DatasourceSpecWriter.ToJson(spec), DatasourceSpecWriter.ToJson(again));
    }

    [Theory]
    [InlineData("\"name\": \"ds\",", "\"name\": \"ds\", \"extra\": 1,", "extra")]
    [InlineData("{ \"name\": \"k\" }", "{ \"name\": \"k\", \"type\": \"float\" }", "dimensions[0].type")]
    [InlineData("{ \"type\": \"count\", \"name\": \"count\" }", "{ \"type\": \"longSum\", \"name\": \"s\" }", "metrics[0].fieldName")]
    [InlineData("{ \"type\": \"count\", \"name\": \"count\" }", "{ \"type\": \"median\", \"name\": \"m\", \"fieldName\": \"x\" }", "metrics[0].type")]
    [InlineData("\"key\": \"k\"", "\"key\": \"nope\"", "partitioning.key")]
    [InlineData("\"partitions\": 8", "\"partitions\": 0", "partitioning.partitions")]
    [InlineData("\"partitions\": 8", "\"partitions\": 8, \"fanOutSize\": 9", "partitioning.fanOutSize")]
    [InlineData("\"query\": \"minute\"", "\"query\": \"fortnight\"", "granularity.query")]
    [InlineData("\"query\": \"minute\"", "\"query\": \"day\"", "granularity.query")]
    [InlineData("\"segment\": \"hour\"", "\"segment\": \"minute\"", "granularity.segment")]
    [InlineData("\"name\": \"ds\",", "\"name\": \"ds\", \"lateWindow\": \"3 hours\",", "lateWindow")]
    [InlineData("\"timestamp\": { \"field\": \"ts\" }", "\"timestamp\": { \"format\": \"iso\" }", "timestamp.field")]
    [InlineData("\"name\": \"ds\",", "\"name\": \"d s\",", "name")]
    public void Parse_BadKey_ErrorNamesTheKey(string find, string replace, string keyPath)
    {
        var error = Assert.Throws<DatasourceSpecException>(() => DatasourceSpecLoader.Parse(Valid.Replace(find, replace, StringComparison.Ordinal), "bad.json"));
        Assert.Equal(keyPath, error.KeyPath);
        Assert.StartsWith($"bad.json: {keyPath}: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_InvalidJson_ErrorNamesLine()
    {
        var error = Assert.Throws<DatasourceSpecException>(() => DatasourceSpecLoader.Parse("{\n \"name\": ", "x.json"));
        Assert.Contains("line", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Admit_LateAndEarlyEvents_AreRejected()
    {
        var spec = TestData.PinEngagement();
        var hour = TestData.HourStart;
        Assert.Equal(EventAdmission.Accepted, spec.Admit(hour + 10, hour + 10));
        Assert.Equal(EventAdmission.Accepted, spec.Admit(hour, hour + TimeSpan.FromHours(4).Ticks / 10_000 - 1));
        Assert.Equal(EventAdmission.TooLate, spec.Admit(hour, hour + TimeSpan.FromHours(4).Ticks / 10_000));
        Assert.Equal(EventAdmission.TooEarly, spec.Admit(hour + 600_001, hour));
        Assert.Equal(hour, spec.SegmentStart(hour + 3_599_999));
    }
}
