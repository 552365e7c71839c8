namespace Tributary.Query.Tests;

/// <summary>The expression and greatest/least post-aggregators: parsing, errors naming the field, and results.</summary>
public sealed class PostAggregatorTests
{
    private static readonly long T0 = IsoTime.Parse("2026-11-23T10:00:00Z", "t");

    private static readonly List<Row> Rows =
    [
        new(T0, new Dictionary<string, object?> { ["clicks"] = 5L, ["revenue"] = 1.5, ["users"] = "u1" }),
        new(T0 + 60_000, new Dictionary<string, object?> { ["clicks"] = 3L, ["revenue"] = 2.0, ["users"] = "u2" }),
        new(T0 + 120_000, new Dictionary<string, object?> { ["clicks"] = 7L, ["users"] = "u1" }),
    ];

    private static string Run(string postAggregations)
    {
        var query = QueryParser.Parse($$"""
            {"queryType":"timeseries","dataSource":"d","intervals":["2026-11-23T10:00Z/PT1H"],
             "aggregations":[{"type":"count","name":"rows"},{"type":"longSum","name":"clicks","fieldName":"clicks"},{"type":"doubleMax","name":"maxRevenue","fieldName":"revenue"},
               {"type":"longMin","name":"none","fieldName":"missing"},{"type":"hyperUnique","name":"users","fieldName":"users"}],
             "postAggregations":{{postAggregations}}}
            """);
        return QueryResultWriter.ToJson(new ReferenceEvaluator(TestData.Schema, SetSketchFactory.Instance).Evaluate(query, Rows, TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Compute_ExpressionOverAggregatorsAndEarlierPostAggregators_EvaluatesWithDruidTypes()
    {
        var json = Run("""
            [{"type":"expression","name":"perRow","expression":"clicks / rows"},
             {"type":"expression","name":"perRowExact","expression":"clicks / cast(rows, 'DOUBLE')"},
             {"type":"expression","name":"label","expression":"if(perRow >= 5, 'high', 'low') + '-' + users"},
             {"type":"expression","name":"safe","expression":"nvl(none, -1) * 2"},
             {"type":"expression","name":"check","expression":"maxRevenue > 1.5 && !(rows == 2)"}]
            """);
        Assert.Equal("""[{"timestamp":"2026-11-23T10:00:00.000Z","result":{"rows":3,"clicks":15,"maxRevenue":2.0,"none":null,"users":2.0,"perRow":5,"perRowExact":5.0,"label":"high-2.0","safe":-2,"check":1}}]""", json);
    }

    [Fact]
    public void Compute_GreatestAndLeast_IgnoreNullsAndCastForLongs()
    {
        var json = Run("""
            [{"type":"doubleGreatest","name":"dg","fields":[{"type":"fieldAccess","fieldName":"clicks"},{"type":"fieldAccess","fieldName":"none"},{"type":"constant","value":20.5}]},
             {"type":"doubleLeast","name":"dl","fields":[{"type":"fieldAccess","fieldName":"maxRevenue"},{"type":"fieldAccess","fieldName":"rows"}]},
             {"type":"longGreatest","name":"lg","fields":[{"type":"fieldAccess","fieldName":"maxRevenue"},{"type":"constant","value":1}]},
             {"type":"longLeast","name":"ll","fields":[{"type":"fieldAccess","fieldName":"none"}]},
             {"type":"expression","name":"e","expression":"dg + lg"}]
            """);
        Assert.Equal("""[{"timestamp":"2026-11-23T10:00:00.000Z","result":{"rows":3,"clicks":15,"maxRevenue":2.0,"none":null,"users":2.0,"dg":20.5,"dl":2.0,"lg":2,"ll":null,"e":22.5}}]""", json);
    }

    [Theory]
    [InlineData("""[{"type":"expression","name":"x","expression":"clicks +"}]""", "postAggregations[0].expression", "position 8")]
    [InlineData("""[{"type":"expression","name":"x","expression":"clicks + nope"}]""", "postAggregations[0].expression", "'nope'")]
    [InlineData("""[{"type":"expression","name":"x","expression":"later + 1"},{"type":"expression","name":"later","expression":"1"}]""", "postAggregations[0].expression", "'later'")]
    [InlineData("""[{"type":"expression","name":"x","expression":"zap(clicks)"}]""", "postAggregations[0].expression", "unknown function 'zap'")]
    [InlineData("""[{"type":"expression","name":"x"}]""", "postAggregations[0].expression", "required")]
    [InlineData("""[{"type":"doubleGreatest","name":"x","fields":[]}]""", "postAggregations[0].fields", "at least one")]
    [InlineData("""[{"type":"longLeast","name":"x","fields":[{"type":"fieldAccess","fieldName":"nope"}]}]""", "postAggregations[0].fields[0].fieldName", "'nope'")]
    [InlineData("""[{"type":"arithmetic","name":"x","fn":"+","fields":[{"type":"expression","expression":"1 +"},{"type":"constant","value":1}]}]""", "postAggregations[0].fields[0].expression", "position")]
    [InlineData("""[{"type":"javascript","name":"x"}]""", "postAggregations[0].type", "not supported")]
    public void Parse_BadPostAggregator_ThrowsNamingTheField(string postAggregations, string path, string message)
    {
        var ex = Assert.ThrowsAny<QueryValidationException>(() => Run(postAggregations));
        Assert.Equal(path, ex.Path);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.Equal(400, DruidError.FromException(ex).StatusCode);
    }
}
