using System.Globalization;
using System.Text.Json;

namespace Tributary.Sql.Protocol;

/// <summary>One row of a native result, flattened: the bucket timestamp (if the result type has one) and the named fields.</summary>
/// <param name="Timestamp">The <c>timestamp</c> of the timeseries bucket, topN bucket or groupBy row; <see langword="null"/> for scan rows.</param>
/// <param name="Fields">The row's fields by output name (aggregators, post-aggregators, dimensions; scan columns, <c>__time</c> included).</param>
public sealed record NativeRow(DateTimeOffset? Timestamp, IReadOnlyDictionary<string, JsonElement> Fields)
{
    /// <summary>The field <paramref name="name"/>, or a JSON null when the row does not have it (Druid omits nulls in some shapes).</summary>
    public JsonElement Field(string name) => Fields.TryGetValue(name, out var v) ? v : NativeResultRows.Null;
}

/// <summary>
/// Flattens the JSON of Druid's native results into rows, so the SQL layer can project its columns from any query
/// type: timeseries <c>[{timestamp, result:{..}}]</c>, topN <c>[{timestamp, result:[{..}, ..]}]</c>, groupBy
/// <c>[{version, timestamp, event:{..}}]</c> and scan <c>[{segmentId, columns, events:[{..} or [..]]}]</c>.
/// </summary>
public static class NativeResultRows
{
    /// <summary>A JSON null, for absent fields.</summary>
    public static readonly JsonElement Null = JsonDocument.Parse("null").RootElement.Clone();

    /// <summary>The rows of a native result body; the elements are cloned, so the document may be disposed.</summary>
    public static IReadOnlyList<NativeRow> Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException($"A native result is a JSON array (was {root.ValueKind}).");
        }

        var rows = new List<NativeRow>();
        foreach (var item in root.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"A native result element is a JSON object (was {item.ValueKind}).");
            }

            if (item.TryGetProperty("events", out var events) && item.TryGetProperty("columns", out var columns))
            {
                ReadScan(columns, events, rows);
                continue;
            }

            var timestamp = item.TryGetProperty("timestamp", out var ts) && ts.ValueKind == JsonValueKind.String
                ? DateTimeOffset.Parse(ts.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal)
                : (DateTimeOffset?)null;
            if (item.TryGetProperty("event", out var groupByEvent))
            {
                rows.Add(new NativeRow(timestamp, Fields(groupByEvent)));
            }
            else if (item.TryGetProperty("result", out var result) && result.ValueKind == JsonValueKind.Array)
            {
                foreach (var entry in result.EnumerateArray())
                {
                    rows.Add(new NativeRow(timestamp, Fields(entry)));
                }
            }
            else if (item.TryGetProperty("result", out var single) && single.ValueKind == JsonValueKind.Object)
            {
                rows.Add(new NativeRow(timestamp, Fields(single)));
            }
            else
            {
                throw new FormatException("A native result element has none of event, result or events.");
            }
        }

        return rows;
    }

    private static void ReadScan(JsonElement columns, JsonElement events, List<NativeRow> rows)
    {
        var names = columns.EnumerateArray().Select(c => c.GetString() ?? string.Empty).ToArray();
        foreach (var e in events.EnumerateArray())
        {
            if (e.ValueKind == JsonValueKind.Array)
            {
                var fields = new Dictionary<string, JsonElement>(names.Length, StringComparer.Ordinal);
                var i = 0;
                foreach (var v in e.EnumerateArray())
                {
                    if (i < names.Length)
                    {
                        fields[names[i]] = v.Clone();
                    }

                    i++;
                }

                rows.Add(new NativeRow(null, fields));
            }
            else
            {
                rows.Add(new NativeRow(null, Fields(e)));
            }
        }
    }

    private static Dictionary<string, JsonElement> Fields(JsonElement obj)
    {
        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (obj.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"A native result row is a JSON object (was {obj.ValueKind}).");
        }

        foreach (var p in obj.EnumerateObject())
        {
            fields[p.Name] = p.Value.Clone();
        }

        return fields;
    }
}
