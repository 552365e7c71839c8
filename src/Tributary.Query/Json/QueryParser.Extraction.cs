using System.Globalization;
using System.Text.Json;

namespace Tributary.Query;

// Extraction functions: the "extractionFn" of extraction dimension specs and of filters.
public static partial class QueryParser
{
    private const string ExtractionTypes = "timeFormat, substring, regex, partial, strlen, upper, lower, lookup, bucket, cascade, identity";

    /// <summary>Parses an extraction function (exposed for tests and for callers that build specs alone).</summary>
    public static ExtractionFn ParseExtractionFn(JsonElement element, string path)
    {
        RequireKind(element, JsonValueKind.Object, path, "an extraction function object");
        var type = RequireString(element, "type", path);
        switch (type)
        {
            case "timeFormat":
            {
                JodaFormat? format = null;
                if (OptionalString(element, "format", path) is { } pattern)
                {
                    try
                    {
                        format = JodaFormat.Parse(pattern);
                    }
                    catch (FormatException ex)
                    {
                        throw new QueryValidationException(Child(path, "format"), $"invalid time format '{pattern}': {ex.Message}", ex);
                    }
                }

                var zone = OptionalString(element, "timeZone", path) is { } z ? ParseTimeZone(z, Child(path, "timeZone")) : TimeZoneInfo.Utc;
                if (OptionalString(element, "locale", path) is { } locale && !IsEnglish(locale))
                {
                    throw new QueryUnsupportedException(Child(path, "locale"), $"locale '{locale}' is not supported; month and day names are English (use en or leave it out)");
                }

                var granularity = Get(element, "granularity") is { } g ? ParseGranularity(g, Child(path, "granularity")) : null;
                return new TimeFormatExtractionFn(format, zone, granularity, OptionalBool(element, "asMillis", path, false));
            }

            case "substring":
            {
                var index = OptionalInt(element, "index", path, 0) ?? throw new QueryValidationException(Child(path, "index"), "is required");
                var length = OptionalInt(element, "length", path, 0);
                return new SubstringExtractionFn(index, length);
            }

            case "regex":
            {
                var expr = RequireString(element, "expr", path);
                var index = OptionalInt(element, "index", path, 0) ?? 1;
                try
                {
                    return new RegexExtractionFn(expr, index, OptionalBool(element, "replaceMissingValue", path, false), OptionalScalar(element, "replaceMissingValueWith", path));
                }
                catch (ArgumentOutOfRangeException ex)
                {
                    throw new QueryValidationException(Child(path, "index"), $"{index} is not a group of '{expr}': {ex.Message.Split(" (Parameter", 2)[0]}", ex);
                }
                catch (ArgumentException ex)
                {
                    throw new QueryValidationException(Child(path, "expr"), $"invalid regular expression: {ex.Message}", ex);
                }
            }

            case "partial":
            {
                var expr = RequireString(element, "expr", path);
                try
                {
                    return new PartialExtractionFn(expr);
                }
                catch (ArgumentException ex)
                {
                    throw new QueryValidationException(Child(path, "expr"), $"invalid regular expression: {ex.Message}", ex);
                }
            }

            case "strlen":
                return new StrlenExtractionFn();
            case "upper" or "lower":
                return new CaseExtractionFn(type == "upper", OptionalString(element, "locale", path));
            case "identity":
                return new IdentityExtractionFn();
            case "lookup":
            {
                var lookupPath = Child(path, "lookup");
                var lookup = Require(element, "lookup", path);
                if (lookup.ValueKind == JsonValueKind.String)
                {
                    throw new QueryUnsupportedException(lookupPath, $"registered lookups ('{lookup.GetString()}') are not supported; give the map inline: {{\"type\":\"map\",\"map\":{{..}}}}");
                }

                RequireKind(lookup, JsonValueKind.Object, lookupPath, "a lookup object {\"type\":\"map\",\"map\":{..}}");
                var lookupType = RequireString(lookup, "type", lookupPath);
                if (lookupType != "map")
                {
                    throw new QueryUnsupportedException(Child(lookupPath, "type"), $"'{lookupType}' lookups are not supported; use map");
                }

                var mapPath = Child(lookupPath, "map");
                var mapElement = Require(lookup, "map", lookupPath);
                RequireKind(mapElement, JsonValueKind.Object, mapPath, "an object of key to value");
                var map = new Dictionary<string, string?>(StringComparer.Ordinal);
                foreach (var entry in mapElement.EnumerateObject())
                {
                    map[entry.Name] = ScalarText(entry.Value, Child(mapPath, entry.Name));
                }

                var retain = OptionalBool(element, "retainMissingValue", path, false);
                var replace = OptionalScalar(element, "replaceMissingValueWith", path);
                if (retain && !string.IsNullOrEmpty(replace))
                {
                    throw new QueryValidationException(Child(path, "replaceMissingValueWith"), "cannot be set together with retainMissingValue: true");
                }

                return new LookupExtractionFn(map, retain, string.IsNullOrEmpty(replace) ? null : replace, OptionalBool(element, "injective", path, false));
            }

            case "bucket":
            {
                var size = OptionalDouble(element, "size", path) ?? 1;
                if (!(size > 0) || double.IsInfinity(size))
                {
                    throw new QueryValidationException(Child(path, "size"), $"must be a positive number, got {size.ToString(CultureInfo.InvariantCulture)}");
                }

                return new BucketExtractionFn(size, OptionalDouble(element, "offset", path) ?? 0);
            }

            case "cascade":
            {
                var fnsPath = Child(path, "extractionFns");
                var fns = RequireArray(element, "extractionFns", path);
                if (fns.GetArrayLength() == 0)
                {
                    throw new QueryValidationException(fnsPath, "needs at least one extraction function");
                }

                var list = new List<ExtractionFn>();
                var i = 0;
                foreach (var fn in fns.EnumerateArray())
                {
                    list.Add(ParseExtractionFn(fn, Index(fnsPath, i++)));
                }

                return new CascadeExtractionFn(list);
            }

            case "javascript" or "searchQuery" or "stringFormat" or "registeredLookup" or "time":
                throw new QueryUnsupportedException(Child(path, "type"), $"'{type}' extraction functions are not supported; use one of {ExtractionTypes}");
            default:
                throw new QueryValidationException(Child(path, "type"), $"unknown extraction function type '{type}'; expected one of {ExtractionTypes}");
        }
    }

    private static bool IsEnglish(string locale) =>
        locale.Length == 0 || locale.Equals("en", StringComparison.OrdinalIgnoreCase) || locale.StartsWith("en-", StringComparison.OrdinalIgnoreCase) || locale.StartsWith("en_", StringComparison.OrdinalIgnoreCase);

    private static int? OptionalInt(JsonElement obj, string name, string path, int min) =>
        OptionalLong(obj, name, path, min) is { } value
            ? value <= int.MaxValue ? (int)value : throw new QueryValidationException(Child(path, name), $"must be at most {int.MaxValue}, got {value}")
            : null;

    private static double? OptionalDouble(JsonElement obj, string name, string path)
    {
        if (Get(obj, name) is not { } v)
        {
            return null;
        }

        if (v.ValueKind == JsonValueKind.Number)
        {
            return v.GetDouble();
        }

        if (v.ValueKind == JsonValueKind.String && StringComparers.TryParseNumber(v.GetString()!, out var d))
        {
            return d;
        }

        throw new QueryValidationException(Child(path, name), $"must be a number, got {Describe(v)}");
    }
}
