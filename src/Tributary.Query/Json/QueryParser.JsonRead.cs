using System.Globalization;
using System.Text.Json;

namespace Tributary.Query;

// JSON read helpers: every failure names the field's path as users write it.
public static partial class QueryParser
{
    internal static string Child(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    internal static string Index(string path, int index) => $"{path}[{index}]";

    private static JsonElement? Get(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static JsonElement Require(JsonElement obj, string name, string path) =>
        Get(obj, name) ?? throw new QueryValidationException(Child(path, name), "is required");

    private static JsonElement RequireArray(JsonElement obj, string name, string path)
    {
        var v = Require(obj, name, path);
        RequireKind(v, JsonValueKind.Array, Child(path, name), "an array");
        return v;
    }

    private static void RequireKind(JsonElement element, JsonValueKind kind, string path, string what)
    {
        if (element.ValueKind != kind)
        {
            throw new QueryValidationException(path, $"must be {what}, got {Describe(element)}");
        }
    }

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => $"the string \"{element.GetString()}\"",
        JsonValueKind.Number => $"the number {element.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {element.GetRawText()}",
        _ => "null",
    };

    private static string RequireString(JsonElement obj, string name, string path)
    {
        var v = Require(obj, name, path);
        RequireKind(v, JsonValueKind.String, Child(path, name), "a string");
        return v.GetString()!;
    }

    private static string? OptionalString(JsonElement obj, string name, string path)
    {
        if (Get(obj, name) is not { } v)
        {
            return null;
        }

        RequireKind(v, JsonValueKind.String, Child(path, name), "a string");
        return v.GetString();
    }

    private static string NonEmpty(string value, string path) =>
        value.Length > 0 ? value : throw new QueryValidationException(path, "must not be empty");

    /// <summary>A string, number or boolean as Druid's Jackson coerces it to a string; null stays null.</summary>
    private static string? OptionalScalar(JsonElement obj, string name, string path) =>
        Get(obj, name) is { } v ? ScalarText(v, Child(path, name)) : null;

    private static string RequireScalar(JsonElement obj, string name, string path) =>
        ScalarText(Require(obj, name, path), Child(path, name)) ?? throw new QueryValidationException(Child(path, name), "is required");

    private static string? ScalarText(JsonElement v, string path) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
        JsonValueKind.Null => null,
        _ => throw new QueryValidationException(path, $"must be a string, number or boolean, got {Describe(v)}"),
    };

    private static bool OptionalBool(JsonElement obj, string name, string path, bool defaultValue)
    {
        if (Get(obj, name) is not { } v)
        {
            return defaultValue;
        }

        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String when bool.TryParse(v.GetString(), out var b) => b,
            _ => throw new QueryValidationException(Child(path, name), $"must be true or false, got {Describe(v)}"),
        };
    }

    private static long? OptionalLong(JsonElement obj, string name, string path, long min)
    {
        if (Get(obj, name) is not { } v)
        {
            return null;
        }

        long value;
        if (v.ValueKind == JsonValueKind.Number)
        {
            if (!v.TryGetInt64(out value))
            {
                throw new QueryValidationException(Child(path, name), $"must be an integer, got {v.GetRawText()}");
            }
        }
        else if (v.ValueKind != JsonValueKind.String || !long.TryParse(v.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
        {
            throw new QueryValidationException(Child(path, name), $"must be an integer, got {Describe(v)}");
        }

        return value >= min ? value : throw new QueryValidationException(Child(path, name), $"must be at least {min}, got {value}");
    }
}
