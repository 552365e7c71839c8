using System.Text.Json;

namespace Tributary.Query;

// Filters: selector, in, bound, like, regex, and, or, not, plus Druid 28's equals and null; interval, range, search,
// true and false are read in QueryParser.MoreFilters.cs.
public static partial class QueryParser
{
    /// <summary>Parses a filter (exposed for tests and for callers that receive filters alone).</summary>
    public static Filter ParseFilter(JsonElement element, string path)
    {
        RequireKind(element, JsonValueKind.Object, path, "a filter object");
        var type = RequireString(element, "type", path);
        var filter = ParseFilterOfType(element, type, path);
        if (filter is DimensionFilter leaf && type is "selector" or "in" or "bound" or "like" or "regex" or "search" && Get(element, "extractionFn") is { } fn)
        {
            // Druid applies the function to the column's value, then the filter
            return leaf.WithExtractionFn(ParseExtractionFn(fn, Child(path, "extractionFn")));
        }

        return filter;
    }

    private static Filter ParseFilterOfType(JsonElement element, string type, string path)
    {
        switch (type)
        {
            case "selector":
                return new SelectorFilter(RequireString(element, "dimension", path), OptionalScalar(element, "value", path));
            case "equals":
                return new SelectorFilter(RequireString(element, "column", path), RequireScalar(element, "matchValue", path));
            case "null":
                return new SelectorFilter(RequireString(element, "column", path), null);
            case "in":
            {
                var dimension = RequireString(element, "dimension", path);
                var valuesPath = Child(path, "values");
                var values = RequireArray(element, "values", path);
                var list = new List<string?>(values.GetArrayLength());
                var i = 0;
                foreach (var v in values.EnumerateArray())
                {
                    list.Add(ScalarText(v, Index(valuesPath, i++)));
                }

                return new InFilter(dimension, list);
            }

            case "bound":
            {
                var dimension = RequireString(element, "dimension", path);
                var lower = OptionalScalar(element, "lower", path);
                var upper = OptionalScalar(element, "upper", path);
                var ordering = Get(element, "ordering") is { } o
                    ? ParseOrdering(o, Child(path, "ordering"))
                    : OptionalBool(element, "alphaNumeric", path, false) ? StringOrdering.Numeric : StringOrdering.Lexicographic;
                if (lower is null && upper is null)
                {
                    throw new QueryValidationException(path, "a bound filter needs 'lower' or 'upper'");
                }

                return new BoundFilter(dimension, lower, upper, OptionalBool(element, "lowerStrict", path, false), OptionalBool(element, "upperStrict", path, false), ordering);
            }

            case "like":
            {
                var dimension = RequireString(element, "dimension", path);
                var pattern = RequireString(element, "pattern", path);
                var escape = OptionalString(element, "escape", path);
                if (escape is not null && escape.Length != 1)
                {
                    throw new QueryValidationException(Child(path, "escape"), $"must be a single character, got '{escape}'");
                }

                return new LikeFilter(dimension, pattern, escape?[0]);
            }

            case "regex":
            {
                var dimension = RequireString(element, "dimension", path);
                var pattern = RequireString(element, "pattern", path);
                try
                {
                    return new RegexFilter(dimension, pattern);
                }
                catch (ArgumentException ex)
                {
                    throw new QueryValidationException(Child(path, "pattern"), $"invalid regular expression: {ex.Message}", ex);
                }
            }

            case "and" or "or":
            {
                var fieldsPath = Child(path, "fields");
                var fields = RequireArray(element, "fields", path);
                if (fields.GetArrayLength() == 0)
                {
                    throw new QueryValidationException(fieldsPath, $"an '{type}' filter needs at least one field");
                }

                var list = new List<Filter>();
                var i = 0;
                foreach (var child in fields.EnumerateArray())
                {
                    list.Add(ParseFilter(child, Index(fieldsPath, i++)));
                }

                return type == "and" ? new AndFilter(list) : new OrFilter(list);
            }

            case "not":
                return new NotFilter(ParseFilter(Require(element, "field", path), Child(path, "field")));
            case "true":
                return TrueFilter.Instance;
            case "false":
                return FalseFilter.Instance;
            case "interval":
                return ParseIntervalFilter(element, path);
            case "range":
                return ParseRangeFilter(element, path);
            case "search":
                return ParseSearchFilter(element, path);
            case "javascript" or "spatial" or "columnComparison" or "expression" or "arrayContainsElement":
                throw new QueryUnsupportedException(Child(path, "type"), $"'{type}' filters are not supported; use {FilterTypes}");
            default:
                throw new QueryValidationException(Child(path, "type"), $"unknown filter type '{type}'; expected one of {FilterTypes}");
        }
    }
}
