namespace Tributary.Query.Tests;

public sealed class PartialResultCodecTests
{
    [Fact]
    public void Deserialize_PartialOfOtherQueryOrTruncated_ThrowsInvalidData()
    {
        var scan = QueryParser.Parse("""{"queryType":"scan","dataSource":"d","intervals":["2026-11-23/P1D"]}""");
        var bytes = PartialResultCodec.Serialize(new ReferenceEvaluator(TestData.Schema).EvaluatePartial(scan, new TestData(5).Rows(20), "s", default, TestContext.Current.CancellationToken));
        var timeBoundary = QueryParser.Parse("""{"queryType":"timeBoundary","dataSource":"d"}""");
        Assert.Throws<InvalidDataException>(() => PartialResultCodec.Deserialize(bytes, timeBoundary, null));
        Assert.Throws<InvalidDataException>(() => PartialResultCodec.Deserialize(bytes.AsSpan(0, bytes.Length / 2), scan, null));
    }

    [Fact]
    public void Deserialize_SerializedAggregatePartial_RoundTripsStates()
    {
        var query = (AggregationQuery)QueryParser.Parse("""
            {"queryType":"groupBy","dataSource":"d","intervals":["2026-11-23/P1D"],"granularity":"hour","dimensions":["country"],
             "aggregations":[{"type":"count","name":"n"},{"type":"longSum","name":"s","fieldName":"clicks"},{"type":"doubleSum","name":"r","fieldName":"revenue"},
               {"type":"longMin","name":"mn","fieldName":"clicks"},{"type":"doubleMax","name":"mx","fieldName":"revenue"},{"type":"hyperUnique","name":"u","fieldName":"users"}]}
            """);
        var partial = (AggregatePartial)new ReferenceEvaluator(TestData.Schema, SetSketchFactory.Instance).EvaluatePartial(query, new TestData(9).Rows(300), "seg", default, TestContext.Current.CancellationToken);
        var back = (AggregatePartial)PartialResultCodec.Deserialize(PartialResultCodec.Serialize(partial), query, SetSketchFactory.Instance);

        Assert.Equal("seg", back.SegmentId);
        Assert.Equal(partial.MinTimestamp, back.MinTimestamp);
        Assert.Equal(partial.Buckets.Keys.Order(), back.Buckets.Keys.Order());
        foreach (var (bucket, groups) in partial.Buckets)
        {
            Assert.Equal(groups.Count, back.Buckets[bucket].Count);
            foreach (var (key, states) in groups)
            {
                Assert.Equal(states.Select(s => s.Result()), back.Buckets[bucket][key].Select(s => s.Result()));
            }
        }
    }
}
