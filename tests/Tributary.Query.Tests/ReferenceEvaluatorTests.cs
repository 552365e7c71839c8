using System.Text.Json;

namespace Tributary.Query.Tests;

/// <summary>Hand-checked results on a tiny data set, written as Druid's response JSON.</summary>
public sealed class ReferenceEvaluatorTests
{
    private static readonly long T0 = IsoTime.Parse("2026-11-23T10:00:00Z", "t");

    private static readonly List<Row> Rows =
    [
        Make(1, "a", "US", 5, 1.5, "u1"),
        Make(20, "b", "DE", 3, 2.0, "u2"),
        Make(40, "a", "US", 7, 0.5, "u1"),
        Make(65, "c", null, 1, 4.0, "u3"),
        Make(150, "a", "FR", 2, 1.0, "u2"),
    ];

    private static Row Make(int minute, string pin, string? country, long clicks, double revenue, string user)
    {
        var columns = new Dictionary<string, object?> { ["pin_id"] = pin, ["clicks"] = clicks, ["revenue"] = revenue, ["users"] = user };
        if (country is not null)
        {
            columns["country"] = country;
        }

        return new Row(T0 + (minute * 60_000L), columns);
    }

    private static string Run(string json)
    {
        var evaluator = new ReferenceEvaluator(TestData.Schema, SetSketchFactory.Instance);
        return QueryResultWriter.ToJson(evaluator.Evaluate(QueryParser.Parse(json), Rows, TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Evaluate_TimeseriesThirtyMinutes_ZeroFillsInteriorBucketsAndComputesPostAggregations()
    {
        var json = Run("""
            {"queryType":"timeseries","dataSource":"d","intervals":["2026-11-23T09:00Z/2026-11-23T14:00Z"],"granularity":"thirty_minute",
             "aggregations":[{"type":"count","name":"rows"},{"type":"longSum","name":"clicks","fieldName":"clicks"},
               {"type":"doubleMax","name":"maxRev","fieldName":"revenue"},{"type":"hyperUnique","name":"users","fieldName":"users"}],
             "postAggregations":[{"type":"arithmetic","name":"cpr","fn":"/","fields":[{"type":"fieldAccess","fieldName":"clicks"},{"type":"fieldAccess","fieldName":"rows"}]}]}
            """);
        Assert.Equal(
            """[{"timestamp":"2026-11-23T10:00:00.000Z","result":{"rows":2,"clicks":8,"maxRev":2.0,"users":2.0,"cpr":4.0}},"""
            + """{"timestamp":"2026-11-23T10:30:00.000Z","result":{"rows":1,"clicks":7,"maxRev":0.5,"users":1.0,"cpr":7.0}},"""
            + """{"timestamp":"2026-11-23T11:00:00.000Z","result":{"rows":1,"clicks":1,"maxRev":4.0,"users":1.0,"cpr":1.0}},"""
            + """{"timestamp":"2026-11-23T11:30:00.000Z","result":{"rows":0,"clicks":0,"maxRev":null,"users":0.0,"cpr":0.0}},"""
            + """{"timestamp":"2026-11-23T12:00:00.000Z","result":{"rows":0,"clicks":0,"maxRev":null,"users":0.0,"cpr":0.0}},"""
            + """{"timestamp":"2026-11-23T12:30:00.000Z","result":{"rows":1,"clicks":2,"maxRev":1.0,"users":1.0,"cpr":2.0}}]""",
            json);
    }

    [Fact]
    public void Evaluate_TimeseriesAllWithoutRows_ReturnsOneRowOfDefaults()
    {
        var json = Run("""{"queryType":"timeseries","dataSource":"d","intervals":["2026-11-24/P1D"],"aggregations":[{"type":"count","name":"rows"},{"type":"longMin","name":"m","fieldName":"clicks"}]}""");
        Assert.Equal("""[{"timestamp":"2026-11-24T00:00:00.000Z","result":{"rows":0,"m":null}}]""", json);
    }

    [Fact]
    public void Evaluate_TimeseriesSkipEmptyBucketsDescending_OmitsEmptyNewestFirst()
    {
        var json = Run("""{"queryType":"timeseries","dataSource":"d","intervals":["2026-11-23T10:00Z/2026-11-23T14:00Z"],"granularity":"hour","descending":true,"aggregations":[{"type":"count","name":"rows"}],"context":{"skipEmptyBuckets":true}}""");
        Assert.Equal("""[{"timestamp":"2026-11-23T12:00:00.000Z","result":{"rows":1}},{"timestamp":"2026-11-23T11:00:00.000Z","result":{"rows":1}},{"timestamp":"2026-11-23T10:00:00.000Z","result":{"rows":3}}]""", json);
    }

    [Fact]
    public void Evaluate_TimeseriesGrandTotal_AppendsTotalsRowWithNullTimestamp()
    {
        var json = Run("""{"queryType":"timeseries","dataSource":"d","intervals":["2026-11-23T10:00Z/PT4H"],"granularity":"hour","aggregations":[{"type":"count","name":"rows"},{"type":"hyperUnique","name":"u","fieldName":"users"}],"context":{"grandTotal":true}}""");
        Assert.Equal("""[{"timestamp":"2026-11-23T10:00:00.000Z","result":{"rows":3,"u":2.0}},{"timestamp":"2026-11-23T11:00:00.000Z","result":{"rows":1,"u":1.0}},{"timestamp":"2026-11-23T12:00:00.000Z","result":{"rows":1,"u":1.0}},{"timestamp":null,"result":{"rows":5,"u":3.0}}]""", json);
    }

    [Fact]
    public void Evaluate_NotSelector_MatchesMissingValues()
    {
        var json = Run("""{"queryType":"timeseries","dataSource":"d","intervals":["2026-11-23/P1D"],"filter":{"type":"not","field":{"type":"selector","dimension":"country","value":"US"}},"aggregations":[{"type":"count","name":"rows"}]}""");
        Assert.Equal("""[{"timestamp":"2026-11-23T00:00:00.000Z","result":{"rows":3}}]""", json);
    }

    [Fact]
    public void Evaluate_TopNByMetric_RanksAndCuts()
    {
        var json = Run("""{"queryType":"topN","dataSource":"d","intervals":["2026-11-23T10:00Z/PT4H"],"granularity":"all","dimension":"pin_id","metric":"clicks","threshold":2,"aggregations":[{"type":"longSum","name":"clicks","fieldName":"clicks"}]}""");
        Assert.Equal("""[{"timestamp":"2026-11-23T10:00:00.000Z","result":[{"pin_id":"a","clicks":14},{"pin_id":"b","clicks":3}]}]""", json);
    }

    [Fact]
    public void Evaluate_TopNByDimensionAfterPreviousStop_PagesLexicographically()
    {
        var json = Run("""{"queryType":"topN","dataSource":"d","intervals":["2026-11-23T10:00Z/PT4H"],"dimension":{"type":"default","dimension":"pin_id","outputName":"pin"},"metric":{"type":"dimension","previousStop":"a"},"threshold":5,"aggregations":[{"type":"count","name":"n"}]}""");
        Assert.Equal("""[{"timestamp":"2026-11-23T10:00:00.000Z","result":[{"pin":"b","n":1},{"pin":"c","n":1}]}]""", json);
    }

    [Fact]
    public void Evaluate_GroupByWithHavingAndLimitSpec_FiltersOrdersAndLimits()
    {
        var json = Run("""
            {"queryType":"groupBy","dataSource":"d","intervals":["2026-11-23T10:00Z/PT4H"],"granularity":"all","dimensions":["country"],
             "aggregations":[{"type":"count","name":"n"},{"type":"longSum","name":"clicks","fieldName":"clicks"}],
             "having":{"type":"greaterThan","aggregation":"clicks","value":1},
             "limitSpec":{"type":"default","limit":2,"columns":[{"dimension":"clicks","direction":"descending"}]}}
            """);
        Assert.Equal("""[{"version":"v1","timestamp":"2026-11-23T10:00:00.000Z","event":{"country":"US","n":2,"clicks":12}},{"version":"v1","timestamp":"2026-11-23T10:00:00.000Z","event":{"country":"DE","n":1,"clicks":3}}]""", json);
    }

    [Fact]
    public void Evaluate_GroupByWithoutLimitSpec_SortsByDimensionsNullFirst()
    {
        var json = Run("""{"queryType":"groupBy","dataSource":"d","intervals":["2026-11-23T10:00Z/PT4H"],"granularity":"all","dimensions":["country"],"aggregations":[{"type":"count","name":"n"}]}""");
        Assert.Equal("""[{"version":"v1","timestamp":"2026-11-23T10:00:00.000Z","event":{"country":null,"n":1}},{"version":"v1","timestamp":"2026-11-23T10:00:00.000Z","event":{"country":"DE","n":1}},{"version":"v1","timestamp":"2026-11-23T10:00:00.000Z","event":{"country":"FR","n":1}},{"version":"v1","timestamp":"2026-11-23T10:00:00.000Z","event":{"country":"US","n":2}}]""", json);
    }

    [Fact]
    public void Evaluate_ScanDescendingWithOffset_ReturnsCompactedEvents()
    {
        var json = Run("""{"queryType":"scan","dataSource":"d","intervals":["2026-11-23T10:00Z/PT4H"],"columns":["__time","pin_id","clicks"],"order":"descending","limit":2,"offset":1,"resultFormat":"compactedList"}""");
        Assert.Equal($$"""[{"segmentId":"all","columns":["__time","pin_id","clicks"],"events":[[{{T0 + (65 * 60_000L)}},"c",1],[{{T0 + (40 * 60_000L)}},"a",7]]}]""", json);
    }

    [Fact]
    public void Evaluate_ScanList_WritesObjectsWithNulls()
    {
        var json = Run("""{"queryType":"scan","dataSource":"d","intervals":["2026-11-23T11:00Z/PT1H"],"columns":["pin_id","country"]}""");
        Assert.Equal("""[{"segmentId":"all","columns":["pin_id","country"],"events":[{"pin_id":"c","country":null}]}]""", json);
    }

    [Fact]
    public void Evaluate_TimeBoundary_ReportsBothBounds()
    {
        Assert.Equal(
            """[{"timestamp":"2026-11-23T10:01:00.000Z","result":{"minTime":"2026-11-23T10:01:00.000Z","maxTime":"2026-11-23T12:30:00.000Z"}}]""",
            Run("""{"queryType":"timeBoundary","dataSource":"d"}"""));
        Assert.Equal(
            """[{"timestamp":"2026-11-23T12:30:00.000Z","result":{"maxTime":"2026-11-23T12:30:00.000Z"}}]""",
            Run("""{"queryType":"timeBoundary","dataSource":"d","bound":"maxTime"}"""));
        Assert.Equal("[]", Run("""{"queryType":"timeBoundary","dataSource":"d","filter":{"type":"selector","dimension":"pin_id","value":"zzz"}}"""));
    }

    [Fact]
    public void Evaluate_SegmentMetadata_AnalysesIncludedColumns()
    {
        var json = Run("""{"queryType":"segmentMetadata","dataSource":"d","toInclude":{"type":"list","columns":["country"]},"analysisTypes":["cardinality","minmax"]}""");
        Assert.Equal(
            """[{"id":"all","intervals":null,"columns":{"country":{"typeSignature":"STRING","type":"STRING","hasMultipleValues":false,"hasNulls":true,"size":0,"cardinality":3,"minValue":"DE","maxValue":"US","errorMessage":null}},"size":0,"numRows":5,"aggregators":null,"timestampSpec":null,"queryGranularity":null,"rollup":null}]""",
            json);
    }

    [Fact]
    public void Evaluate_SegmentMetadataWithIngestionAnalyses_ReportsAggregatorsRollupGranularityAndTimestampSpec()
    {
        var json = Run("""{"queryType":"segmentMetadata","dataSource":"d","toInclude":{"type":"none"},"analysisTypes":["aggregators","rollup","queryGranularity","timestampSpec"]}""");
        Assert.Equal(
            """[{"id":"all","intervals":null,"columns":{},"size":0,"numRows":5,"aggregators":{"count":{"type":"longSum","name":"count","fieldName":"count"},"clicks":{"type":"longSum","name":"clicks","fieldName":"clicks"},"users":{"type":"hyperUnique","name":"users","fieldName":"users","isInputHyperUnique":false,"round":false}},"timestampSpec":{"column":"ts","format":"iso","missingValue":null},"queryGranularity":"MINUTE","rollup":true}]""",
            json);
    }

    [Fact]
    public void Evaluate_LikeRegexAndNumericBound_Match()
    {
        var json = Run("""
            {"queryType":"timeseries","dataSource":"d","intervals":["2026-11-23/P1D"],
             "filter":{"type":"or","fields":[{"type":"like","dimension":"country","pattern":"D_"},{"type":"regex","dimension":"pin_id","pattern":"^c"},
               {"type":"bound","dimension":"clicks","lower":"6","ordering":"numeric"}]},
             "aggregations":[{"type":"longSum","name":"clicks","fieldName":"clicks"}]}
            """);
        Assert.Equal("""[{"timestamp":"2026-11-23T00:00:00.000Z","result":{"clicks":11}}]""", json);
    }

    [Theory]
    [InlineData("""{"type":"interval","dimension":"__time","intervals":["2026-11-23T10:15Z/2026-11-23T11:00Z"]}""", 10)]
    [InlineData("""{"type":"interval","dimension":"__time","intervals":["2026-11-23T10:40Z/PT1M","2026-11-23T10:01Z/PT1M"]}""", 12)]
    [InlineData("""{"type":"range","column":"clicks","matchValueType":"LONG","lower":3,"lowerOpen":true,"upper":7}""", 12)]
    [InlineData("""{"type":"range","column":"clicks","matchValueType":"DOUBLE","upper":"2.5","upperOpen":true}""", 3)]
    [InlineData("""{"type":"range","column":"country","matchValueType":"STRING","lower":"DE","upper":"FR","upperOpen":true}""", 3)]
    [InlineData("""{"type":"range","column":"country","matchValueType":"STRING","lower":"FR"}""", 14)]
    [InlineData("""{"type":"search","dimension":"country","query":{"type":"contains","value":"u"}}""", 12)]
    [InlineData("""{"type":"search","dimension":"country","query":{"type":"contains","value":"u","caseSensitive":true}}""", 0)]
    [InlineData("""{"type":"search","dimension":"country","query":{"type":"insensitive_contains","value":"r"}}""", 2)]
    [InlineData("""{"type":"search","dimension":"country","query":{"type":"fragment","values":["s","U"]}}""", 12)]
    [InlineData("""{"type":"search","dimension":"country","query":{"type":"fragment","values":["s","U"],"caseSensitive":true}}""", 0)]
    [InlineData("""{"type":"not","field":{"type":"search","dimension":"country","query":{"type":"contains","value":""}}}""", 1)]
    [InlineData("""{"type":"true"}""", 18)]
    [InlineData("""{"type":"false"}""", 0)]
    [InlineData("""{"type":"not","field":{"type":"false"}}""", 18)]
    public void Evaluate_IntervalRangeSearchTrueFalseFilters_SelectTheRows(string filter, long clicks)
    {
        var json = Run($$"""{"queryType":"timeseries","dataSource":"d","intervals":["2026-11-23/P1D"],"filter":{{filter}},"aggregations":[{"type":"longSum","name":"clicks","fieldName":"clicks"}]}""");
        Assert.Equal($$$"""[{"timestamp":"2026-11-23T00:00:00.000Z","result":{"clicks":{{{clicks}}}}}]""", json);
    }

    [Fact]
    public void Evaluate_SearchAll_CountsMatchingValuesSortedByValueThenDimension()
    {
        var json = Run("""
            {"queryType":"search","dataSource":"d","intervals":["2026-11-23/P1D"],"searchDimensions":["pin_id",{"type":"default","dimension":"country","outputName":"c"}],
             "query":{"type":"insensitive_contains","value":"A"},"filter":{"type":"not","field":{"type":"selector","dimension":"pin_id","value":"b"}}}
            """);
        Assert.Equal("""[{"timestamp":"2026-11-23T00:00:00.000Z","result":[{"dimension":"pin_id","value":"a","count":3}]}]""", json);
    }

    [Fact]
    public void Evaluate_SearchHourlyStrlenWithLimit_BucketsSortsAndCuts()
    {
        var json = Run("""
            {"queryType":"search","dataSource":"d","intervals":["2026-11-23/P1D"],"granularity":"hour","searchDimensions":["pin_id","country"],
             "query":{"type":"fragment","values":[""]},"sort":{"type":"strlen"},"limit":2}
            """);
        Assert.Equal(
            """[{"timestamp":"2026-11-23T10:00:00.000Z","result":[{"dimension":"pin_id","value":"a","count":2},{"dimension":"pin_id","value":"b","count":1}]},"""
            + """{"timestamp":"2026-11-23T11:00:00.000Z","result":[{"dimension":"pin_id","value":"c","count":1}]},"""
            + """{"timestamp":"2026-11-23T12:00:00.000Z","result":[{"dimension":"pin_id","value":"a","count":1},{"dimension":"country","value":"FR","count":1}]}]""",
            json);
    }

    [Fact]
    public void Evaluate_SearchWithoutSearchDimensions_SearchesEveryStringDimension()
    {
        var json = Run("""{"queryType":"search","dataSource":"d","intervals":["2026-11-23/P1D"],"query":{"type":"contains","value":"U","caseSensitive":true},"sort":"lexicographic"}""");
        Assert.Equal("""[{"timestamp":"2026-11-23T00:00:00.000Z","result":[{"dimension":"country","value":"US","count":2}]}]""", json);
    }

    [Fact]
    public void Evaluate_DataSourceMetadata_ReportsTheLatestRowTime()
    {
        Assert.Equal(
            """[{"timestamp":"2026-11-23T12:30:00.000Z","result":{"maxIngestedEventTime":"2026-11-23T12:30:00.000Z"}}]""",
            Run("""{"queryType":"dataSourceMetadata","dataSource":"d"}"""));
        var evaluator = new ReferenceEvaluator(TestData.Schema);
        Assert.Equal("[]", QueryResultWriter.ToJson(evaluator.Evaluate(QueryParser.Parse("""{"queryType":"dataSourceMetadata","dataSource":"d"}"""), [], TestContext.Current.CancellationToken)));
    }

    [Theory]
    [InlineData("LONG", "7")]
    [InlineData("DOUBLE", "7.0")]
    [InlineData("STRING", null)]
    public void Evaluate_GroupByAndTopNWithNumericOutputType_ConvertThenGroup(string outputType, string? seven)
    {
        var rows = new[] { "7", "07", "7.0", "x" }.Select((v, i) => new Row(T0 + i, new Dictionary<string, object?> { ["country"] = v, ["clicks"] = 1L << i })).ToList();
        var evaluator = new ReferenceEvaluator(TestData.Schema, SetSketchFactory.Instance);
        var dimension = $$"""{"type":"default","dimension":"country","outputName":"c","outputType":"{{outputType}}"}""";
        var groupBy = QueryResultWriter.ToJson(evaluator.Evaluate(QueryParser.Parse($$"""{"queryType":"groupBy","dataSource":"d","intervals":["2026-11-23/P1D"],"dimensions":[{{dimension}}],"aggregations":[{"type":"longSum","name":"clicks","fieldName":"clicks"}]}"""), rows, TestContext.Current.CancellationToken));
        var topN = QueryResultWriter.ToJson(evaluator.Evaluate(QueryParser.Parse($$"""{"queryType":"topN","dataSource":"d","intervals":["2026-11-23/P1D"],"dimension":{{dimension}},"metric":"clicks","threshold":1,"aggregations":[{"type":"longSum","name":"clicks","fieldName":"clicks"}]}"""), rows, TestContext.Current.CancellationToken));
        if (seven is null)
        {
            // strings stay distinct
            Assert.Equal(4, JsonDocument.Parse(groupBy).RootElement.GetArrayLength());
            Assert.Contains("""{"c":"x","clicks":8}""", topN, StringComparison.Ordinal);
            return;
        }

        Assert.Equal(
            $$$"""[{"version":"v1","timestamp":"2026-11-23T00:00:00.000Z","event":{"c":null,"clicks":8}},{"version":"v1","timestamp":"2026-11-23T00:00:00.000Z","event":{"c":{{{seven}}},"clicks":7}}]""",
            groupBy);
        Assert.Equal($$"""[{"timestamp":"2026-11-23T00:00:00.000Z","result":[{"c":null,"clicks":8}]}]""", topN);
    }

    [Fact]
    public void Evaluate_CancelledToken_StopsWithOperationCanceled()
    {
        var query = QueryParser.Parse("""{"queryType":"timeBoundary","dataSource":"d"}""");
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var evaluator = new ReferenceEvaluator(TestData.Schema);
        Assert.ThrowsAny<OperationCanceledException>(() => evaluator.Evaluate(query, new TestData(3).Rows(5000), cts.Token));
    }

    [Fact]
    public void Evaluate_GroupByExtractionDimensions_GroupsByExtractedValues()
    {
        var json = Run("""
            {"queryType":"groupBy","dataSource":"d","intervals":["2026-11-23T10:00Z/PT4H"],"granularity":"all",
             "dimensions":[{"type":"extraction","dimension":"__time","outputName":"hour","extractionFn":{"type":"timeFormat","format":"HH 'h' EEE","timeZone":"+01:00"}},
               {"type":"extraction","dimension":"country","outputName":"region","extractionFn":{"type":"lookup","lookup":{"type":"map","map":{"US":"America","DE":"Europe","FR":"Europe"}},"replaceMissingValueWith":"other"}}],
             "aggregations":[{"type":"count","name":"n"},{"type":"longSum","name":"clicks","fieldName":"clicks"}]}
            """);
        Assert.Equal(
            """[{"version":"v1","timestamp":"2026-11-23T10:00:00.000Z","event":{"hour":"11 h Mon","region":"America","n":2,"clicks":12}},"""
            + """{"version":"v1","timestamp":"2026-11-23T10:00:00.000Z","event":{"hour":"11 h Mon","region":"Europe","n":1,"clicks":3}},"""
            + """{"version":"v1","timestamp":"2026-11-23T10:00:00.000Z","event":{"hour":"12 h Mon","region":"other","n":1,"clicks":1}},"""
            + """{"version":"v1","timestamp":"2026-11-23T10:00:00.000Z","event":{"hour":"13 h Mon","region":"Europe","n":1,"clicks":2}}]""",
            json);
    }

    [Fact]
    public void Evaluate_TopNOnSubstring_MergesValuesWithTheSameExtraction()
    {
        var json = Run("""{"queryType":"topN","dataSource":"d","intervals":["2026-11-23T10:00Z/PT4H"],"dimension":{"type":"extraction","dimension":"users","outputName":"u","extractionFn":{"type":"substring","index":0,"length":1}},"metric":"n","threshold":3,"aggregations":[{"type":"count","name":"n"}]}""");
        Assert.Equal("""[{"timestamp":"2026-11-23T10:00:00.000Z","result":[{"u":"u","n":5}]}]""", json);
    }

    [Theory]
    [InlineData("""{"type":"selector","dimension":"pin_id","value":"A","extractionFn":{"type":"upper"}}""", 3)]
    [InlineData("""{"type":"in","dimension":"country","values":["Europe"],"extractionFn":{"type":"lookup","lookup":{"type":"map","map":{"DE":"Europe","FR":"Europe"}}}}""", 2)]
    [InlineData("""{"type":"selector","dimension":"country","value":null,"extractionFn":{"type":"lookup","lookup":{"type":"map","map":{"DE":"Europe","FR":"Europe"}}}}""", 3)]
    [InlineData("""{"type":"bound","dimension":"clicks","lower":"4","ordering":"numeric","extractionFn":{"type":"bucket","size":4}}""", 2)]
    [InlineData("""{"type":"like","dimension":"__time","pattern":"10:%","extractionFn":{"type":"timeFormat","format":"HH:mm"}}""", 3)]
    [InlineData("""{"type":"regex","dimension":"users","pattern":"^[12]$","extractionFn":{"type":"regex","expr":"u(\\d)"}}""", 4)]
    [InlineData("""{"type":"not","field":{"type":"selector","dimension":"country","value":"2","extractionFn":{"type":"strlen"}}}""", 1)]
    [InlineData("""{"type":"search","dimension":"pin_id","query":{"type":"contains","value":"A","caseSensitive":true},"extractionFn":{"type":"upper"}}""", 3)]
    public void Evaluate_FilterWithExtractionFn_TestsTheExtractedValue(string filter, long expected)
    {
        var json = Run($$"""{"queryType":"timeseries","dataSource":"d","intervals":["2026-11-23/P1D"],"filter":{{filter}},"aggregations":[{"type":"count","name":"rows"}]}""");
        Assert.Equal("""[{"timestamp":"2026-11-23T00:00:00.000Z","result":{"rows":""" + expected + "}}]", json);
    }

    [Fact]
    public void Evaluate_FilteredMeanFirstLastAndCardinality_GiveDruidsValues()
    {
        var json = Run("""
            {"queryType":"timeseries","dataSource":"d","intervals":["2026-11-23T10:00Z/PT4H"],"aggregations":[
              {"type":"filtered","filter":{"type":"selector","dimension":"country","value":"US"},"aggregator":{"type":"count","name":"us"}},
              {"type":"filtered","name":"aClicks","filter":{"type":"selector","dimension":"pin_id","value":"a"},"aggregator":{"type":"longSum","name":"x","fieldName":"clicks"}},
              {"type":"doubleMean","name":"mean","fieldName":"revenue"},
              {"type":"longFirst","name":"firstClicks","fieldName":"clicks"},{"type":"longLast","name":"lastClicks","fieldName":"clicks"},
              {"type":"doubleFirst","name":"firstRevenue","fieldName":"revenue"},{"type":"stringFirst","name":"firstCountry","fieldName":"country"},
              {"type":"stringLast","name":"lastCountry","fieldName":"country"},{"type":"stringFirst","name":"byClicks","fieldName":"pin_id","timeColumn":"clicks"},
              {"type":"cardinality","name":"byValue","fields":["pin_id","country"]},{"type":"cardinality","name":"byRow","fields":["pin_id","country"],"byRow":true,"round":true},
              {"type":"cardinality","name":"prefixes","fields":[{"type":"extraction","dimension":"users","outputName":"u","extractionFn":{"type":"substring","index":0,"length":1}}]}],
             "postAggregations":[{"type":"hyperUniqueCardinality","name":"rowsEstimate","fieldName":"byRow"}]}
            """);
        Assert.Equal(
            """[{"timestamp":"2026-11-23T10:00:00.000Z","result":{"us":2,"aClicks":14,"mean":1.8,"firstClicks":5,"lastClicks":2,"firstRevenue":1.5,"firstCountry":"US","lastCountry":"FR","byClicks":"c","byValue":6.0,"byRow":4,"prefixes":1.0,"rowsEstimate":4.0}}]""",
            json);
    }

    [Fact]
    public void Evaluate_FirstLastOverEqualTimesAndEmptyBuckets_BreakTiesByValueAndGiveNull()
    {
        var t = T0 + 60_000;
        List<Row> rows =
        [
            new(t, new Dictionary<string, object?> { ["clicks"] = 9L, ["pin_id"] = "m" }),
            new(t, new Dictionary<string, object?> { ["clicks"] = 4L, ["pin_id"] = "z" }),
            new(t + 120_000, new Dictionary<string, object?> { ["clicks"] = 1L, ["pin_id"] = null }),
            new(t + 120_000, new Dictionary<string, object?> { ["clicks"] = 8L }),
            new(T0 + 7_200_000, new Dictionary<string, object?> { ["clicks"] = 3L, ["pin_id"] = "q" }),
        ];
        var query = QueryParser.Parse("""
            {"queryType":"timeseries","dataSource":"d","intervals":["2026-11-23T10:00Z/PT3H"],"granularity":"hour","aggregations":[
              {"type":"longFirst","name":"first","fieldName":"clicks"},{"type":"longLast","name":"last","fieldName":"clicks"},
              {"type":"stringFirst","name":"firstPin","fieldName":"pin_id"},{"type":"stringLast","name":"lastPin","fieldName":"pin_id"},
              {"type":"stringLast","name":"lastNonNullPin","fieldName":"pin_id","filterNullValues":true},
              {"type":"doubleMean","name":"mean","fieldName":"clicks"},{"type":"cardinality","name":"pins","fields":["pin_id"]}]}
            """);
        var evaluator = new ReferenceEvaluator(TestData.Schema, SetSketchFactory.Instance);

        // rows split over two segments in either order merge to the same answer
        var merged = new QueryMerger(query, sketches: SetSketchFactory.Instance);
        merged.Add(evaluator.EvaluatePartial(query, [rows[3], rows[1]], "s1", default, TestContext.Current.CancellationToken));
        merged.Add(evaluator.EvaluatePartial(query, [rows[4], rows[2], rows[0]], "s0", default, TestContext.Current.CancellationToken));

        var expected = """[{"timestamp":"2026-11-23T10:00:00.000Z","result":{"first":4,"last":8,"firstPin":"m","lastPin":null,"lastNonNullPin":"z","mean":5.5,"pins":2.0}},"""
            + """{"timestamp":"2026-11-23T11:00:00.000Z","result":{"first":null,"last":null,"firstPin":null,"lastPin":null,"lastNonNullPin":null,"mean":0.0,"pins":0.0}},"""
            + """{"timestamp":"2026-11-23T12:00:00.000Z","result":{"first":3,"last":3,"firstPin":"q","lastPin":"q","lastNonNullPin":"q","mean":3.0,"pins":1.0}}]""";
        Assert.Equal(expected, QueryResultWriter.ToJson(evaluator.Evaluate(query, rows, TestContext.Current.CancellationToken)));
        Assert.Equal(expected, QueryResultWriter.ToJson(merged.Complete(TestContext.Current.CancellationToken)));
    }

    [Fact]
    public void Evaluate_VirtualColumns_GroupFilterAndAggregateLikeColumns()
    {
        var json = Run("""
            {"queryType":"groupBy","dataSource":"d","intervals":["2026-11-23T10:00Z/PT4H"],
             "virtualColumns":[{"type":"expression","name":"big","expression":"doubled > 8","outputType":"STRING"},
               {"type":"expression","name":"doubled","expression":"clicks * 2","outputType":"LONG"},
               {"type":"expression","name":"place","expression":"nvl(lower(country), 'unknown')"}],
             "filter":{"type":"bound","dimension":"doubled","lower":"4","ordering":"numeric"},
             "dimensions":["place","big"],
             "aggregations":[{"type":"count","name":"n"},{"type":"longSum","name":"d","fieldName":"doubled"}]}
            """);
        Assert.Equal(
            """[{"version":"v1","timestamp":"2026-11-23T10:00:00.000Z","event":{"place":"de","big":"0","n":1,"d":6}},"""
            + """{"version":"v1","timestamp":"2026-11-23T10:00:00.000Z","event":{"place":"fr","big":"0","n":1,"d":4}},"""
            + """{"version":"v1","timestamp":"2026-11-23T10:00:00.000Z","event":{"place":"us","big":"1","n":2,"d":24}}]""",
            json);
    }
}
