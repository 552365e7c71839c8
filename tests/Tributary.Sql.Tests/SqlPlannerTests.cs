using Tributary.Query;

namespace Tributary.Sql.Tests;

public sealed class SqlPlannerTests
{
    private const long Hour = 3_600_000L;
    private static readonly List<Row> Rows = SqlTestData.Rows(7, 500);

    private static T Native<T>(string sql)
        where T : NativeQuery => Assert.IsType<T>(SqlTestData.Plan(sql).NativeQuery);

    [Fact]
    public void AggregatesWithoutGroupBy_AreTimeseriesOverAllTime()
    {
        var q = Native<TimeseriesQuery>("SELECT COUNT(*) AS c, SUM(clicks), MIN(dwell_ms), MAX(__time) FROM pin_engagement");
        Assert.True(q.Granularity.IsAll);
        Assert.Equal([Interval.Eternity], q.Intervals);
        Assert.Null(q.Filter);
        Assert.Equal(["count", "longSum", "doubleMin", "longMax"], q.Aggregations.Take(4).Select(a => a.TypeName));
        Assert.False(q.Context.SkipEmptyBuckets);
        SqlComparison.AssertSameAnswer("SELECT COUNT(*) AS c, SUM(clicks), MIN(dwell_ms), MAX(__time) FROM pin_engagement", Rows);
    }

    [Theory]
    [InlineData("FLOOR(__time TO HOUR)", "PT1H")]
    [InlineData("TIME_FLOOR(__time, 'PT15M')", "PT15M")]
    [InlineData("DATE_TRUNC('day', __time)", "P1D")]
    [InlineData("FLOOR(__time TO WEEK)", "P1W")]
    public void GroupByTimeFloorOnly_IsTimeseriesWithThatGranularityAndNoEmptyBuckets(string floor, string period)
    {
        var sql = $"SELECT {floor} AS t, COUNT(*) AS c FROM pin_engagement WHERE clicks > 3 GROUP BY 1";
        var q = Native<TimeseriesQuery>(sql);
        Assert.Equal(period, Assert.IsType<PeriodGranularity>(q.Granularity).Period.ToString());
        Assert.True(q.Context.SkipEmptyBuckets);
        SqlComparison.AssertSameAnswer(sql, Rows);
    }

    [Fact]
    public void TimeseriesOrderByTimeDescWithLimit_IsNative()
    {
        var q = Native<TimeseriesQuery>("SELECT FLOOR(__time TO HOUR) AS t, SUM(clicks) FROM pin_engagement GROUP BY 1 ORDER BY t DESC LIMIT 3");
        Assert.True(q.Descending);
        Assert.Equal(3, q.Limit);
        SqlComparison.AssertSameAnswer("SELECT FLOOR(__time TO HOUR) AS t, SUM(clicks) FROM pin_engagement GROUP BY 1 ORDER BY t DESC LIMIT 3 OFFSET 1", Rows);
    }

    [Fact]
    public void OneDimensionOrderedByAggregateWithLimit_IsTopN()
    {
        const string sql = "SELECT country, COUNT(*) AS c FROM pin_engagement GROUP BY country ORDER BY c DESC LIMIT 3";
        var q = Native<TopNQuery>(sql);
        Assert.Equal(new DimensionSpec("country", "d0"), q.Dimension);
        Assert.Equal(new NumericTopNMetric("a0"), q.Metric);
        Assert.Equal(3, q.Threshold);
        SqlComparison.AssertSameAnswer(sql, Rows);
        Assert.IsType<InvertedTopNMetric>(Native<TopNQuery>("SELECT device, SUM(clicks) AS s FROM pin_engagement GROUP BY 1 ORDER BY s LIMIT 2").Metric);
    }

    [Fact]
    public void OtherGroupings_AreGroupByWithHavingAndLimitSpec()
    {
        const string sql = "SELECT device, user_age, COUNT(*) AS c FROM pin_engagement GROUP BY 1, 2 HAVING COUNT(*) >= 2 ORDER BY c DESC, user_age LIMIT 5 OFFSET 2";
        var q = Native<GroupByQuery>(sql);
        Assert.Equal([new DimensionSpec("device", "d0"), new DimensionSpec("user_age", "d1", DimensionOutputType.Long)], q.Dimensions);
        Assert.IsType<FilterHaving>(q.Having);
        Assert.Equal((5L, 2L), (q.LimitSpec!.Limit, q.LimitSpec.Offset));
        Assert.Equal([new OrderByColumn("a0", true, StringOrdering.Numeric), new OrderByColumn("d1", false, StringOrdering.Numeric)], q.LimitSpec.Columns);
        SqlComparison.AssertSameAnswer(sql, Rows);
        // topN needs no OFFSET: with one it is a groupBy
        Native<GroupByQuery>("SELECT country, COUNT(*) AS c FROM pin_engagement GROUP BY country ORDER BY c DESC LIMIT 3 OFFSET 1");
    }

    [Fact]
    public void TimeAndDimension_GroupByWithGranularity_SortedAfterwardsWhenNotByTime()
    {
        const string sql = "SELECT FLOOR(__time TO HOUR) AS h, country, COUNT(*) AS c FROM pin_engagement GROUP BY 1, 2 ORDER BY c DESC LIMIT 4";
        var plan = SqlTestData.Plan(sql);
        var q = Assert.IsType<GroupByQuery>(plan.NativeQuery);
        Assert.Equal("PT1H", Assert.IsType<PeriodGranularity>(q.Granularity).Period.ToString());
        Assert.Null(q.LimitSpec);
        Assert.Equal([new SqlSortKey("a0", true)], plan.PostProcessing.Sort);
        Assert.Equal(4, plan.PostProcessing.Limit);
        SqlComparison.AssertSameAnswer(sql, Rows);
    }

    [Fact]
    public void NoAggregates_IsScanWithColumnsOrderLimitOffset()
    {
        const string sql = "SELECT __time, country, clicks FROM pin_engagement WHERE device = 'ios' ORDER BY __time DESC LIMIT 7 OFFSET 3";
        var q = Native<ScanQuery>(sql);
        Assert.Equal(["__time", "country", "clicks"], q.Columns);
        Assert.Equal(ScanOrder.Descending, q.Order);
        Assert.Equal(7, q.Limit);
        Assert.Equal(3, q.Offset);
        SqlComparison.AssertSameAnswer(sql, Rows);
    }

    [Fact]
    public void TimeConditions_BecomeIntervals_OthersFilters()
    {
        var q = Native<TimeseriesQuery>(
            "SELECT COUNT(*) FROM pin_engagement WHERE __time >= TIMESTAMP '2026-11-23 01:00:00' AND __time < TIMESTAMP '2026-11-23 05:00:00' AND country = 'US'");
        Assert.Equal([new Interval(SqlTestData.Start + Hour, SqlTestData.Start + (5 * Hour))], q.Intervals);
        Assert.Equal("US", Assert.IsType<SelectorFilter>(q.Filter).Value);

        // the clock is fixed at Start + 30 h
        var recent = Native<ScanQuery>("SELECT country FROM pin_engagement WHERE __time >= CURRENT_TIMESTAMP - INTERVAL '2' HOUR");
        Assert.Equal([new Interval(SqlTestData.Start + (28 * Hour), IsoTime.MaxInstant)], recent.Intervals);

        var between = Native<ScanQuery>("SELECT country FROM pin_engagement WHERE __time BETWEEN TIMESTAMP '2026-11-23 00:00:00' AND TIMESTAMP '2026-11-23 00:59:59.999' OR __time = TIMESTAMP '2026-11-24 00:00:00'");
        Assert.Equal([new Interval(SqlTestData.Start, SqlTestData.Start + Hour), new Interval(SqlTestData.Start + (24 * Hour), SqlTestData.Start + (24 * Hour) + 1)], between.Intervals);

        var not = Native<ScanQuery>("SELECT country FROM pin_engagement WHERE NOT (__time < DATE '2026-11-24')");
        Assert.Equal([new Interval(SqlTestData.Start + (24 * Hour), IsoTime.MaxInstant)], not.Intervals);

        // __time mixed with other columns under OR stays a filter on __time
        var mixed = Native<ScanQuery>("SELECT country FROM pin_engagement WHERE __time < TIMESTAMP '2026-11-23 01:00:00' OR country = 'US'");
        Assert.Equal([Interval.Eternity], mixed.Intervals);
        Assert.IsType<OrFilter>(mixed.Filter);
        SqlComparison.AssertSameAnswer("SELECT country FROM pin_engagement WHERE __time < TIMESTAMP '2026-11-23 01:00:00' OR country = 'US'", Rows);
    }

    [Fact]
    public void NegatedConditions_DoNotMatchNulls()
    {
        var q = Native<ScanQuery>("SELECT country FROM pin_engagement WHERE country <> 'US'");
        var and = Assert.IsType<AndFilter>(q.Filter);
        Assert.Equal(2, and.Fields.Count);
        Assert.False(q.Filter!.Evaluate(_ => null));
        Assert.True(q.Filter.Evaluate(_ => "DE"));
        Assert.False(q.Filter.Evaluate(_ => "US"));

        foreach (var sql in new[]
                 {
                     "SELECT country FROM pin_engagement WHERE country <> 'US'",
                     "SELECT country FROM pin_engagement WHERE country NOT IN ('US', 'DE')",
                     "SELECT country FROM pin_engagement WHERE country NOT LIKE 'U%'",
                     "SELECT country FROM pin_engagement WHERE NOT (country = 'US' OR user_age > 30)",
                     "SELECT user_age FROM pin_engagement WHERE user_age NOT BETWEEN 20 AND 40",
                 })
        {
            SqlComparison.AssertSameAnswer(sql, Rows);
            Assert.DoesNotContain(SqlTestData.Run(SqlTestData.Plan(sql), Rows), r => r[0] is null);
        }

        // NOT IN with a NULL in the list is never true
        Assert.Empty(SqlTestData.Run(SqlTestData.Plan("SELECT country FROM pin_engagement WHERE country NOT IN ('US', NULL)"), Rows));
        Assert.Empty(SqlTestData.Run(SqlTestData.Plan("SELECT country FROM pin_engagement WHERE country = NULL"), Rows));
    }

    [Fact]
    public void NumericConditions_CompareByValue()
    {
        var q = Native<ScanQuery>("SELECT clicks FROM pin_engagement WHERE clicks = 5 AND dwell_ms >= 100");
        var and = Assert.IsType<AndFilter>(q.Filter);
        Assert.Equal("5", Assert.IsType<SelectorFilter>(and.Fields[0]).Value);
        var bound = Assert.IsType<BoundFilter>(and.Fields[1]);
        Assert.Equal(("100.0", StringOrdering.Numeric), (bound.Lower, bound.Ordering));
        SqlComparison.AssertSameAnswer("SELECT clicks, dwell_ms FROM pin_engagement WHERE clicks = 5.0 OR dwell_ms = 100 OR clicks < 2.5 OR user_age IN (20, 30)", Rows);
    }

    [Fact]
    public void AvgAndArithmetic_ArePostAggregators()
    {
        const string sql = "SELECT device, AVG(clicks) AS a, SUM(dwell_ms) / COUNT(*) AS per FROM pin_engagement GROUP BY device";
        var q = Native<GroupByQuery>(sql);
        Assert.Equal(2, q.PostAggregations.Count);
        Assert.Equal(ArithmeticFunction.Quotient, Assert.IsType<ArithmeticPostAggregator>(q.PostAggregations[0]).Function);
        SqlComparison.AssertSameAnswer(sql, Rows);
    }

    [Fact]
    public void EmptyTimeseries_GivesZeroCountsAndNullSums()
    {
        const string sql = "SELECT COUNT(*), SUM(clicks), AVG(dwell_ms), MIN(clicks), COUNT(DISTINCT pin_id) FROM pin_engagement WHERE country = 'nowhere'";
        var rows = SqlTestData.Run(SqlTestData.Plan(sql), Rows);
        Assert.Equal([0L, null, null, null, 0L], Assert.Single(rows));
        SqlComparison.AssertSameAnswer(sql, Rows);
    }

    [Fact]
    public void DistinctCounts_UseHyperUniqueOverTheMetric_CardinalityOverADimension()
    {
        var q = Native<TimeseriesQuery>("SELECT COUNT(DISTINCT pin_id), APPROX_COUNT_DISTINCT(unique_users) FROM pin_engagement");
        Assert.Equal(AggregatorType.Cardinality, q.Aggregations[0].Type);
        Assert.True(q.Aggregations[0].Round);
        Assert.Equal([new DimensionSpec("pin_id", "pin_id")], q.Aggregations[0].Fields);
        Assert.Equal(new AggregatorSpec(AggregatorType.HyperUnique, "a1", "unique_users", true), q.Aggregations[1]);
        var row = Assert.Single(SqlTestData.Run(SqlTestData.Plan("SELECT COUNT(DISTINCT pin_id), APPROX_COUNT_DISTINCT(unique_users) FROM pin_engagement"), Rows));
        Assert.Equal((long)Rows.Select(r => r.Get("pin_id")).Distinct().Count(), row[0]);
        var users = new SetSketch();
        foreach (var r in Rows)
        {
            users.Merge((SetSketch)r.Get("unique_users")!);
        }

        Assert.Equal((long)users.Estimate(), row[1]);
    }

    [Fact]
    public void DistinctWithoutAggregates_IsGrouping()
    {
        const string sql = "SELECT DISTINCT country, device FROM pin_engagement ORDER BY 1 DESC LIMIT 6";
        Assert.Empty(Native<GroupByQuery>(sql).Aggregations);
        SqlComparison.AssertSameAnswer(sql, Rows);
    }

    [Fact]
    public void Parameters_AreBoundByPosition()
    {
        var plan = SqlTestData.Plan(
            "SELECT country, COUNT(*) FROM pin_engagement WHERE device = ? AND clicks >= ? AND __time >= ? GROUP BY 1 LIMIT ?",
            [new SqlParameterValue("VARCHAR", "ios"), new SqlParameterValue("BIGINT", 3L), new SqlParameterValue("TIMESTAMP", "2026-11-23 02:00:00"), new SqlParameterValue("INTEGER", 4L)]);
        var q = Assert.IsType<GroupByQuery>(plan.NativeQuery);
        Assert.Equal(SqlTestData.Start + (2 * Hour), q.Intervals[0].Start);
        Assert.Equal(4, q.LimitSpec!.Limit);
        Assert.Equal("ios", Assert.IsType<SelectorFilter>(Assert.IsType<AndFilter>(q.Filter).Fields[0]).Value);
    }

    [Fact]
    public void OuterLimit_CapsRows()
    {
        var options = SqlTestData.Options with { OuterLimit = 2 };
        var scan = Assert.IsType<ScanQuery>(SqlPlanner.Plan("SELECT country FROM pin_engagement LIMIT 10", null, SqlTestData.Catalog, options).NativeQuery);
        Assert.Equal(2, scan.Limit);
        var groupBy = SqlPlanner.Plan("SELECT country, COUNT(*) FROM pin_engagement GROUP BY 1", null, SqlTestData.Catalog, options);
        Assert.Equal(2, SqlTestData.Run(groupBy, Rows).Count);
    }

    [Fact]
    public void ExplainPlanFor_GivesTheNativeQueryJson()
    {
        var plan = SqlTestData.Plan("EXPLAIN PLAN FOR SELECT country, COUNT(*) AS c FROM pin_engagement WHERE __time >= TIMESTAMP '2026-11-23 00:00:00' GROUP BY 1 ORDER BY c DESC LIMIT 3");
        Assert.True(plan.Explain);
        var json = plan.ExplainJson()!;
        Assert.StartsWith("{\"queryType\":\"topN\",\"dataSource\":\"pin_engagement\",\"intervals\":[\"2026-11-23T00:00:00.000Z/", json, StringComparison.Ordinal);
        var parsed = Assert.IsType<TopNQuery>(QueryParser.Parse(json));
        Assert.Equal(3, parsed.Threshold);
        Assert.Equal(json, NativeQueryJsonWriter.ToJson(parsed));

        using var planColumn = System.Text.Json.JsonDocument.Parse(plan.ExplainPlanJson());
        var entry = Assert.Single(planColumn.RootElement.EnumerateArray().ToList());
        Assert.Equal("topN", entry.GetProperty("query").GetProperty("queryType").GetString());
        Assert.Equal("[{\"name\":\"d0\",\"type\":\"STRING\"},{\"name\":\"a0\",\"type\":\"LONG\"}]", entry.GetProperty("signature").GetRawText());
        Assert.Equal("[{\"queryColumn\":\"d0\",\"outputColumn\":\"country\"},{\"queryColumn\":\"a0\",\"outputColumn\":\"c\"}]", entry.GetProperty("columnMappings").GetRawText());
        Assert.Equal("[{\"name\":\"pin_engagement\",\"type\":\"DATASOURCE\"}]", plan.ExplainResourcesJson());
    }

    [Fact]
    public void Writer_RoundTripsEveryShapeThroughQueryParser()
    {
        var query = new GroupByQuery
        {
            DataSource = "ds",
            Intervals = [new Interval(0, 10 * Hour)],
            Filter = new AndFilter([
                new OrFilter([new SelectorFilter("a", null), new InFilter("b", ["x", null]), new LikeFilter("c", "a!%", '!')]),
                new NotFilter(new BoundFilter("d", "1", null, true, false, StringOrdering.Numeric)),
                new RegexFilter("e", "^x"),
                new BoundFilter("f", null, "z", false, true, StringOrdering.Strlen),
            ]),
            Context = new QueryContext { TimeoutMillis = 1000, QueryId = "q1", SkipEmptyBuckets = true, Other = new Dictionary<string, string> { ["sqlQueryId"] = "\"s\"" } },
            Granularity = new PeriodGranularity(new Period(0, 0, 0, 1, 0, 0, 0, 0), TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles"), 3600000),
            Aggregations = [new AggregatorSpec(AggregatorType.Count, "n", null), new AggregatorSpec(AggregatorType.DoubleSum, "s", "m")],
            PostAggregations = [new ArithmeticPostAggregator("p", ArithmeticFunction.Divide, [new FieldAccessPostAggregator("x", "s", true), new ConstantPostAggregator("k", 2.5)], "numericFirst")],
            Dimensions = [new DimensionSpec("a", "a", DimensionOutputType.Double)],
            Having = new OrHaving([new GreaterThanHaving("n", 1), new NotHaving(new AndHaving([new LessThanHaving("s", 2), new EqualToHaving("n", 3)])), new DimSelectorHaving("a", "v")]),
            LimitSpec = new LimitSpec([new OrderByColumn("n", true, StringOrdering.Numeric)], 5, 1),
        };
        var json = NativeQueryJsonWriter.ToJson(query);
        Assert.Equal(json, NativeQueryJsonWriter.ToJson(QueryParser.Parse(json)));
        var ts = new TimeseriesQuery { DataSource = "ds", Intervals = [Interval.Eternity], Granularity = new DurationGranularity(60000, 30000), Descending = true, Limit = 3 };
        var tsJson = NativeQueryJsonWriter.ToJson(ts);
        Assert.Equal(tsJson, NativeQueryJsonWriter.ToJson(QueryParser.Parse(tsJson)));
    }

    [Theory]
    [InlineData("SELECT SUM(clicks) AS s, device, COUNT(*), 'k' AS konst FROM pin_engagement GROUP BY device ORDER BY device DESC")]
    [InlineData("SELECT COUNT(*) AS c, FLOOR(__time TO HOUR) AS h, country FROM pin_engagement GROUP BY 2, 3 ORDER BY h, c DESC LIMIT 7")]
    [InlineData("SELECT device AS dev, SUM(clicks) AS s FROM pin_engagement GROUP BY dev HAVING s > 100 AND dev <> 'tv' ORDER BY s")]
    [InlineData("SELECT clicks, 'x' AS tag, country, clicks AS again FROM pin_engagement WHERE clicks >= 18 ORDER BY __time")]
    [InlineData("SELECT -SUM(dwell_ms) AS neg, SUM(dwell_ms) * 2.5 - MAX(dwell_ms) AS mix, device FROM pin_engagement GROUP BY device ORDER BY neg")]
    public void OutputColumnsInSelectOrder_MatchTheOracle(string sql)
    {
        SqlComparison.AssertSameAnswer(sql, Rows);
    }

    [Fact]
    public void SelectWithoutFrom_IsConstant()
    {
        var plan = SqlTestData.Plan("SELECT 1 AS one, 'x', CURRENT_TIMESTAMP");
        Assert.Null(plan.NativeQuery);
        Assert.Equal([1L, "x", SqlTestData.Start + (30 * Hour)], Assert.Single(plan.ConstantRows));
        Assert.Equal(["one", "EXPR$1", "EXPR$2"], plan.Columns.Select(c => c.Name));
    }

    [Fact]
    public void OutputColumns_HaveSqlNamesAndTypes()
    {
        var plan = SqlTestData.Plan("SELECT FLOOR(__time TO DAY) AS d, device, COUNT(*) AS c, AVG(dwell_ms) FROM pin_engagement GROUP BY 1, 2");
        Assert.Equal([new SqlOutputColumn("d", SqlType.Timestamp), new SqlOutputColumn("device", SqlType.Varchar), new SqlOutputColumn("c", SqlType.Bigint), new SqlOutputColumn("EXPR$3", SqlType.Double)], plan.Columns);
        var first = SqlTestData.Run(plan, Rows)[0];
        Assert.IsType<long>(first[0]);
        Assert.IsType<string>(first[1]);
        Assert.IsType<long>(first[2]);
        Assert.IsType<double>(first[3]);
    }

    [Theory]
    [InlineData("SELECT country FROM pin_engagement WHERE country = 5", "Comparing VARCHAR 'country' with 5", 1, 42)]
    [InlineData("SELECT country FROM pin_engagement ORDER BY country", "the native scan query orders only by __time", 1, 45)]
    [InlineData("SELECT MIN(country) FROM pin_engagement", "MIN of a VARCHAR value has no native aggregator", 1, 8)]
    [InlineData("SELECT SUM(clicks) + 1 FROM pin_engagement", "has a BIGINT result", 1, 8)]
    [InlineData("SELECT country, SUM(clicks) FROM pin_engagement GROUP BY 1 HAVING SUM(clicks) > MIN(clicks)", "needs a column comparison filter", 1, 67)]
    [InlineData("SELECT TIME_FLOOR(__time, 'hourly'), COUNT(*) FROM pin_engagement GROUP BY 1", "ISO-8601 period literal", 1, 27)]
    [InlineData("SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES", "is a system table", 1, 24)]
    [InlineData("SELECT DISTINCT country, COUNT(*) FROM pin_engagement GROUP BY 1", "SELECT DISTINCT together with GROUP BY", 1, 1)]
    [InlineData("SELECT SUBSTRING(country, clicks) FROM pin_engagement", "SUBSTRING needs a positive integer literal as its start", 1, 27)]
    [InlineData("SELECT SUBSTRING(country, 0, 2) FROM pin_engagement", "SUBSTRING needs a positive integer literal as its start", 1, 27)]
    [InlineData("SELECT country LIKE 'U%' FROM pin_engagement", "LIKE inside an expression has no translation", 1, 8)]
    [InlineData("SELECT clicks > 5 FROM pin_engagement", "selecting a condition (a BOOLEAN value) is not supported", 1, 8)]
    [InlineData("SELECT clicks > 5, COUNT(*) FROM pin_engagement GROUP BY 1", "grouping by a condition (a BOOLEAN value) is not supported", 1, 8)]
    [InlineData("SELECT TIME_SHIFT(__time, 'PT1H', 1) FROM pin_engagement", "function TIME_SHIFT has no translation", 1, 8)]
    [InlineData("SELECT __time + INTERVAL '1' MONTH FROM pin_engagement", "needs calendar arithmetic (TIME_SHIFT)", 1, 17)]
    [InlineData("SELECT TIME_PARSE(country, 'EEE d') FROM pin_engagement", "TIME_PARSE pattern 'EEE d'", 1, 28)]
    [InlineData("SELECT TIME_FORMAT(__time, 'yyyy', 'Mars/Olympus') FROM pin_engagement", "Unknown time zone 'Mars/Olympus' in TIME_FORMAT", 1, 36)]
    [InlineData("SELECT TIME_FORMAT(__time, country) FROM pin_engagement", "TIME_FORMAT needs a Joda pattern literal as argument 2", 1, 28)]
    [InlineData("SELECT CEIL(__time TO HOUR) FROM pin_engagement", "CEIL of a time has no translation", 1, 8)]
    [InlineData("SELECT COUNT(*) FROM pin_engagement WHERE CASE WHEN country LIKE 'U%' THEN 1 ELSE 0 END = 1", "LIKE inside an expression", 1, 53)]
    [InlineData("SELECT UPPER(country), COUNT(*) FROM pin_engagement GROUP BY country", "needs an expression post-aggregator", 1, 8)]
    [InlineData("SELECT COUNT(*) FROM pin_engagement WHERE country LIKE device", "cannot be planned to a native filter", 1, 43)]
    [InlineData("SELECT TIME_FLOOR(__time, 'PT1H', country), COUNT(*) FROM pin_engagement GROUP BY 1", "TIME_FLOOR's origin must be a time constant", 1, 35)]
    public void Unplannable_RaisesPlanningErrorNamingTheConstruct(string sql, string message, int line, int column)
    {
        var e = Assert.Throws<SqlPlanningException>(() => SqlTestData.Plan(sql));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal(new SqlPosition(line, column), e.Position);
    }
}

public sealed class SqlPlannerEdgeTests
{
    private static readonly List<Row> Rows = SqlTestData.Rows(11, 200);

    [Theory]
    [InlineData("SELECT COUNT(*), SUM(clicks) FROM pin_engagement WHERE __time < TIMESTAMP '2000-01-01 00:00:00' AND __time > TIMESTAMP '2001-01-01 00:00:00'")]
    [InlineData("SELECT COUNT(*), SUM(clicks) FROM pin_engagement WHERE FALSE")]
    [InlineData("SELECT COUNT(*), SUM(clicks) FROM pin_engagement WHERE country = 'US' AND NOT TRUE")]
    [InlineData("SELECT country FROM pin_engagement WHERE __time IS NULL")]
    [InlineData("SELECT country, COUNT(*) FROM pin_engagement WHERE FALSE GROUP BY 1")]
    [InlineData("SELECT COUNT(*) FROM pin_engagement WHERE TRUE AND __time IS NOT NULL AND (country = 'US' OR TRUE)")]
    [InlineData("SELECT COUNT(*) FROM pin_engagement HAVING COUNT(*) > 1000000")]
    [InlineData("SELECT country, COUNT(*) FROM pin_engagement GROUP BY 1 HAVING FALSE")]
    [InlineData("SELECT country FROM pin_engagement LIMIT 0")]
    [InlineData("SELECT country, COUNT(*) FROM pin_engagement GROUP BY 1 LIMIT 0")]
    [InlineData("SELECT FLOOR(__time TO HOUR), COUNT(*) FROM pin_engagement GROUP BY 1 ORDER BY 2 DESC LIMIT 0")]
    [InlineData("SELECT __time, COUNT(*) FROM pin_engagement WHERE __time IN (TIMESTAMP '2026-11-23 00:00:00', TIMESTAMP '2026-11-23 01:00:00') GROUP BY __time")]
    [InlineData("SELECT COUNT(*) FROM pin_engagement WHERE __time NOT IN (TIMESTAMP '2026-11-23 00:00:00', NULL)")]
    [InlineData("SELECT COUNT(*) FROM pin_engagement WHERE __time >= '2026-11-23T06:00:00Z'")]
    [InlineData("SELECT FLOOR(__time TO HOUR) AS h FROM pin_engagement WHERE device = 'tv' GROUP BY 1")]
    [InlineData("SELECT DISTINCT FLOOR(__time TO DAY) FROM pin_engagement ORDER BY 1 DESC")]
    [InlineData("SELECT COUNT(*) FROM pin_engagement GROUP BY country")]
    [InlineData("SELECT user_age, clicks FROM pin_engagement WHERE user_age = 30.0 OR clicks = '5' OR dwell_ms = 100 OR user_age = 30.5")]
    [InlineData("SELECT COUNT(*) AS c FROM pin_engagement GROUP BY FLOOR(__time TO HOUR) ORDER BY c DESC LIMIT 2 OFFSET 1")]
    [InlineData("SELECT SUM(clicks) FROM pin_engagement WHERE __time >= CURRENT_TIMESTAMP - INTERVAL '1' MONTH AND __time < CURRENT_TIMESTAMP + INTERVAL '1' YEAR")]
    public void EdgeCases_MatchTheOracle(string sql)
    {
        SqlComparison.AssertSameAnswer(sql, Rows);
    }
}

public sealed class SqlClientQueryTests
{
    private static readonly List<Row> Rows = SqlTestData.Rows(23, 600);

    // the shapes Superset, pydruid and Grafana send
    [Theory]
    [InlineData("SELECT DATE_TRUNC('day', \"__time\") AS \"__timestamp\", COUNT(*) AS \"count\" FROM \"druid\".\"pin_engagement\" WHERE \"__time\" >= TIME_PARSE('2026-11-23T00:00:00') AND \"__time\" < TIME_PARSE('2026-11-25T00:00:00') GROUP BY DATE_TRUNC('day', \"__time\") ORDER BY \"count\" DESC LIMIT 10000")]
    [InlineData("SELECT \"country\" AS \"country\", SUM(\"clicks\") AS \"SUM(clicks)\" FROM \"pin_engagement\" WHERE \"__time\" >= CAST('2026-11-23 00:00:00' AS TIMESTAMP) GROUP BY \"country\" ORDER BY \"SUM(clicks)\" DESC LIMIT 5")]
    [InlineData("SELECT TIME_FLOOR(__time, 'PT1H') AS \"time\", device, COUNT(*) AS \"value\" FROM pin_engagement WHERE __time >= CURRENT_TIMESTAMP - INTERVAL '1' DAY GROUP BY 1, 2 ORDER BY 1")]
    [InlineData("SELECT COUNT(*) AS c, COUNT(DISTINCT \"pin_id\") AS pins FROM pin_engagement WHERE \"event_type\" IN ('click', 'save') AND \"country\" IS NOT NULL")]
    [InlineData("SELECT \"device\", MAX(\"__time\") AS last_seen, MIN(\"__time\") AS first_seen FROM pin_engagement GROUP BY \"device\" ORDER BY last_seen DESC")]
    [InlineData("SELECT * FROM pin_engagement WHERE country = 'DE' ORDER BY __time DESC LIMIT 5")]
    public void ClientQueries_MatchTheOracle(string sql)
    {
        SqlComparison.AssertSameAnswer(sql.Replace("SELECT * FROM", "SELECT __time, country, device, event_type, pin_id, user_age, clicks, dwell_ms FROM", StringComparison.Ordinal), Rows);
        Assert.NotNull(SqlTestData.Plan(sql).NativeQuery);
    }
}
