using System.Text.Json;

namespace Tributary.Query;

// groupBy's having and limitSpec.
public static partial class QueryParser
{
    private static HavingSpec ParseHaving(JsonElement element, string path, HashSet<string> outputs)
    {
        RequireKind(element, JsonValueKind.Object, path, "a having spec object");
        var type = RequireString(element, "type", path);
        switch (type)
        {
            case "greaterThan" or "lessThan" or "equalTo":
            {
                var aggregation = RequireString(element, "aggregation", path);
                if (!outputs.Contains(aggregation))
                {
                    throw new QueryValidationException(Child(path, "aggregation"), $"'{aggregation}' is not an output of this query");
                }

                var valuePath = Child(path, "value");
                var value = Require(element, "value", path);
                double number;
                if (value.ValueKind == JsonValueKind.Number)
                {
                    number = value.GetDouble();
                }
                else if (value.ValueKind != JsonValueKind.String || !StringComparers.TryParseNumber(value.GetString()!, out number))
                {
                    throw new QueryValidationException(valuePath, "must be a number");
                }

                return type switch
                {
                    "greaterThan" => new GreaterThanHaving(aggregation, number),
                    "lessThan" => new LessThanHaving(aggregation, number),
                    _ => new EqualToHaving(aggregation, number),
                };
            }

            case "dimSelector":
                return new DimSelectorHaving(RequireString(element, "dimension", path), OptionalScalar(element, "value", path));
            case "filter":
                return new FilterHaving(ParseFilter(Require(element, "filter", path), Child(path, "filter")));
            case "and" or "or":
            {
                var specsPath = Child(path, "havingSpecs");
                var specs = RequireArray(element, "havingSpecs", path);
                var list = new List<HavingSpec>();
                var i = 0;
                foreach (var s in specs.EnumerateArray())
                {
                    list.Add(ParseHaving(s, Index(specsPath, i++), outputs));
                }

                return type == "and" ? new AndHaving(list) : new OrHaving(list);
            }

            case "not":
                return new NotHaving(ParseHaving(Require(element, "havingSpec", path), Child(path, "havingSpec"), outputs));
            default:
                throw new QueryValidationException(Child(path, "type"), $"unknown having type '{type}'; expected greaterThan, lessThan, equalTo, dimSelector, filter, and, or, not");
        }
    }

    private static LimitSpec ParseLimitSpec(JsonElement element, string path, HashSet<string> outputs)
    {
        RequireKind(element, JsonValueKind.Object, path, "a limit spec object");
        var type = OptionalString(element, "type", path) ?? "default";
        if (type is not "default" and not "NoopLimitSpec" and not "noop")
        {
            throw new QueryValidationException(Child(path, "type"), $"'{type}' is not default");
        }

        var columns = new List<OrderByColumn>();
        if (Get(element, "columns") is { } cols)
        {
            var colsPath = Child(path, "columns");
            RequireKind(cols, JsonValueKind.Array, colsPath, "an array of order-by columns");
            var i = 0;
            foreach (var c in cols.EnumerateArray())
            {
                var p = Index(colsPath, i++);
                OrderByColumn column;
                if (c.ValueKind == JsonValueKind.String)
                {
                    column = new OrderByColumn(c.GetString()!, false, StringOrdering.Lexicographic);
                }
                else
                {
                    RequireKind(c, JsonValueKind.Object, p, "a column name or {\"dimension\":...,\"direction\":...}");
                    var descending = (OptionalString(c, "direction", p) ?? "ascending").ToLowerInvariant() switch
                    {
                        "ascending" or "asc" => false,
                        "descending" or "desc" => true,
                        var d => throw new QueryValidationException(Child(p, "direction"), $"'{d}' is not ascending or descending"),
                    };
                    var order = Get(c, "dimensionOrder") is { } o ? ParseOrdering(o, Child(p, "dimensionOrder")) : StringOrdering.Lexicographic;
                    column = new OrderByColumn(RequireString(c, "dimension", p), descending, order);
                }

                if (!outputs.Contains(column.Column))
                {
                    throw new QueryValidationException(c.ValueKind == JsonValueKind.String ? p : Child(p, "dimension"), $"'{column.Column}' is not a dimension, aggregator or post-aggregator of this query");
                }

                columns.Add(column);
            }
        }

        return new LimitSpec(columns, OptionalLong(element, "limit", path, 1), OptionalLong(element, "offset", path, 0) ?? 0);
    }
}
