using System.Text.Json;

namespace Tributary.Query;

// Aggregators: the "aggregations" array.
public static partial class QueryParser
{
    private static List<AggregatorSpec> ParseAggregations(JsonElement root)
    {
        var list = new List<AggregatorSpec>();
        if (Get(root, "aggregations") is not { } aggs)
        {
            return list;
        }

        RequireKind(aggs, JsonValueKind.Array, "aggregations", "an array of aggregators");
        var i = 0;
        foreach (var agg in aggs.EnumerateArray())
        {
            var path = Index("aggregations", i++);
            RequireKind(agg, JsonValueKind.Object, path, "an aggregator object");
            var type = RequireString(agg, "type", path);
            var name = NonEmpty(RequireString(agg, "name", path), Child(path, "name"));
            AggregatorType kind = type switch
            {
                "count" => AggregatorType.Count,
                "longSum" => AggregatorType.LongSum,
                "doubleSum" or "floatSum" => AggregatorType.DoubleSum,
                "longMin" => AggregatorType.LongMin,
                "longMax" => AggregatorType.LongMax,
                "doubleMin" or "floatMin" => AggregatorType.DoubleMin,
                "doubleMax" or "floatMax" => AggregatorType.DoubleMax,
                "hyperUnique" => AggregatorType.HyperUnique,
                "cardinality" => throw new QueryUnsupportedException(Child(path, "type"), "the 'cardinality' aggregator is not supported; ingest the column as a hyperUnique metric and query it with {\"type\":\"hyperUnique\",\"fieldName\":...}"),
                _ => throw new QueryValidationException(Child(path, "type"), $"unknown or unsupported aggregator type '{type}'; expected one of count, longSum, doubleSum, longMin, longMax, doubleMin, doubleMax, hyperUnique"),
            };
            if (kind != AggregatorType.Count && Get(agg, "expression") is not null)
            {
                throw new QueryUnsupportedException(Child(path, "expression"), "expression aggregators are not supported; use fieldName");
            }

            var fieldName = kind == AggregatorType.Count ? null : NonEmpty(RequireString(agg, "fieldName", path), Child(path, "fieldName"));
            var round = kind == AggregatorType.HyperUnique && OptionalBool(agg, "round", path, false);
            list.Add(new AggregatorSpec(kind, name, fieldName, round));
        }

        return list;
    }
}
