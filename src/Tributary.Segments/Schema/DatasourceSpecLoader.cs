using System.Globalization;
using System.Text.Json;
using System.Xml;
using Tributary.Query;

namespace Tributary.Segments.Schema;

/// <summary>
/// Reads datasource specs (JSON) and validates them strictly: an unknown, missing or wrong key fails with a
/// <see cref="DatasourceSpecException"/> that names the file and the key path (<c>metrics[1].fieldName</c>).
/// </summary>
public static class DatasourceSpecLoader
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>Loads every <c>*.json</c> in <paramref name="directory"/>, keyed by datasource name.</summary>
    public static IReadOnlyDictionary<string, DatasourceSpec> LoadDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new DatasourceSpecException(directory, "", "the datasource directory does not exist");
        }

        var specs = new Dictionary<string, DatasourceSpec>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal))
        {
            var spec = LoadFile(file);
            if (!specs.TryAdd(spec.Name, spec))
            {
                throw new DatasourceSpecException(file, "name", $"datasource '{spec.Name}' is defined twice");
            }
        }

        return specs;
    }

    /// <summary>Loads one spec file.</summary>
    public static DatasourceSpec LoadFile(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>Parses and validates <paramref name="json"/>; <paramref name="source"/> names it in errors.</summary>
    public static DatasourceSpec Parse(string json, string source = "<inline>")
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new DatasourceSpecException(source, "", $"invalid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: {e.Message}");
        }

        using (document)
        {
            return new Reader(source).Spec(document.RootElement);
        }
    }

    private sealed class Reader(string source)
    {
        public DatasourceSpec Spec(JsonElement root)
        {
            Object(root, "", "name", "topic", "timestamp", "dimensions", "metrics", "partitioning", "granularity", "lateWindow", "earlyRejection", "hyperUniquePrecision", "bloomFilterFalsePositiveRate");
            var name = Identifier(root, "", "name");
            var timestamp = Required(root, "", "timestamp");
            Object(timestamp, "timestamp", "field", "format");
            var formatText = OptionalString(timestamp, "timestamp", "format") ?? "iso";
            var format = formatText.ToLowerInvariant() switch
            {
                "iso" or "auto" => TimestampFormat.Iso,
                "millis" => TimestampFormat.Millis,
                "posix" or "seconds" => TimestampFormat.Posix,
                _ => throw Fail("timestamp.format", $"'{formatText}' is not one of iso, millis, posix"),
            };

            var dimensions = new List<DimensionSpec>();
            var dimensionArray = Array(root, "", "dimensions");
            for (var i = 0; i < dimensionArray.Count; i++)
            {
                var path = $"dimensions[{i}]";
                var element = dimensionArray[i];
                Object(element, path, "name", "fieldName", "type");
                var dimName = Identifier(element, path, "name");
                var typeText = OptionalString(element, path, "type") ?? "string";
                var type = typeText switch
                {
                    "string" => DimensionType.String,
                    "long" => DimensionType.Long,
                    _ => throw Fail(path + ".type", $"'{typeText}' is not one of string, long"),
                };
                if (dimensions.Any(d => d.Name == dimName))
                {
                    throw Fail(path + ".name", $"dimension '{dimName}' is defined twice");
                }

                dimensions.Add(new DimensionSpec(dimName, OptionalString(element, path, "fieldName") ?? dimName, type));
            }

            if (dimensions.Count == 0)
            {
                throw Fail("dimensions", "at least one dimension is required");
            }

            var metrics = new List<MetricSpec>();
            var metricArray = Array(root, "", "metrics");
            for (var i = 0; i < metricArray.Count; i++)
            {
                var path = $"metrics[{i}]";
                var element = metricArray[i];
                Object(element, path, "type", "name", "fieldName");
                var typeText = String(element, path, "type");
                var type = typeText switch
                {
                    "count" => AggregatorType.Count,
                    "longSum" => AggregatorType.LongSum,
                    "doubleSum" => AggregatorType.DoubleSum,
                    "longMin" => AggregatorType.LongMin,
                    "longMax" => AggregatorType.LongMax,
                    "doubleMin" => AggregatorType.DoubleMin,
                    "doubleMax" => AggregatorType.DoubleMax,
                    "hyperUnique" => AggregatorType.HyperUnique,
                    _ => throw Fail(path + ".type", $"'{typeText}' is not one of count, longSum, doubleSum, longMin, longMax, doubleMin, doubleMax, hyperUnique"),
                };
                var metricName = Identifier(element, path, "name");
                var fieldName = OptionalString(element, path, "fieldName");
                if (type != AggregatorType.Count && fieldName is null)
                {
                    throw Fail(path + ".fieldName", $"is required for a {typeText} metric");
                }

                if (type == AggregatorType.Count && fieldName is not null)
                {
                    throw Fail(path + ".fieldName", "a count metric has no fieldName");
                }

                if (metrics.Any(m => m.Name == metricName) || dimensions.Any(d => d.Name == metricName))
                {
                    throw Fail(path + ".name", $"'{metricName}' is already a dimension or metric name");
                }

                metrics.Add(new MetricSpec(type, metricName, fieldName));
            }

            var partitioning = Required(root, "", "partitioning");
            Object(partitioning, "partitioning", "key", "partitions", "fanOutSize");
            var key = String(partitioning, "partitioning", "key");
            if (!dimensions.Any(d => d.Name == key))
            {
                throw Fail("partitioning.key", $"'{key}' is not a dimension");
            }

            var partitions = Int(partitioning, "partitioning", "partitions", 1, 100_000, null);
            var fanOut = Int(partitioning, "partitioning", "fanOutSize", 1, partitions, 1);

            var granularity = Required(root, "", "granularity");
            Object(granularity, "granularity", "segment", "query", "rollup");
            var segment = GranularityValue(granularity, "granularity", "segment", FixedGranularity.Hour);
            if (segment != FixedGranularity.Hour && segment != FixedGranularity.Day)
            {
                throw Fail("granularity.segment", $"'{segment}' is not supported; use hour or day");
            }

            var query = GranularityValue(granularity, "granularity", "query", FixedGranularity.None);
            if (query.Milliseconds > segment.Milliseconds || segment.Milliseconds % query.Milliseconds != 0)
            {
                throw Fail("granularity.query", $"'{query}' must divide the segment granularity '{segment}'");
            }

            var rollup = granularity.TryGetProperty("rollup", out var rollupElement)
                ? rollupElement.ValueKind is JsonValueKind.True or JsonValueKind.False ? rollupElement.GetBoolean() : throw Fail("granularity.rollup", "must be true or false")
                : true;

            var lateWindow = Duration(root, "lateWindow") ?? TimeSpan.FromHours(3);
            var precision = Int(root, "", "hyperUniquePrecision", Bitmaps.Sketches.HyperLogLog.MinPrecision, Bitmaps.Sketches.HyperLogLog.MaxPrecision, Bitmaps.Sketches.HyperLogLog.DefaultPrecision);
            var fpp = 0.01;
            if (root.TryGetProperty("bloomFilterFalsePositiveRate", out var fppElement))
            {
                if (fppElement.ValueKind != JsonValueKind.Number || !fppElement.TryGetDouble(out fpp) || fpp <= 0 || fpp >= 0.5)
                {
                    throw Fail("bloomFilterFalsePositiveRate", "must be a number in (0, 0.5)");
                }
            }

            return new DatasourceSpec
            {
                Name = name,
                Topic = OptionalString(root, "", "topic") ?? name,
                Timestamp = new TimestampSpec(String(timestamp, "timestamp", "field"), format),
                Dimensions = dimensions,
                Metrics = metrics,
                Partitioning = new PartitionSpec(key, partitions, fanOut),
                Granularity = new GranularitySpec(segment, query, rollup),
                LateWindow = lateWindow,
                EarlyRejection = Duration(root, "earlyRejection"),
                HyperUniquePrecision = precision,
                BloomFilterFalsePositiveRate = fpp,
            };
        }

        private DatasourceSpecException Fail(string path, string message) => new(source, path, message);

        private static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;

        private void Object(JsonElement element, string path, params string[] allowed)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw Fail(path, $"must be an object, not {element.ValueKind}");
            }

            foreach (var property in element.EnumerateObject())
            {
                if (!allowed.Contains(property.Name, StringComparer.Ordinal))
                {
                    throw Fail(Join(path, property.Name), $"unknown key; expected one of {string.Join(", ", allowed)}");
                }
            }
        }

        private JsonElement Required(JsonElement element, string path, string key)
            => element.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null ? value : throw Fail(Join(path, key), "is required");

        private string String(JsonElement element, string path, string key)
            => OptionalString(element, path, key) ?? throw Fail(Join(path, key), "is required");

        private string? OptionalString(JsonElement element, string path, string key)
        {
            if (!element.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            return value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
                ? text
                : throw Fail(Join(path, key), "must be a non-empty string");
        }

        private string Identifier(JsonElement element, string path, string key)
        {
            var text = String(element, path, key);
            return text.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')
                ? text
                : throw Fail(Join(path, key), $"'{text}' may hold only ASCII letters, digits, '_', '-' and '.'");
        }

        private IReadOnlyList<JsonElement> Array(JsonElement element, string path, string key)
        {
            var value = Required(element, path, key);
            return value.ValueKind == JsonValueKind.Array ? [.. value.EnumerateArray()] : throw Fail(Join(path, key), "must be an array");
        }

        private int Int(JsonElement element, string path, string key, int min, int max, int? fallback)
        {
            if (!element.TryGetProperty(key, out var value))
            {
                return fallback ?? throw Fail(Join(path, key), "is required");
            }

            return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= min && number <= max
                ? number
                : throw Fail(Join(path, key), $"must be an integer in {min}..{max}");
        }

        private FixedGranularity GranularityValue(JsonElement element, string path, string key, FixedGranularity fallback)
        {
            var text = OptionalString(element, path, key);
            return text is null ? fallback : FixedGranularity.FromName(text) ?? throw Fail(Join(path, key), $"'{text}' is not one of {string.Join(", ", FixedGranularity.All.Keys)}");
        }

        private TimeSpan? Duration(JsonElement element, string key)
        {
            var text = OptionalString(element, "", key);
            if (text is null)
            {
                return null;
            }

            try
            {
                // ISO-8601 durations (PT3H, PT10M, P1D) as Druid writes them.
                var duration = XmlConvert.ToTimeSpan(text);
                return duration > TimeSpan.Zero ? duration : throw Fail(key, $"'{text}' must be positive");
            }
            catch (FormatException)
            {
                throw Fail(key, $"'{text}' is not an ISO-8601 duration such as PT3H");
            }
        }
    }
}

/// <summary>A datasource spec that is invalid; the message names the file and the key path.</summary>
public sealed class DatasourceSpecException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DatasourceSpecException(string source, string keyPath, string message)
        : base(string.Create(CultureInfo.InvariantCulture, $"{source}: {(keyPath.Length == 0 ? "" : keyPath + ": ")}{message}"))
    {
        SpecSource = source;
        KeyPath = keyPath;
    }

    /// <summary>File (or source name) of the spec.</summary>
    public string SpecSource { get; }

    /// <summary>Path of the bad key, such as <c>metrics[1].fieldName</c>.</summary>
    public string KeyPath { get; }
}
