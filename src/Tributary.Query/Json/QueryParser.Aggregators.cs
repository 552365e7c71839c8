using System.Text.Json;

namespace Tributary.Query;

// Aggregators: the "aggregations" array.
public static partial class QueryParser
{
    private const string AggregatorTypes = "count, longSum, doubleSum, longMin, longMax, doubleMin, doubleMax, hyperUnique, cardinality, doubleMean, longFirst, longLast, doubleFirst, doubleLast, stringFirst, stringLast, filtered";

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
            list.Add(ParseAggregator(agg, Index("aggregations", i++)));
        }

        return list;
    }

    private static AggregatorSpec ParseAggregator(JsonElement agg, string path)
    {
        RequireKind(agg, JsonValueKind.Object, path, "an aggregator object");
        var type = RequireString(agg, "type", path);
        if (type == "filtered")
        {
            // Druid names a filtered aggregator after its inner one unless it has a name of its own
            var filter = ParseFilter(Require(agg, "filter", path), Child(path, "filter"));
            var inner = ParseAggregator(Require(agg, "aggregator", path), Child(path, "aggregator"));
            var outer = OptionalString(agg, "name", path) is { } n ? NonEmpty(n, Child(path, "name")) : inner.Name;
            return inner with { Name = outer, Filter = inner.Filter is null ? filter : new AndFilter([filter, inner.Filter]) };
        }

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
            "cardinality" => AggregatorType.Cardinality,
            "doubleMean" => AggregatorType.DoubleMean,
            "longFirst" => AggregatorType.LongFirst,
            "longLast" => AggregatorType.LongLast,
            "doubleFirst" or "floatFirst" => AggregatorType.DoubleFirst,
            "doubleLast" or "floatLast" => AggregatorType.DoubleLast,
            "stringFirst" => AggregatorType.StringFirst,
            "stringLast" => AggregatorType.StringLast,
            "javascript" or "thetaSketch" or "HLLSketchBuild" or "HLLSketchMerge" or "quantilesDoublesSketch" or "longAny" or "doubleAny" or "stringAny" or "expression"
                => throw new QueryUnsupportedException(Child(path, "type"), $"the '{type}' aggregator is not supported; use one of {AggregatorTypes}"),
            _ => throw new QueryValidationException(Child(path, "type"), $"unknown or unsupported aggregator type '{type}'; expected one of {AggregatorTypes}"),
        };
        if (kind != AggregatorType.Count && Get(agg, "expression") is not null)
        {
            throw new QueryUnsupportedException(Child(path, "expression"), "expression aggregators are not supported; use fieldName");
        }

        if (kind == AggregatorType.Cardinality)
        {
            var fieldsPath = Child(path, "fields");
            var fields = RequireArray(agg, "fields", path);
            if (fields.GetArrayLength() == 0)
            {
                throw new QueryValidationException(fieldsPath, "a cardinality aggregator needs at least one field");
            }

            var specs = new List<DimensionSpec>();
            var i = 0;
            foreach (var field in fields.EnumerateArray())
            {
                specs.Add(ParseDimensionSpec(field, Index(fieldsPath, i++)));
            }

            return new AggregatorSpec(kind, name, null, OptionalBool(agg, "round", path, false))
            {
                Fields = specs,
                ByRow = OptionalBool(agg, "byRow", path, false),
            };
        }

        var fieldName = kind == AggregatorType.Count ? null : NonEmpty(RequireString(agg, "fieldName", path), Child(path, "fieldName"));
        var round = kind == AggregatorType.HyperUnique && OptionalBool(agg, "round", path, false);
        var spec = new AggregatorSpec(kind, name, fieldName, round);
        if (spec.IsFirstLast)
        {
            spec = spec with { TimeColumn = OptionalString(agg, "timeColumn", path) is { } t ? NonEmpty(t, Child(path, "timeColumn")) : Row.TimeColumn };
            if (kind is AggregatorType.StringFirst or AggregatorType.StringLast)
            {
                spec = spec with
                {
                    MaxStringBytes = OptionalInt(agg, "maxStringBytes", path, 1) ?? 1024,
                    FilterNullValues = OptionalBool(agg, "filterNullValues", path, false),
                };
            }
        }

        return spec;
    }
}
