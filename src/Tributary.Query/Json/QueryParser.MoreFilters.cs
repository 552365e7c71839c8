using System.Text.Json;

namespace Tributary.Query;

// Filters interval, range (Druid 28) and search, and the search query spec shared with the search query.
public static partial class QueryParser
{
    private const string FilterTypes = "selector, in, bound, like, regex, and, or, not, equals, null, interval, range, search, true, false";

    private static IntervalFilter ParseIntervalFilter(JsonElement element, string path)
    {
        RejectExtractionFn(element, path);
        var dimension = RequireString(element, "dimension", path);
        var intervalsPath = Child(path, "intervals");
        var intervals = RequireArray(element, "intervals", path);
        var list = new List<Interval>();
        var i = 0;
        foreach (var item in intervals.EnumerateArray())
        {
            var itemPath = Index(intervalsPath, i++);
            RequireKind(item, JsonValueKind.String, itemPath, "an ISO-8601 interval string");
            list.Add(Interval.Parse(item.GetString()!, itemPath));
        }

        if (list.Count == 0)
        {
            throw new QueryValidationException(intervalsPath, "needs at least one interval");
        }

        return new IntervalFilter(dimension, Interval.Condense(list));
    }

    private static RangeFilter ParseRangeFilter(JsonElement element, string path)
    {
        var column = RequireString(element, "column", path);
        var typePath = Child(path, "matchValueType");
        var type = RequireString(element, "matchValueType", path).ToUpperInvariant() switch
        {
            "STRING" => RangeMatchType.String,
            "LONG" => RangeMatchType.Long,
            "DOUBLE" or "FLOAT" => RangeMatchType.Double,
            var t when t.StartsWith("ARRAY", StringComparison.Ordinal) => throw new QueryUnsupportedException(typePath, $"'{t}' ranges are not supported; use STRING, LONG, DOUBLE or FLOAT"),
            var t => throw new QueryValidationException(typePath, $"'{t}' is not one of STRING, LONG, DOUBLE, FLOAT"),
        };
        var lower = OptionalScalar(element, "lower", path);
        var upper = OptionalScalar(element, "upper", path);
        if (lower is null && upper is null)
        {
            throw new QueryValidationException(path, "a range filter needs 'lower' or 'upper'");
        }

        if (type != RangeMatchType.String)
        {
            foreach (var (name, value) in new[] { ("lower", lower), ("upper", upper) })
            {
                if (value is not null && !StringComparers.TryParseNumber(value, out _))
                {
                    throw new QueryValidationException(Child(path, name), $"'{value}' is not a number, as matchValueType {type.ToString().ToUpperInvariant()} needs");
                }
            }
        }

        return new RangeFilter(column, type, lower, upper, OptionalBool(element, "lowerOpen", path, false), OptionalBool(element, "upperOpen", path, false));
    }

    private static SearchFilter ParseSearchFilter(JsonElement element, string path)
    {
        var dimension = RequireString(element, "dimension", path);
        return new SearchFilter(dimension, ParseSearchQuerySpec(Require(element, "query", path), Child(path, "query")));
    }

    private static SearchQuerySpec ParseSearchQuerySpec(JsonElement element, string path)
    {
        RequireKind(element, JsonValueKind.Object, path, "a search query spec like {\"type\":\"contains\",\"value\":..}");
        var type = RequireString(element, "type", path);
        switch (type)
        {
            case "contains":
                return new ContainsSearchQuerySpec(RequireScalar(element, "value", path), OptionalBool(element, "caseSensitive", path, false));
            case "insensitive_contains":
                return new ContainsSearchQuerySpec(RequireScalar(element, "value", path), false);
            case "fragment":
            {
                var valuesPath = Child(path, "values");
                var values = RequireArray(element, "values", path);
                var list = new List<string>();
                var i = 0;
                foreach (var v in values.EnumerateArray())
                {
                    var p = Index(valuesPath, i++);
                    list.Add(ScalarText(v, p) ?? throw new QueryValidationException(p, "a fragment cannot be null"));
                }

                return new FragmentSearchQuerySpec(list, OptionalBool(element, "caseSensitive", path, false));
            }

            case "regex":
            {
                var pattern = RequireString(element, "pattern", path);
                try
                {
                    return new RegexSearchQuerySpec(pattern);
                }
                catch (ArgumentException ex)
                {
                    throw new QueryValidationException(Child(path, "pattern"), $"invalid regular expression: {ex.Message}", ex);
                }
            }

            default:
                throw new QueryValidationException(Child(path, "type"), $"unknown search query type '{type}'; expected one of contains, insensitive_contains, fragment, regex");
        }
    }

    private static void RejectExtractionFn(JsonElement element, string path)
    {
        if (Get(element, "extractionFn") is { ValueKind: not JsonValueKind.Null })
        {
            throw new QueryUnsupportedException(Child(path, "extractionFn"), "extraction functions are not supported on this filter");
        }
    }
}
