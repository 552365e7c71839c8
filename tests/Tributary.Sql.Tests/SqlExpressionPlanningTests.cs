using System.Globalization;
using Tributary.Query;

namespace Tributary.Sql.Tests;

/// <summary>
/// The SQL features planned through filtered aggregators, cardinality, expression virtual columns and sqlTimeZone:
/// each answer equals a hand-written equivalent native query run by the reference evaluator, and the row-by-row SQL
/// oracle (in one pass and over three merged segments).
/// </summary>
public sealed class SqlExpressionPlanningTests
{
    private const string All = "\"intervals\":[\"1000-01-01/3000-01-01\"]";
    private static readonly List<Row> Rows = SqlTestData.Rows(31, 700);

    public static TheoryData<string, string, string> Features => new()
    {
        // FILTER (WHERE ...) on aggregates: filtered aggregators; SUM of no passing row is NULL
        {
            "SELECT SUM(clicks) FILTER (WHERE country = 'US') AS us, COUNT(*) FILTER (WHERE device = 'ios' AND clicks > 3) AS ios, COUNT(*) AS n FROM pin_engagement",
            $$$"""{"queryType":"timeseries","dataSource":"pin_engagement",{{{All}}},"granularity":"all","aggregations":[{"type":"filtered","filter":{"type":"selector","dimension":"country","value":"US"},"aggregator":{"type":"longSum","name":"us","fieldName":"clicks"}},{"type":"filtered","filter":{"type":"and","fields":[{"type":"selector","dimension":"device","value":"ios"},{"type":"bound","dimension":"clicks","lower":"3","lowerStrict":true,"ordering":"numeric"}]},"aggregator":{"type":"count","name":"ios"}},{"type":"count","name":"n"}]}""",
            "us,ios,n"
        },
        {
            "SELECT device, AVG(dwell_ms) FILTER (WHERE clicks > 10) AS a, SUM(clicks) FILTER (WHERE country IN ('US', 'DE')) AS s FROM pin_engagement GROUP BY device",
            $$$"""{"queryType":"groupBy","dataSource":"pin_engagement",{{{All}}},"granularity":"all","dimensions":["device"],"aggregations":[{"type":"filtered","filter":{"type":"bound","dimension":"clicks","lower":"10","lowerStrict":true,"ordering":"numeric"},"aggregator":{"type":"doubleMean","name":"a","fieldName":"dwell_ms"}},{"type":"filtered","filter":{"type":"in","dimension":"country","values":["US","DE"]},"aggregator":{"type":"longSum","name":"s","fieldName":"clicks"}}]}""",
            "device,a,s"
        },

        // COUNT(col) counts the non-null values
        {
            "SELECT COUNT(user_age) AS ages, COUNT(country) AS countries, COUNT(clicks) AS all_clicks FROM pin_engagement",
            $$$"""{"queryType":"timeseries","dataSource":"pin_engagement",{{{All}}},"granularity":"all","aggregations":[{"type":"filtered","filter":{"type":"not","field":{"type":"selector","dimension":"user_age","value":null}},"aggregator":{"type":"count","name":"ages"}},{"type":"filtered","filter":{"type":"not","field":{"type":"selector","dimension":"country","value":null}},"aggregator":{"type":"count","name":"countries"}},{"type":"count","name":"all_clicks"}]}""",
            "ages,countries,all_clicks"
        },

        // SUM/MIN/MAX/AVG of expressions and of nullable columns
        {
            "SELECT SUM(clicks * 2) AS s, MAX(dwell_ms / 2) AS m, MIN(clicks - user_age) AS mi, AVG(user_age) AS av, SUM(user_age) AS sa FROM pin_engagement",
            $$$"""{"queryType":"timeseries","dataSource":"pin_engagement",{{{All}}},"granularity":"all","virtualColumns":[{"type":"expression","name":"x2","expression":"clicks * 2","outputType":"LONG"},{"type":"expression","name":"half","expression":"dwell_ms / 2","outputType":"DOUBLE"},{"type":"expression","name":"diff","expression":"clicks - user_age","outputType":"LONG"}],"aggregations":[{"type":"longSum","name":"s","fieldName":"x2"},{"type":"doubleMax","name":"m","fieldName":"half"},{"type":"longMin","name":"mi","fieldName":"diff"},{"type":"doubleMean","name":"av","fieldName":"user_age"},{"type":"longSum","name":"sa","fieldName":"user_age"}]}""",
            "s,m,mi,av,sa"
        },

        // COUNT(DISTINCT dim) and APPROX_COUNT_DISTINCT: cardinality over a dimension, hyperUnique over the metric
        {
            "SELECT event_type, COUNT(DISTINCT country) AS c, APPROX_COUNT_DISTINCT(pin_id) AS p, APPROX_COUNT_DISTINCT(unique_users) AS u FROM pin_engagement GROUP BY 1",
            $$$"""{"queryType":"groupBy","dataSource":"pin_engagement",{{{All}}},"granularity":"all","dimensions":["event_type"],"aggregations":[{"type":"cardinality","name":"c","fields":["country"],"round":true},{"type":"cardinality","name":"p","fields":["pin_id"],"round":true},{"type":"hyperUnique","name":"u","fieldName":"unique_users","round":true}]}""",
            "event_type,c,p,u"
        },

        // searched CASE in a scan
        {
            "SELECT __time, CASE WHEN clicks > 10 THEN 'high' WHEN clicks > 5 THEN 'mid' ELSE 'low' END AS level, user_age FROM pin_engagement WHERE device = 'ios'",
            $$$"""{"queryType":"scan","dataSource":"pin_engagement",{{{All}}},"filter":{"type":"selector","dimension":"device","value":"ios"},"virtualColumns":[{"type":"expression","name":"level","expression":"if(clicks > 10, 'high', if(clicks > 5, 'mid', 'low'))","outputType":"STRING"}],"columns":["__time","level","user_age"]}""",
            "__time,level,user_age"
        },

        // simple CASE grouped by its alias
        {
            "SELECT CASE device WHEN 'ios' THEN 'apple' WHEN 'tv' THEN 'tv' ELSE 'other' END AS fam, COUNT(*) AS n FROM pin_engagement GROUP BY fam",
            $$$"""{"queryType":"groupBy","dataSource":"pin_engagement",{{{All}}},"granularity":"all","dimensions":[{"type":"extraction","dimension":"device","outputName":"fam","extractionFn":{"type":"lookup","lookup":{"type":"map","map":{"ios":"apple","tv":"tv"}},"retainMissingValue":false,"replaceMissingValueWith":"other"}}],"aggregations":[{"type":"count","name":"n"}]}""",
            "fam,n"
        },

        // CAST to VARCHAR and BIGINT, grouped by position
        {
            "SELECT CAST(clicks AS VARCHAR) AS c, CAST(dwell_ms AS BIGINT) / 100 AS bucket, COUNT(*) AS n FROM pin_engagement WHERE clicks < 4 GROUP BY 1, 2",
            $$$"""{"queryType":"groupBy","dataSource":"pin_engagement",{{{All}}},"granularity":"all","filter":{"type":"bound","dimension":"clicks","upper":"4","upperStrict":true,"ordering":"numeric"},"virtualColumns":[{"type":"expression","name":"b","expression":"cast(dwell_ms, 'LONG') / 100","outputType":"LONG"}],"dimensions":[{"type":"default","dimension":"clicks","outputName":"c","outputType":"STRING"},{"type":"default","dimension":"b","outputName":"b","outputType":"LONG"}],"aggregations":[{"type":"count","name":"n"}]}""",
            "c,b,n"
        },

        // LOWER/UPPER in WHERE and GROUP BY (the native equivalent uses extraction functions)
        {
            "SELECT UPPER(device) AS d, COUNT(*) AS n FROM pin_engagement WHERE LOWER(country) = 'us' OR LOWER(country) = 'uk' GROUP BY UPPER(device)",
            $$$"""{"queryType":"groupBy","dataSource":"pin_engagement",{{{All}}},"granularity":"all","filter":{"type":"in","dimension":"country","values":["us","uk"],"extractionFn":{"type":"lower"}},"dimensions":[{"type":"extraction","dimension":"device","outputName":"d","extractionFn":{"type":"upper"}}],"aggregations":[{"type":"count","name":"n"}]}""",
            "d,n"
        },

        // SUBSTRING (1-based) and CONCAT / ||
        {
            "SELECT SUBSTRING(pin_id, 4, 1) AS digit, country || '-' || device AS cd, CONCAT(device, ':', event_type) AS de, COUNT(*) AS n FROM pin_engagement GROUP BY 1, 2, 3",
            $$$"""{"queryType":"groupBy","dataSource":"pin_engagement",{{{All}}},"granularity":"all","virtualColumns":[{"type":"expression","name":"cd","expression":"concat(concat(country, '-'), device)","outputType":"STRING"},{"type":"expression","name":"de","expression":"concat(device, ':', event_type)","outputType":"STRING"}],"dimensions":[{"type":"extraction","dimension":"pin_id","outputName":"digit","extractionFn":{"type":"substring","index":3,"length":1}},"cd","de"],"aggregations":[{"type":"count","name":"n"}]}""",
            "digit,cd,de,n"
        },

        // TIME_FORMAT grouped (the native equivalent: a timeFormat extraction of __time)
        {
            "SELECT TIME_FORMAT(__time, 'yyyy-MM-dd HH') AS h, COUNT(*) AS n, SUM(clicks) AS s FROM pin_engagement GROUP BY 1 ORDER BY 1 LIMIT 10",
            $$$"""{"queryType":"groupBy","dataSource":"pin_engagement",{{{All}}},"granularity":"all","dimensions":[{"type":"extraction","dimension":"__time","outputName":"h","extractionFn":{"type":"timeFormat","format":"yyyy-MM-dd HH","timeZone":"UTC"}}],"aggregations":[{"type":"count","name":"n"},{"type":"longSum","name":"s","fieldName":"clicks"}],"limitSpec":{"type":"default","columns":[{"dimension":"h","direction":"ascending"}],"limit":10}}""",
            "h,n,s"
        },

        // TIME_PARSE and MILLIS_TO_TIMESTAMP / TIMESTAMP_TO_MILLIS
        {
            "SELECT TIMESTAMP_TO_MILLIS(__time) AS ms, MILLIS_TO_TIMESTAMP(TIMESTAMP_TO_MILLIS(__time) + 60000) AS later, TIME_PARSE(TIME_FORMAT(__time, 'yyyy-MM-dd'), 'yyyy-MM-dd') AS day FROM pin_engagement WHERE __time >= TIME_PARSE('2026-11-23T10:00:00') AND __time < TIME_PARSE('23/11/2026 12', 'dd/MM/yyyy HH')",
            """{"queryType":"scan","dataSource":"pin_engagement","intervals":["2026-11-23T10:00:00Z/2026-11-23T12:00:00Z"],"virtualColumns":[{"type":"expression","name":"later","expression":"__time + 60000","outputType":"LONG"},{"type":"expression","name":"day","expression":"timestamp_floor(__time, 'P1D')","outputType":"LONG"}],"columns":["__time","later","day"]}""",
            "__time,later,day"
        },

        // TIME_FLOOR with a period and a time zone: timeseries with that granularity
        {
            "SELECT TIME_FLOOR(__time, 'P1D', NULL, 'America/Los_Angeles') AS d, COUNT(*) AS n FROM pin_engagement GROUP BY 1",
            $$$"""{"queryType":"timeseries","dataSource":"pin_engagement",{{{All}}},"granularity":{"type":"period","period":"P1D","timeZone":"America/Los_Angeles"},"aggregations":[{"type":"count","name":"n"}],"context":{"skipEmptyBuckets":true}}""",
            "__time,n"
        },

        // TIME_FLOOR with an origin
        {
            "SELECT TIME_FLOOR(__time, 'PT6H', TIMESTAMP '2026-11-23 02:30:00') AS q, SUM(clicks) AS s FROM pin_engagement GROUP BY 1",
            $$$"""{"queryType":"timeseries","dataSource":"pin_engagement",{{{All}}},"granularity":{"type":"period","period":"PT6H","origin":"2026-11-23T02:30:00Z"},"aggregations":[{"type":"longSum","name":"s","fieldName":"clicks"}],"context":{"skipEmptyBuckets":true}}""",
            "__time,s"
        },

        // two floors of __time: the granularity and a virtual column
        {
            "SELECT FLOOR(__time TO DAY) AS d, TIME_FLOOR(__time, 'PT6H') AS q, COUNT(*) AS n FROM pin_engagement GROUP BY 1, 2",
            $$$"""{"queryType":"groupBy","dataSource":"pin_engagement",{{{All}}},"granularity":"day","virtualColumns":[{"type":"expression","name":"q","expression":"timestamp_floor(__time, 'PT6H')","outputType":"LONG"}],"dimensions":[{"type":"default","dimension":"q","outputName":"q","outputType":"LONG"}],"aggregations":[{"type":"count","name":"n"}]}""",
            "__time,q,n"
        },

        // WHERE on expressions: arithmetic, a comparison of two columns, CASE, a floor of __time
        {
            "SELECT COUNT(*) AS n FROM pin_engagement WHERE clicks + user_age > 40",
            $$$"""{"queryType":"timeseries","dataSource":"pin_engagement",{{{All}}},"granularity":"all","virtualColumns":[{"type":"expression","name":"v","expression":"clicks + user_age","outputType":"LONG"}],"filter":{"type":"bound","dimension":"v","lower":"40","lowerStrict":true,"ordering":"numeric"},"aggregations":[{"type":"count","name":"n"}]}""",
            "n"
        },
        {
            "SELECT device, COUNT(*) AS n FROM pin_engagement WHERE clicks >= user_age / 4 AND NOT (CASE WHEN country = 'US' THEN dwell_ms ELSE 0 END > 500) GROUP BY 1",
            $$$"""{"queryType":"groupBy","dataSource":"pin_engagement",{{{All}}},"granularity":"all","virtualColumns":[{"type":"expression","name":"cmp","expression":"clicks >= user_age / 4","outputType":"LONG"},{"type":"expression","name":"us","expression":"if(country == 'US', dwell_ms, 0.0)","outputType":"DOUBLE"}],"filter":{"type":"and","fields":[{"type":"selector","dimension":"cmp","value":"1"},{"type":"bound","dimension":"us","upper":"500","ordering":"numeric"}]},"dimensions":["device"],"aggregations":[{"type":"count","name":"n"}]}""",
            "device,n"
        },
        {
            "SELECT COUNT(*) AS n FROM pin_engagement WHERE TIME_FLOOR(__time, 'PT1H') = TIMESTAMP '2026-11-23 05:00:00' OR TIME_FORMAT(__time, 'HH') = '07'",
            $$$"""{"queryType":"timeseries","dataSource":"pin_engagement",{{{All}}},"granularity":"all","filter":{"type":"or","fields":[{"type":"interval","dimension":"__time","intervals":["2026-11-23T05:00:00Z/2026-11-23T06:00:00Z"]},{"type":"selector","dimension":"__time","value":"07","extractionFn":{"type":"timeFormat","format":"HH","timeZone":"UTC"}}]},"aggregations":[{"type":"count","name":"n"}]}""",
            "n"
        },

        // COALESCE, CHAR_LENGTH, ABS in a grouping
        {
            "SELECT COALESCE(country, 'none') AS c, CHAR_LENGTH(COALESCE(event_type, '')) AS len, SUM(ABS(clicks - 10)) AS dist FROM pin_engagement GROUP BY 1, 2",
            $$$"""{"queryType":"groupBy","dataSource":"pin_engagement",{{{All}}},"granularity":"all","virtualColumns":[{"type":"expression","name":"c","expression":"nvl(country, 'none')","outputType":"STRING"},{"type":"expression","name":"len","expression":"strlen(nvl(event_type, ''))","outputType":"LONG"},{"type":"expression","name":"dist","expression":"abs(clicks - 10)","outputType":"LONG"}],"dimensions":["c",{"type":"default","dimension":"len","outputName":"len","outputType":"LONG"}],"aggregations":[{"type":"longSum","name":"dist","fieldName":"dist"}]}""",
            "c,len,dist"
        },
    };

    [Theory]
    [MemberData(nameof(Features))]
    public void Feature_EqualsTheNativeQueryAndTheOracle(string sql, string native, string fields)
    {
        AssertEqualsNative(sql, native, fields, Rows);
    }

    [Fact]
    public void SqlTimeZone_ShiftsLiteralsFloorsAndFormats()
    {
        var kolkata = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata");
        const string sql = "SELECT FLOOR(__time TO DAY) AS d, TIME_FORMAT(MIN(__time), 'HH:mm') AS first_seen, COUNT(*) AS n FROM pin_engagement WHERE __time >= TIMESTAMP '2026-11-23 00:00:00' AND __time < TIMESTAMP '2026-11-24 12:00:00' GROUP BY 1";
        var q = Assert.IsType<TimeseriesQuery>(SqlPlanner.Plan(sql.Replace("TIME_FORMAT(MIN(__time), 'HH:mm') AS first_seen, ", string.Empty, StringComparison.Ordinal), null, SqlTestData.Catalog, SqlTestData.Options with { TimeZone = kolkata }).NativeQuery);
        Assert.Equal([new Interval(IsoTime.Parse("2026-11-22T18:30:00Z", "t"), IsoTime.Parse("2026-11-24T06:30:00Z", "t"))], q.Intervals);
        Assert.Equal("Asia/Kolkata", Assert.IsType<PeriodGranularity>(q.Granularity).TimeZone.Id);

        AssertEqualsNative(
            "SELECT FLOOR(__time TO DAY) AS d, COUNT(*) AS n FROM pin_engagement WHERE __time >= TIMESTAMP '2026-11-23 00:00:00' AND __time < TIMESTAMP '2026-11-24 12:00:00' GROUP BY 1",
            """{"queryType":"timeseries","dataSource":"pin_engagement","intervals":["2026-11-23T00:00:00+05:30/2026-11-24T12:00:00+05:30"],"granularity":{"type":"period","period":"P1D","timeZone":"Asia/Kolkata"},"aggregations":[{"type":"count","name":"n"}],"context":{"skipEmptyBuckets":true}}""",
            "__time,n",
            Rows,
            kolkata);
        AssertEqualsNative(
            "SELECT TIME_FORMAT(__time, 'yyyy-MM-dd HH:mm') AS t, DATE_TRUNC('hour', __time) AS h, CAST(__time AS VARCHAR) AS s FROM pin_engagement WHERE __time < '2026-11-23 03:00:00'",
            """{"queryType":"scan","dataSource":"pin_engagement","intervals":["1000-01-01/2026-11-23T03:00:00-08:00"],"virtualColumns":[{"type":"expression","name":"t","expression":"timestamp_format(__time, 'yyyy-MM-dd HH:mm', 'America/Los_Angeles')","outputType":"STRING"},{"type":"expression","name":"h","expression":"timestamp_floor(__time, 'PT1H')","outputType":"LONG"},{"type":"expression","name":"s","expression":"timestamp_format(__time, 'yyyy-MM-dd HH:mm:ss', 'America/Los_Angeles')","outputType":"STRING"}],"columns":["t","h","s"]}""",
            "t,h,s",
            Rows,
            TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles"));

        // TIME_FLOOR and TIME_PARSE take the connection's zone unless given one; a literal with an offset keeps it
        foreach (var other in new[]
                 {
                     "SELECT TIME_FLOOR(__time, 'P1D') AS d, COUNT(*) FROM pin_engagement WHERE __time >= '2026-11-23T06:00:00Z' GROUP BY 1",
                     "SELECT TIME_FLOOR(__time, 'P1D', NULL, 'UTC') AS d, COUNT(*) FROM pin_engagement GROUP BY 1",
                     "SELECT COUNT(*) FROM pin_engagement WHERE __time >= TIME_PARSE('2026-11-23 09:00:00') AND __time < TIME_PARSE('2026-11-23 09:00:00', NULL, 'UTC')",
                     "SELECT DATE_TRUNC('day', __time) AS d, TIME_FLOOR(__time, 'PT12H') AS h, COUNT(*) FROM pin_engagement GROUP BY 1, 2",
                 })
        {
            SqlComparison.AssertSameAnswer(other, Rows, "Asia/Kolkata", zone: kolkata);
            SqlComparison.AssertSameAnswer(other, Rows, "-08:00 in 3 segments", 3, TimeZoneInfo.CreateCustomTimeZone("-08:00", TimeSpan.FromHours(-8), "-08:00", "-08:00"));
        }
    }

    [Fact]
    public void SumOfNoValues_IsNullPerGroup_AndHavingAndOrderSeeTheNull()
    {
        // some groups have no US rows: their filtered SUM is NULL, which a native having/limitSpec would see as 0
        const string sql = "SELECT pin_id, SUM(clicks) FILTER (WHERE country = 'US') AS us FROM pin_engagement GROUP BY 1 HAVING SUM(clicks) FILTER (WHERE country = 'US') IS NULL OR SUM(clicks) FILTER (WHERE country = 'US') < 5 ORDER BY us DESC, 1 LIMIT 12";
        var plan = SqlTestData.Plan(sql);
        var q = Assert.IsType<GroupByQuery>(plan.NativeQuery);
        Assert.Null(q.Having);
        Assert.Null(q.LimitSpec);
        Assert.NotNull(plan.PostProcessing.Having);
        var rows = SqlTestData.Run(plan, Rows);
        Assert.Contains(rows, r => r[1] is null);
        SqlComparison.AssertSameAnswer(sql, Rows);
        SqlComparison.AssertSameAnswer(sql, Rows, "3 segments", 3);
        SqlComparison.AssertSameAnswer("SELECT AVG(user_age) FILTER (WHERE country = 'nowhere') AS a, SUM(dwell_ms) FILTER (WHERE FALSE) AS f, COUNT(*) FILTER (WHERE TRUE) AS n FROM pin_engagement", Rows);
        SqlComparison.AssertSameAnswer("SELECT device, CAST(SUM(clicks) FILTER (WHERE event_type = 'share%') AS DOUBLE) / COUNT(*) AS r FROM pin_engagement GROUP BY 1 ORDER BY r", Rows);
    }

    [Fact]
    public void ExplainPlanFor_ShowsVirtualColumnsAndFilteredAggregators_AndRoundTrips()
    {
        var plan = SqlTestData.Plan("EXPLAIN PLAN FOR SELECT UPPER(country) AS c, COUNT(*) FILTER (WHERE clicks > 3) AS n, COUNT(DISTINCT device) AS d FROM pin_engagement WHERE LOWER(device) <> 'tv' GROUP BY 1");
        Assert.True(plan.Explain);
        var json = plan.ExplainJson()!;
        Assert.Contains("\"virtualColumns\":[{\"type\":\"expression\",\"name\":\"v0\",\"expression\":\"lower(\\u0022device\\u0022)\",\"outputType\":\"STRING\"}", json, StringComparison.Ordinal);
        Assert.Contains("{\"type\":\"filtered\",\"name\":\"a0\",\"filter\":{\"type\":\"bound\",\"dimension\":\"clicks\",\"lower\":\"3\",\"lowerStrict\":true", json, StringComparison.Ordinal);
        Assert.Contains("{\"type\":\"cardinality\",\"name\":\"a1\",\"fields\":[{\"type\":\"default\",\"dimension\":\"device\",\"outputName\":\"device\",\"outputType\":\"STRING\"}],\"round\":true}", json, StringComparison.Ordinal);
        Assert.Equal(json, NativeQueryJsonWriter.ToJson(QueryParser.Parse(json)));
        using var planColumn = System.Text.Json.JsonDocument.Parse(plan.ExplainPlanJson());
        Assert.Equal("groupBy", planColumn.RootElement[0].GetProperty("query").GetProperty("queryType").GetString());
    }

    [Fact]
    public void ExpressionPlans_ReuseOneVirtualColumnPerExpression()
    {
        var q = Assert.IsType<GroupByQuery>(SqlTestData.Plan("SELECT LOWER(country) AS c, COUNT(*) FROM pin_engagement WHERE LOWER(country) LIKE 'u%' GROUP BY LOWER(country)").NativeQuery);
        var vc = Assert.Single(q.VirtualColumns);
        Assert.Equal("lower(\"country\")", vc.Expression);
        Assert.Equal(vc.Name, Assert.IsType<LikeFilter>(q.Filter).Dimension);
        Assert.Equal(vc.Name, Assert.Single(q.Dimensions).Dimension);
    }

    private static void AssertEqualsNative(string sql, string nativeJson, string fields, IReadOnlyList<Row> rows, TimeZoneInfo? zone = null)
    {
        SqlComparison.AssertSameAnswer(sql, rows, "oracle", zone: zone);
        SqlComparison.AssertSameAnswer(sql, rows, "oracle, 3 segments", 3, zone);

        var options = zone is null ? SqlTestData.Options : SqlTestData.Options with { TimeZone = zone };
        var plan = SqlPlanner.Plan(sql, null, SqlTestData.Catalog, options);
        var sqlRows = SqlTestData.Run(plan, rows);
        var native = QueryParser.Parse(nativeJson);
        var nativeRows = NativeRows(new ReferenceEvaluator(SqlTestData.Schema, SetSketchFactory.Instance).Evaluate(native, rows), fields.Split(','));
        var ordered = plan.NativeQuery is GroupByQuery { LimitSpec: not null } || sql.Contains("ORDER BY", StringComparison.Ordinal);
        AssertSameRows(nativeRows, sqlRows, ordered, $"{sql}\nplanned: {plan.ExplainJson()}");
    }

    internal static List<object?[]> NativeRows(QueryResult result, string[] fields)
    {
        IEnumerable<(IReadOnlyDictionary<string, object?> Row, long? Time)> rows = result switch
        {
            TimeseriesResult ts => ts.Rows.Select(r => ((IReadOnlyDictionary<string, object?>)r.Result, (long?)r.Timestamp)),
            TopNResult topN => topN.Buckets.SelectMany(b => b.Result.Select(r => ((IReadOnlyDictionary<string, object?>)r, (long?)b.Timestamp))),
            GroupByResult g => g.Rows.Select(r => ((IReadOnlyDictionary<string, object?>)r.Event, (long?)r.Timestamp)),
            ScanResult scan => scan.Events.Select(e => (e, (long?)null)),
            _ => throw new ArgumentException(result.GetType().Name),
        };
        return rows.Select(r => fields.Select(f => f == "__time" && r.Time is { } t && !r.Row.ContainsKey(f) ? t : r.Row.GetValueOrDefault(f)).ToArray()).ToList();
    }

    internal static void AssertSameRows(IReadOnlyList<object?[]> expected, IReadOnlyList<object?[]> actual, bool ordered, string where)
    {
        Assert.True(expected.Count == actual.Count, $"{actual.Count} rows, the native query gives {expected.Count}\n{where}\nnative: {SqlComparison.Show(expected)}\nsql:    {SqlComparison.Show(actual)}");
        static string Key(object?[] r) => string.Join("|", r.Select(v => v switch
        {
            null => "null",
            double d => Math.Round(d, 6).ToString(CultureInfo.InvariantCulture),
            _ => Convert.ToString(v, CultureInfo.InvariantCulture),
        }));
        var e = ordered ? expected.ToList() : expected.OrderBy(Key, StringComparer.Ordinal).ToList();
        var a = ordered ? actual.ToList() : actual.OrderBy(Key, StringComparer.Ordinal).ToList();
        for (var i = 0; i < e.Count; i++)
        {
            Assert.True(e[i].Length == a[i].Length && e[i].Zip(a[i]).All(p => SqlComparison.Same(p.First, p.Second)),
                $"row {i}: sql {SqlComparison.Show([a[i]])}, native {SqlComparison.Show([e[i]])}\n{where}");
        }
    }
}
