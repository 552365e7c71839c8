namespace Tributary.Query.Tests;

public sealed class QueryParserTests
{
    [Fact]
    public void Parse_TimeseriesWithEverything_ReadsAllFields()
    {
        var q = (TimeseriesQuery)QueryParser.Parse("""
            {"queryType":"timeseries","dataSource":{"type":"table","name":"pin_engagement"},
             "intervals":["2026-11-23T00:00Z/PT1H"],"granularity":{"type":"period","period":"PT5M","timeZone":"UTC"},
             "filter":{"type":"and","fields":[{"type":"selector","dimension":"pin_id","value":"42"},
                {"type":"not","field":{"type":"in","dimension":"country","values":["US",null]}}]},
             "aggregations":[{"type":"count","name":"rows"},{"type":"longSum","name":"clicks","fieldName":"clicks"},
                {"type":"hyperUnique","name":"users","fieldName":"user_hll","round":true}],
             "postAggregations":[{"type":"arithmetic","name":"ctr","fn":"/","fields":[
                {"type":"fieldAccess","fieldName":"clicks"},{"type":"fieldAccess","fieldName":"rows"}]},
                {"type":"hyperUniqueCardinality","name":"u","fieldName":"users"}],
             "descending":"true","context":{"timeout":"5000","explain":true,"custom":[1]}}
            """);
        Assert.Equal("pin_engagement", q.DataSource);
        Assert.Equal([new Interval(IsoTime.Parse("2026-11-23T00:00Z", "x"), IsoTime.Parse("2026-11-23T01:00Z", "x"))], q.Intervals);
        Assert.IsType<PeriodGranularity>(q.Granularity);
        Assert.IsType<AndFilter>(q.Filter);
        Assert.Equal(3, q.Aggregations.Count);
        Assert.True(q.Aggregations[2].Round);
        Assert.Equal(2, q.PostAggregations.Count);
        Assert.True(q.Descending);
        Assert.Equal(5000, q.Context.TimeoutMillis);
        Assert.True(q.Context.Explain);
        Assert.Equal("[1]", q.Context.Other["custom"]);
    }

    [Fact]
    public void Parse_TopN_ReadsDimensionMetricThreshold()
    {
        var q = (TopNQuery)QueryParser.Parse("""
            {"queryType":"topN","dataSource":"ds","intervals":"2026-11-23/2026-11-24","granularity":"hour",
             "dimension":{"type":"default","dimension":"country","outputName":"c"},
             "metric":{"type":"inverted","metric":"clicks"},"threshold":5,
             "aggregations":[{"type":"longSum","name":"clicks","fieldName":"clicks"}]}
            """);
        Assert.Equal("c", q.Dimension.OutputName);
        Assert.Equal(new InvertedTopNMetric(new NumericTopNMetric("clicks")), q.Metric);
        Assert.Equal(5, q.Threshold);
        Assert.Equal(1000, q.SegmentThreshold);
    }

    [Fact]
    public void Parse_GroupBy_ReadsHavingAndLimitSpec()
    {
        var q = (GroupByQuery)QueryParser.Parse("""
            {"queryType":"groupBy","dataSource":"ds","intervals":["2026-11-23/P1D"],"granularity":"all",
             "dimensions":["country",{"type":"default","dimension":"device","outputName":"d"}],
             "aggregations":[{"type":"count","name":"n"}],
             "having":{"type":"and","havingSpecs":[{"type":"greaterThan","aggregation":"n","value":2},
                {"type":"not","havingSpec":{"type":"dimSelector","dimension":"d","value":"ios"}}]},
             "limitSpec":{"type":"default","limit":10,"offset":1,"columns":["country",
                {"dimension":"n","direction":"descending","dimensionOrder":{"type":"numeric"}}]}}
            """);
        Assert.Equal(2, q.Dimensions.Count);
        Assert.IsType<AndHaving>(q.Having);
        Assert.Equal(10, q.LimitSpec!.Limit);
        Assert.Equal(1, q.LimitSpec.Offset);
        Assert.Equal(new OrderByColumn("n", true, StringOrdering.Numeric), q.LimitSpec.Columns[1]);
    }

    [Fact]
    public void Parse_ScanTimeBoundarySegmentMetadata_ReadFields()
    {
        var scan = (ScanQuery)QueryParser.Parse("""{"queryType":"scan","dataSource":"ds","intervals":{"type":"intervals","intervals":["2026-11-23/PT1H"]},"columns":["a","__time"],"limit":5,"offset":2,"order":"descending","resultFormat":"compactedList"}""");
        Assert.Equal(["a", "__time"], scan.Columns);
        Assert.Equal((5L, 2L, ScanOrder.Descending, ScanResultFormat.CompactedList), (scan.Limit!.Value, scan.Offset, scan.Order, scan.ResultFormat));

        var tb = (TimeBoundaryQuery)QueryParser.Parse("""{"queryType":"timeBoundary","dataSource":"ds","bound":"maxTime"}""");
        Assert.Equal(TimeBoundaryBound.MaxTime, tb.Bound);
        Assert.Equal([Interval.Eternity], tb.Intervals);

        var sm = (SegmentMetadataQuery)QueryParser.Parse("""{"queryType":"segmentMetadata","dataSource":"ds","merge":true,"toInclude":{"type":"list","columns":["a"]},"analysisTypes":["cardinality","size"]}""");
        Assert.True(sm.Merge);
        Assert.Equal(["a"], sm.ToInclude!);
        Assert.Equal(AnalysisTypes.Cardinality | AnalysisTypes.Size, sm.AnalysisTypes);
    }

    [Theory]
    [InlineData("""{"dataSource":"ds"}""", "queryType")]
    [InlineData("""{"queryType":"timeseries","intervals":["2026-11-23/P1D"]}""", "dataSource")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds"}""", "intervals")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23"]}""", "intervals[0]")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D","2026-13-01/P1D"]}""", "intervals[1]")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"aggregations":[{"type":"count","name":"n"},{"type":"longSum","name":"s"}]}""", "aggregations[1].fieldName")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"aggregations":[{"type":"count","name":"n"},{"type":"cardinality","name":"c","fields":"a"}]}""", "aggregations[1].fields")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"aggregations":[{"type":"count","name":"n"},{"type":"count","name":"n"}]}""", "aggregations[1].name")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"aggregations":[{"type":"count","name":"n"}],"postAggregations":[{"type":"arithmetic","name":"p","fn":"+","fields":[{"type":"fieldAccess","fieldName":"n"},{"type":"fieldAccess","fieldName":"x"}]}]}""", "postAggregations[0].fields[1].fieldName")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"aggregations":[{"type":"count","name":"n"}],"postAggregations":[{"type":"arithmetic","name":"p","fn":"%","fields":[]}]}""", "postAggregations[0].fn")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"granularity":"fortnight"}""", "granularity")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"granularity":{"type":"period","period":"PT5X"}}""", "granularity.period")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"granularity":{"type":"period","period":"PT5M","timeZone":"Mars/Olympus"}}""", "granularity.timeZone")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"filter":{"type":"and","fields":[{"type":"selector","dimension":"a","value":"b"},{"type":"bound","dimension":"x","ordering":"weird","lower":"1"}]}}""", "filter.fields[1].ordering")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"filter":{"type":"not","field":{"type":"regex","dimension":"a","pattern":"("}}}""", "filter.field.pattern")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"filter":{"type":"like","dimension":"a","pattern":"x%","escape":"ab"}}""", "filter.escape")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"filter":{"type":"selector","dimension":"a","value":"b","extractionFn":{"type":"nope"}}}""", "filter.extractionFn.type")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"filter":{"type":"spooky"}}""", "filter.type")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"context":{"timeout":-1}}""", "context.timeout")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"context":{"maxResultRows":"lots"}}""", "context.maxResultRows")]
    [InlineData("""{"queryType":"topN","dataSource":"ds","intervals":["2026-11-23/P1D"],"dimension":"a","metric":"m","threshold":3,"aggregations":[{"type":"count","name":"n"}]}""", "metric")]
    [InlineData("""{"queryType":"topN","dataSource":"ds","intervals":["2026-11-23/P1D"],"dimension":"a","metric":"n","threshold":0,"aggregations":[{"type":"count","name":"n"}]}""", "threshold")]
    [InlineData("""{"queryType":"topN","dataSource":"ds","intervals":["2026-11-23/P1D"],"dimension":{"type":"extraction","dimension":"a"},"metric":"n","threshold":3}""", "dimension.extractionFn")]
    [InlineData("""{"queryType":"groupBy","dataSource":"ds","intervals":["2026-11-23/P1D"],"dimensions":["a"],"aggregations":[{"type":"count","name":"n"}],"having":{"type":"greaterThan","aggregation":"zz","value":1}}""", "having.aggregation")]
    [InlineData("""{"queryType":"groupBy","dataSource":"ds","intervals":["2026-11-23/P1D"],"dimensions":["a"],"aggregations":[{"type":"count","name":"n"}],"limitSpec":{"type":"default","columns":["a",{"dimension":"q"}]}}""", "limitSpec.columns[1].dimension")]
    [InlineData("""{"queryType":"groupBy","dataSource":"ds","intervals":["2026-11-23/P1D"],"dimensions":["a","a"]}""", "dimensions[1]")]
    [InlineData("""{"queryType":"scan","dataSource":"ds","intervals":["2026-11-23/P1D"],"resultFormat":"rows"}""", "resultFormat")]
    [InlineData("""{"queryType":"scan","dataSource":"ds","intervals":["2026-11-23/P1D"],"columns":["a",3]}""", "columns[1]")]
    [InlineData("""{"queryType":"scan","dataSource":{"type":"join"},"intervals":["2026-11-23/P1D"]}""", "dataSource.type")]
    [InlineData("""{"queryType":"select","dataSource":"ds"}""", "queryType")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"filter":{"type":"range","column":"a","matchValueType":"LONG"}}""", "filter")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"filter":{"type":"range","matchValueType":"LONG","lower":1}}""", "filter.column")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"filter":{"type":"range","column":"a","lower":1}}""", "filter.matchValueType")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"filter":{"type":"range","column":"a","matchValueType":"TEXT","lower":1}}""", "filter.matchValueType")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"filter":{"type":"range","column":"a","matchValueType":"LONG","lower":1,"upper":"ten"}}""", "filter.upper")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"filter":{"type":"range","column":"a","matchValueType":"ARRAY<LONG>","lower":1}}""", "filter.matchValueType")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"filter":{"type":"interval","dimension":"__time"}}""", "filter.intervals")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"filter":{"type":"interval","dimension":"__time","intervals":[]}}""", "filter.intervals")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"filter":{"type":"and","fields":[{"type":"interval","dimension":"__time","intervals":["2026-11-23/P1D","today"]}]}}""", "filter.fields[0].intervals[1]")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"filter":{"type":"search","dimension":"a"}}""", "filter.query")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"filter":{"type":"search","dimension":"a","query":{"type":"soundsLike","value":"x"}}}""", "filter.query.type")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"filter":{"type":"search","dimension":"a","query":{"type":"contains"}}}""", "filter.query.value")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"filter":{"type":"search","dimension":"a","query":{"type":"fragment","values":"x"}}}""", "filter.query.values")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"filter":{"type":"search","dimension":"a","query":{"type":"regex","pattern":"("}}}""", "filter.query.pattern")]
    [InlineData("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"filter":{"type":"search","query":{"type":"contains","value":"x"}}}""", "filter.dimension")]
    [InlineData("""{"queryType":"search","dataSource":"ds","intervals":["2026-11-23/P1D"]}""", "query")]
    [InlineData("""{"queryType":"search","dataSource":"ds","query":{"type":"contains","value":"x"}}""", "intervals")]
    [InlineData("""{"queryType":"search","dataSource":"ds","intervals":["2026-11-23/P1D"],"query":{"type":"contains","value":"x"},"sort":{"type":"backwards"}}""", "sort.type")]
    [InlineData("""{"queryType":"search","dataSource":"ds","intervals":["2026-11-23/P1D"],"query":{"type":"contains","value":"x"},"limit":0}""", "limit")]
    [InlineData("""{"queryType":"search","dataSource":"ds","intervals":["2026-11-23/P1D"],"query":{"type":"contains","value":"x"},"searchDimensions":["a",7]}""", "searchDimensions[1]")]
    [InlineData("""{"queryType":"search","dataSource":"ds","intervals":["2026-11-23/P1D"],"query":{"type":"fragment"}}""", "query.values")]
    [InlineData("""{"queryType":"dataSourceMetadata"}""", "dataSource")]
    [InlineData("""{"queryType":"segmentMetadata","dataSource":"ds","aggregatorMergeStrategy":"newest"}""", "aggregatorMergeStrategy")]
    [InlineData("""{"queryType":"segmentMetadata","dataSource":"ds","analysisTypes":["cardinality","everything"]}""", "analysisTypes[1]")]
    [InlineData("""{"queryType":"scan","dataSource":"ds","intervals":["2026-11-23/P1D"],"virtualColumns":[{"type":"expression","name":"v","expression":"a+"}]}""", "virtualColumns[0].expression")]
    [InlineData("""{"queryType":"scan","dataSource":"ds","intervals":["2026-11-23/P1D"],"virtualColumns":[{"type":"expression","name":"v","expression":"1"},{"type":"expression","name":"v","expression":"2"}]}""", "virtualColumns[1].name")]
    [InlineData("""{"queryType":"scan","dataSource":"ds","intervals":["2026-11-23/P1D"],"virtualColumns":[{"type":"expression","name":"__time","expression":"1"}]}""", "virtualColumns[0].name")]
    [InlineData("""{"queryType":"scan","dataSource":"ds","intervals":["2026-11-23/P1D"],"virtualColumns":[{"type":"expression","name":"a","expression":"b + 1"},{"type":"expression","name":"b","expression":"a * 2"}]}""", "virtualColumns[0].expression")]
    [InlineData("""{"queryType":"scan","dataSource":"ds","intervals":["2026-11-23/P1D"],"virtualColumns":[{"type":"expression","name":"v","expression":"1","outputType":"ARRAY<LONG>"}]}""", "virtualColumns[0].outputType")]
    [InlineData("""{"queryType":"scan","dataSource":"ds","intervals":["2026-11-23/P1D"],"virtualColumns":[{"type":"nested-field","name":"v"}]}""", "virtualColumns[0].type")]
    [InlineData("""{"queryType":"scan","dataSource":"ds","intervals":["2026-11-23/P1D"],"virtualColumns":[{"type":"expression","name":"v"}]}""", "virtualColumns[0].expression")]
    [InlineData("""{"queryType":"scan","dataSource":"ds","intervals":["2026-11-23/P1D"],"virtualColumns":{"type":"expression"}}""", "virtualColumns")]
    public void Parse_InvalidField_ThrowsNamingThePath(string json, string path)
    {
        var ex = Assert.ThrowsAny<QueryValidationException>(() => QueryParser.Parse(json));
        Assert.Equal(path, ex.Path);
        Assert.StartsWith(path + ": ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SearchAndDataSourceMetadata_ReadFields()
    {
        var search = (SearchQuery)QueryParser.Parse("""
            {"queryType":"search","dataSource":"ds","intervals":["2026-11-23/P1D"],"granularity":"hour","searchDimensions":["a",{"type":"default","dimension":"b","outputName":"bee"}],
             "query":{"type":"fragment","values":["x",2],"caseSensitive":true},"sort":{"type":"strlen"},"limit":7}
            """);
        Assert.Equal([new DimensionSpec("a", "a"), new DimensionSpec("b", "bee")], search.SearchDimensions);
        Assert.Equal(new FragmentSearchQuerySpec(["x", "2"], true).Values, ((FragmentSearchQuerySpec)search.Query).Values);
        Assert.True(((FragmentSearchQuerySpec)search.Query).CaseSensitive);
        Assert.Equal(StringOrdering.Strlen, search.Sort);
        Assert.Equal(7, search.Limit);
        Assert.Equal("search", search.QueryType);
        Assert.Equal(new HashSet<string> { "a", "b" }, search.RequiredColumns());

        var defaults = (SearchQuery)QueryParser.Parse("""{"queryType":"search","dataSource":"ds","intervals":["2026-11-23/P1D"],"query":{"type":"insensitive_contains","value":"X"}}""");
        Assert.Null(defaults.SearchDimensions);
        Assert.Null(defaults.RequiredColumns());
        Assert.Equal(1000, defaults.Limit);
        Assert.Equal(StringOrdering.Lexicographic, defaults.Sort);
        Assert.True(defaults.Granularity.IsAll);
        Assert.True(defaults.Query.Accepts("axe"));

        var metadata = QueryParser.Parse("""{"queryType":"dataSourceMetadata","dataSource":{"type":"table","name":"ds"},"context":{"queryId":"q1"}}""");
        Assert.IsType<DataSourceMetadataQuery>(metadata);
        Assert.Equal("ds", metadata.DataSource);
        Assert.Equal([Interval.Eternity], metadata.Intervals);
    }

    [Fact]
    public void Parse_MalformedJson_ThrowsWithPosition()
    {
        var ex = Assert.Throws<QueryValidationException>(() => QueryParser.Parse("{\"queryType\": \"timeseries\",\n \"dataSource\": }"));
        Assert.Equal(string.Empty, ex.Path);
        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TrailingContent_Throws()
    {
        var ex = Assert.Throws<QueryValidationException>(() => QueryParser.Parse("""{"queryType":"timeBoundary","dataSource":"ds"} {"x":1}"""));
        Assert.Equal(string.Empty, ex.Path);
        Assert.Equal("Json parse failed", DruidError.FromException(ex).Error);
    }

    [Fact]
    public void Parse_NewAggregators_ReadTheirOptions()
    {
        var query = (TimeseriesQuery)QueryParser.Parse("""
            {"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"aggregations":[
              {"type":"cardinality","name":"c","fields":["a",{"type":"extraction","dimension":"b","outputName":"b","extractionFn":{"type":"upper"}}],"byRow":true,"round":true},
              {"type":"filtered","filter":{"type":"selector","dimension":"a","value":"x"},"aggregator":{"type":"count","name":"n"}},
              {"type":"filtered","name":"outer","filter":{"type":"selector","dimension":"a","value":"x"},"aggregator":{"type":"filtered","filter":{"type":"selector","dimension":"b","value":"y"},"aggregator":{"type":"doubleMean","name":"inner","fieldName":"m"}}},
              {"type":"stringLast","name":"s","fieldName":"a","maxStringBytes":8,"filterNullValues":true},
              {"type":"floatFirst","name":"f","fieldName":"m","timeColumn":"t"}]}
            """);
        var a = query.Aggregations;
        Assert.Equal((AggregatorType.Cardinality, true, true, 2), (a[0].Type, a[0].ByRow, a[0].Round, a[0].Fields.Count));
        Assert.IsType<CaseExtractionFn>(a[0].Fields[1].ExtractionFn);
        Assert.Equal((AggregatorType.Count, "n"), (a[1].Type, a[1].Name));
        Assert.IsType<SelectorFilter>(a[1].Filter);
        Assert.Equal((AggregatorType.DoubleMean, "outer", "m"), (a[2].Type, a[2].Name, a[2].FieldName));
        Assert.Equal(2, Assert.IsType<AndFilter>(a[2].Filter).Fields.Count);
        Assert.Equal((AggregatorType.StringLast, 8, true, "__time"), (a[3].Type, a[3].MaxStringBytes, a[3].FilterNullValues, a[3].TimeColumn));
        Assert.Equal((AggregatorType.DoubleFirst, "t"), (a[4].Type, a[4].TimeColumn));
        Assert.Equal(["__time", "a", "b", "m", "t"], query.RequiredColumns()!.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("""{"type":"cardinality","name":"c","fields":[]}""", "aggregations[0].fields")]
    [InlineData("""{"type":"cardinality","name":"c"}""", "aggregations[0].fields")]
    [InlineData("""{"type":"cardinality","name":"c","fields":["a",{"type":"extraction","dimension":"b","extractionFn":{"type":"regex","expr":"("}}]}""", "aggregations[0].fields[1].extractionFn.expr")]
    [InlineData("""{"type":"filtered","aggregator":{"type":"count","name":"n"}}""", "aggregations[0].filter")]
    [InlineData("""{"type":"filtered","filter":{"type":"selector","dimension":"a","value":"x"}}""", "aggregations[0].aggregator")]
    [InlineData("""{"type":"filtered","filter":{"type":"selector","dimension":"a","value":"x"},"aggregator":{"type":"longSum","name":"s"}}""", "aggregations[0].aggregator.fieldName")]
    [InlineData("""{"type":"filtered","filter":{"type":"bogus"},"aggregator":{"type":"count","name":"n"}}""", "aggregations[0].filter.type")]
    [InlineData("""{"type":"longFirst","name":"f"}""", "aggregations[0].fieldName")]
    [InlineData("""{"type":"stringFirst","name":"f","fieldName":"a","maxStringBytes":0}""", "aggregations[0].maxStringBytes")]
    [InlineData("""{"type":"thetaSketch","name":"t","fieldName":"a"}""", "aggregations[0].type")]
    public void Parse_BadNewAggregator_ThrowsNamingThePath(string aggregator, string path)
    {
        var ex = Assert.ThrowsAny<QueryValidationException>(() => QueryParser.Parse($$"""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"aggregations":[{{aggregator}}]}"""));
        Assert.Equal(path, ex.Path);
    }

    [Fact]
    public void Parse_FilteredAggregatorsWithTheSameInnerName_AreDuplicates()
    {
        var ex = Assert.Throws<QueryValidationException>(() => QueryParser.Parse("""{"queryType":"timeseries","dataSource":"ds","intervals":["2026-11-23/P1D"],"aggregations":[{"type":"count","name":"n"},{"type":"filtered","filter":{"type":"selector","dimension":"a","value":"x"},"aggregator":{"type":"count","name":"n"}}]}"""));
        Assert.Equal("aggregations[1].name", ex.Path);
    }

    [Fact]
    public void Parse_OverlappingIntervals_AreCondensed()
    {
        var q = QueryParser.Parse("""{"queryType":"scan","dataSource":"ds","intervals":["2026-11-23T02:00Z/PT1H","2026-11-23T00:00Z/2026-11-23T01:30Z","PT1H/2026-11-23T02:00Z"]}""");
        Assert.Equal([new Interval(IsoTime.Parse("2026-11-23T00:00Z", "x"), IsoTime.Parse("2026-11-23T03:00Z", "x"))], q.Intervals);
    }

    [Fact]
    public void ParseFilter_LikeWithEscape_MatchesLiterally()
    {
        var f = (LikeFilter)QueryParser.ParseFilter(System.Text.Json.JsonDocument.Parse("""{"type":"like","dimension":"d","pattern":"50!%_off%","escape":"!"}""").RootElement, "filter");
        Assert.True(f.Matches("50%xoff and more"));
        Assert.False(f.Matches("50xxoff"));
        Assert.False(f.Matches(null));
    }

    [Fact]
    public void ParseFilter_NumericBound_ComparesNumbers()
    {
        var f = (BoundFilter)QueryParser.ParseFilter(System.Text.Json.JsonDocument.Parse("""{"type":"bound","dimension":"d","lower":"2","upper":10,"upperStrict":true,"ordering":"numeric"}""").RootElement, "filter");
        Assert.True(f.Matches("9.5"));
        Assert.True(f.Matches("2"));
        Assert.False(f.Matches("10"));
        Assert.False(f.Matches("abc"));
        Assert.False(f.Matches(null));
    }

    [Theory]
    [InlineData("""{"timeout":"soon"}""", "context.timeout")]
    [InlineData("""{"maxBuckets":0}""", "context.maxBuckets")]
    [InlineData("""{"explain":"maybe"}""", "context.explain")]
    public void Parse_InvalidContextValue_ThrowsNamingTheKey(string context, string path)
    {
        var ex = Assert.Throws<QueryValidationException>(() => QueryParser.Parse($$"""{"queryType":"timeBoundary","dataSource":"d","context":{{context}}}"""));
        Assert.Equal(path, ex.Path);
    }

    [Theory]
    [InlineData("""
        {"queryType":"timeseries","dataSource":"sample_datasource","granularity":"day","descending":"true",
         "filter":{"type":"and","fields":[{"type":"selector","dimension":"sample_dimension1","value":"sample_value1"},
           {"type":"or","fields":[{"type":"selector","dimension":"sample_dimension2","value":"sample_value2"},{"type":"selector","dimension":"sample_dimension3","value":"sample_value3"}]}]},
         "aggregations":[{"type":"longSum","name":"sample_name1","fieldName":"sample_fieldName1"},{"type":"doubleSum","name":"sample_name2","fieldName":"sample_fieldName2"}],
         "postAggregations":[{"type":"arithmetic","name":"sample_divide","fn":"/","fields":[
           {"type":"fieldAccess","name":"postAgg__sample_name1","fieldName":"sample_name1"},{"type":"fieldAccess","name":"postAgg__sample_name2","fieldName":"sample_name2"}]}],
         "intervals":["2012-01-01T00:00:00.000/2012-01-03T00:00:00.000"]}
        """)]
    [InlineData("""
        {"queryType":"topN","dataSource":"sample_data","dimension":"sample_dim","threshold":5,"metric":"count","granularity":"all",
         "filter":{"type":"and","fields":[{"type":"selector","dimension":"dim1","value":"some_value"},{"type":"selector","dimension":"dim2","value":"some_other_val"}]},
         "aggregations":[{"type":"longSum","name":"count","fieldName":"count"},{"type":"doubleSum","name":"some_metric","fieldName":"some_metric"}],
         "postAggregations":[{"type":"arithmetic","name":"average","fn":"/","fields":[{"type":"fieldAccess","name":"some_metric","fieldName":"some_metric"},{"type":"fieldAccess","name":"count","fieldName":"count"}]}],
         "intervals":["2013-08-31T00:00:00.000/2013-09-03T00:00:00.000"]}
        """)]
    [InlineData("""
        {"queryType":"groupBy","dataSource":"sample_datasource","granularity":"day","dimensions":["country","device"],
         "limitSpec":{"type":"default","limit":5000,"columns":["country","data_transfer"]},
         "filter":{"type":"and","fields":[{"type":"selector","dimension":"carrier","value":"AT&T"},
           {"type":"or","fields":[{"type":"selector","dimension":"make","value":"Apple"},{"type":"selector","dimension":"make","value":"Samsung"}]}]},
         "aggregations":[{"type":"longSum","name":"total_usage","fieldName":"user_count"},{"type":"doubleSum","name":"data_transfer","fieldName":"data_transfer"}],
         "postAggregations":[{"type":"arithmetic","name":"avg_usage","fn":"/","fields":[{"type":"fieldAccess","fieldName":"data_transfer"},{"type":"fieldAccess","fieldName":"total_usage"}]}],
         "intervals":["2012-01-01T00:00:00.000/2012-01-03T00:00:00.000"],
         "having":{"type":"greaterThan","aggregation":"total_usage","value":100}}
        """)]
    [InlineData("""{"queryType":"scan","dataSource":"wikipedia","resultFormat":"list","columns":[],"intervals":["2013-01-01/2013-01-02"],"batchSize":20480,"limit":3}""")]
    [InlineData("""{"queryType":"timeBoundary","dataSource":"sample_datasource","bound":"maxTime"}""")]
    [InlineData("""{"queryType":"segmentMetadata","dataSource":"sample_datasource","intervals":["2013-01-01/2014-01-01"]}""")]
    public void Parse_DruidDocumentationExamples_AreAccepted(string json)
    {
        var query = QueryParser.Parse(json);
        Assert.False(string.IsNullOrEmpty(query.DataSource));
        Assert.NotEmpty(query.Intervals);
    }

    [Fact]
    public void RequiredColumns_Queries_ListWhatSegmentsMustRead()
    {
        var groupBy = QueryParser.Parse("""{"queryType":"groupBy","dataSource":"d","intervals":["2026-11-23/P1D"],"dimensions":["country"],"filter":{"type":"selector","dimension":"pin_id","value":"a"},"aggregations":[{"type":"count","name":"n"},{"type":"longSum","name":"c","fieldName":"clicks"}]}""");
        Assert.Equal(["clicks", "country", "pin_id"], groupBy.RequiredColumns()!.Order(StringComparer.Ordinal));
        Assert.Null(QueryParser.Parse("""{"queryType":"scan","dataSource":"d","intervals":["2026-11-23/P1D"]}""").RequiredColumns());
        Assert.Empty(QueryParser.Parse("""{"queryType":"timeBoundary","dataSource":"d"}""").RequiredColumns()!);
    }
}
