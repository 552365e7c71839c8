using System.Text.Json;
using System.Xml;

namespace Tributary.Segments.Schema;

/// <summary>Writes a <see cref="DatasourceSpec"/> in the JSON shape <see cref="DatasourceSpecLoader"/> reads.</summary>
public static class DatasourceSpecWriter
{
    /// <summary>The spec as JSON text.</summary>
    public static string ToJson(DatasourceSpec spec)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            Write(json, spec);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Writes the spec as one JSON object.</summary>
    public static void Write(Utf8JsonWriter json, DatasourceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(spec);
        json.WriteStartObject();
        json.WriteString("name", spec.Name);
        json.WriteString("topic", spec.Topic);
        json.WriteStartObject("timestamp");
        json.WriteString("field", spec.Timestamp.Field);
        json.WriteString("format", spec.Timestamp.Format.ToString().ToLowerInvariant());
        json.WriteEndObject();
        json.WriteStartArray("dimensions");
        foreach (var d in spec.Dimensions)
        {
            json.WriteStartObject();
            json.WriteString("name", d.Name);
            json.WriteString("fieldName", d.FieldName);
            json.WriteString("type", d.Type == DimensionType.Long ? "long" : "string");
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("metrics");
        foreach (var m in spec.Metrics)
        {
            json.WriteStartObject();
            json.WriteString("type", char.ToLowerInvariant(m.Type.ToString()[0]) + m.Type.ToString()[1..]);
            json.WriteString("name", m.Name);
            if (m.FieldName is not null)
            {
                json.WriteString("fieldName", m.FieldName);
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartObject("partitioning");
        json.WriteString("key", spec.Partitioning.Key);
        json.WriteNumber("partitions", spec.Partitioning.Partitions);
        json.WriteNumber("fanOutSize", spec.Partitioning.FanOutSize);
        json.WriteEndObject();
        json.WriteStartObject("granularity");
        json.WriteString("segment", spec.Granularity.Segment.Name);
        json.WriteString("query", spec.Granularity.Query.Name);
        json.WriteBoolean("rollup", spec.Granularity.Rollup);
        json.WriteEndObject();
        json.WriteString("lateWindow", XmlConvert.ToString(spec.LateWindow));
        if (spec.EarlyRejection is { } early)
        {
            json.WriteString("earlyRejection", XmlConvert.ToString(early));
        }

        json.WriteNumber("hyperUniquePrecision", spec.HyperUniquePrecision);
        json.WriteNumber("bloomFilterFalsePositiveRate", spec.BloomFilterFalsePositiveRate);
        json.WriteEndObject();
    }
}
