namespace Tributary.Query.Tests;

public sealed class AggregatePartialBuilderTests
{
    [Fact]
    public void GetStates_GroupsOverMaxResultRows_ThrowsInTheSegment()
    {
        var query = (AggregationQuery)QueryParser.Parse("""{"queryType":"groupBy","dataSource":"d","intervals":["2026-11-23/P1D"],"dimensions":["pin_id"],"aggregations":[{"type":"count","name":"n"}]}""");
        var builder = new AggregatePartialBuilder(query, null, new QueryLimits(Timeout.InfiniteTimeSpan, 2, 10, 10));
        builder.GetStates(TestData.Start, new GroupKey(["a"]));
        builder.GetStates(TestData.Start, new GroupKey(["b"]));
        builder.GetStates(TestData.Start, new GroupKey(["a"]));
        Assert.Equal("maxResultRows", Assert.Throws<QueryLimitExceededException>(() => builder.GetStates(TestData.Start, new GroupKey(["c"]))).Limit);
    }

    [Fact]
    public void Build_TopNWithManyValues_KeepsTheBestMaxOf1000AndThresholdPerBucket()
    {
        var query = (TopNQuery)QueryParser.Parse("""{"queryType":"topN","dataSource":"d","intervals":["2026-11-23/P1D"],"granularity":"hour","dimension":"pin_id","metric":"s","threshold":3,"aggregations":[{"type":"longSum","name":"s","fieldName":"clicks"}]}""");
        var builder = new AggregatePartialBuilder(query, null);
        foreach (var hour in new[] { 0L, 3_600_000L })
        {
            for (var i = 0; i < 1500; i++)
            {
                ((LongSumState)builder.GetStates(TestData.Start + hour, new GroupKey([TestData.PinId(i)]))[0]).Add(i);
            }
        }

        var partial = builder.Build();

        Assert.Equal(2, partial.Buckets.Count);
        foreach (var groups in partial.Buckets.Values)
        {
            Assert.Equal(1000, groups.Count);
            Assert.Equal(500, groups.Values.Min(s => ((LongSumState)s[0]).Sum));
        }
    }

    [Fact]
    public void GetStates_SameBucketAndKey_ReturnsTheSameStates()
    {
        var query = (AggregationQuery)QueryParser.Parse("""{"queryType":"timeseries","dataSource":"d","intervals":["2026-11-23/P1D"],"granularity":"hour","aggregations":[{"type":"count","name":"n"}]}""");
        var builder = new AggregatePartialBuilder(query, null);
        var a = builder.GetStates(TestData.Start + 5, GroupKey.Empty);
        var b = builder.GetStates(TestData.Start + 3_599_999, GroupKey.Empty);
        var c = builder.GetStates(TestData.Start + 3_600_000, GroupKey.Empty);
        Assert.Same(a, b);
        Assert.NotSame(a, c);
        Assert.Equal(TestData.Start + 5, builder.Build().MinTimestamp);
    }
}
