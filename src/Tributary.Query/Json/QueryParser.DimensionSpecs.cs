using System.Text.Json;

namespace Tributary.Query;

// Dimension specs, and the string orderings used by bound filters, topN dimension metrics and limit specs.
public static partial class QueryParser
{
    private static DimensionSpec ParseDimensionSpec(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.String)
        {
            var name = NonEmpty(element.GetString()!, path);
            return new DimensionSpec(name, name);
        }

        RequireKind(element, JsonValueKind.Object, path, "a dimension name or {\"type\":\"default\",\"dimension\":...}");
        var type = OptionalString(element, "type", path) ?? "default";
        if (type is not ("default" or "extraction"))
        {
            throw new QueryUnsupportedException(Child(path, "type"), $"'{type}' dimension specs are not supported; use default or extraction");
        }

        var dimension = NonEmpty(RequireString(element, "dimension", path), Child(path, "dimension"));
        var outputName = OptionalString(element, "outputName", path) ?? dimension;
        var outputType = (OptionalString(element, "outputType", path) ?? "STRING").ToUpperInvariant() switch
        {
            "STRING" => DimensionOutputType.String,
            "LONG" => DimensionOutputType.Long,
            "DOUBLE" or "FLOAT" => DimensionOutputType.Double,
            var t => throw new QueryValidationException(Child(path, "outputType"), $"'{t}' is not one of STRING, LONG, DOUBLE"),
        };
        var extractionFn = type == "extraction" ? ParseExtractionFn(Require(element, "extractionFn", path), Child(path, "extractionFn")) : null;
        return new DimensionSpec(dimension, outputName, outputType, extractionFn);
    }

    private static StringOrdering ParseOrdering(JsonElement element, string path)
    {
        string name;
        if (element.ValueKind == JsonValueKind.Object)
        {
            name = RequireString(element, "type", path);
            path = Child(path, "type");
        }
        else
        {
            RequireKind(element, JsonValueKind.String, path, "an ordering name");
            name = element.GetString()!;
        }

        return name.ToLowerInvariant() switch
        {
            "lexicographic" => StringOrdering.Lexicographic,
            "numeric" => StringOrdering.Numeric,
            "strlen" => StringOrdering.Strlen,
            "alphanumeric" or "version" or "natural" => throw new QueryUnsupportedException(path, $"the '{name}' ordering is not supported; use lexicographic, numeric or strlen"),
            _ => throw new QueryValidationException(path, $"unknown ordering '{name}'; expected lexicographic, numeric or strlen"),
        };
    }
}
