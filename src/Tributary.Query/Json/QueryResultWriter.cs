using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Tributary.Query;

/// <summary>
/// Writes results in Druid's response JSON: timestamps as ISO-8601 UTC with milliseconds, doubles as Java prints
/// them (<c>1.0</c>), NaN and infinities as strings (Jackson's default), sketches as base64.
/// </summary>
public static class QueryResultWriter
{
    /// <summary>The result as a JSON string.</summary>
    public static string ToJson(QueryResult result)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, result);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes the result array.</summary>
    public static void Write(Utf8JsonWriter writer, QueryResult result)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartArray();
        switch (result)
        {
            case TimeseriesResult ts:
                foreach (var row in ts.Rows)
                {
                    writer.WriteStartObject();
                    if (row.Timestamp is { } timestamp)
                    {
                        writer.WriteString("timestamp", IsoTime.Format(timestamp));
                    }
                    else
                    {
                        writer.WriteNull("timestamp");
                    }

                    writer.WritePropertyName("result");
                    WriteRecord(writer, row.Result);
                    writer.WriteEndObject();
                }

                break;
            case TopNResult topN:
                foreach (var bucket in topN.Buckets)
                {
                    writer.WriteStartObject();
                    writer.WriteString("timestamp", IsoTime.Format(bucket.Timestamp));
                    writer.WriteStartArray("result");
                    foreach (var row in bucket.Result)
                    {
                        WriteRecord(writer, row);
                    }

                    writer.WriteEndArray();
                    writer.WriteEndObject();
                }

                break;
            case GroupByResult groupBy:
                foreach (var row in groupBy.Rows)
                {
                    writer.WriteStartObject();
                    writer.WriteString("version", "v1");
                    writer.WriteString("timestamp", IsoTime.Format(row.Timestamp));
                    writer.WritePropertyName("event");
                    WriteRecord(writer, row.Event);
                    writer.WriteEndObject();
                }

                break;
            case ScanResult scan:
                foreach (var batch in scan.Batches)
                {
                    WriteScanBatch(writer, scan.Format, batch);
                }

                break;
            case TimeBoundaryResult tb:
                if (tb.MinTime is { } min && tb.MaxTime is { } max)
                {
                    writer.WriteStartObject();
                    writer.WriteString("timestamp", IsoTime.Format(tb.Bound == TimeBoundaryBound.MaxTime ? max : min));
                    writer.WriteStartObject("result");
                    if (tb.Bound != TimeBoundaryBound.MaxTime)
                    {
                        writer.WriteString("minTime", IsoTime.Format(min));
                    }

                    if (tb.Bound != TimeBoundaryBound.MinTime)
                    {
                        writer.WriteString("maxTime", IsoTime.Format(max));
                    }

                    writer.WriteEndObject();
                    writer.WriteEndObject();
                }

                break;
            case SegmentMetadataResult sm:
                foreach (var segment in sm.Segments)
                {
                    WriteAnalysis(writer, segment);
                }

                break;
            case SearchResult search:
                foreach (var bucket in search.Buckets)
                {
                    writer.WriteStartObject();
                    writer.WriteString("timestamp", IsoTime.Format(bucket.Timestamp));
                    writer.WriteStartArray("result");
                    foreach (var hit in bucket.Result)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("dimension", hit.Dimension);
                        writer.WriteString("value", hit.Value);
                        writer.WriteNumber("count", hit.Count);
                        writer.WriteEndObject();
                    }

                    writer.WriteEndArray();
                    writer.WriteEndObject();
                }

                break;
            case DataSourceMetadataResult dm:
                if (dm.MaxIngestedEventTime is { } maxIngested)
                {
                    writer.WriteStartObject();
                    writer.WriteString("timestamp", IsoTime.Format(maxIngested));
                    writer.WriteStartObject("result");
                    writer.WriteString("maxIngestedEventTime", IsoTime.Format(maxIngested));
                    writer.WriteEndObject();
                    writer.WriteEndObject();
                }

                break;
            default:
                throw new ArgumentException($"Unknown result type {result.GetType().Name}.", nameof(result));
        }

        writer.WriteEndArray();
    }

    /// <summary>Writes one value the way Druid's Jackson mapper does.</summary>
    public static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case int i:
                writer.WriteNumberValue(i);
                break;
            case double d:
                WriteDouble(writer, d);
                break;
            case float f:
                WriteDouble(writer, f);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case ICardinalitySketch sketch:
                writer.WriteBase64StringValue(sketch.Serialize());
                break;
            default:
                writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    private static void WriteDouble(Utf8JsonWriter writer, double d)
    {
        if (double.IsFinite(d))
        {
            writer.WriteRawValue(StringComparers.FormatDouble(d), skipInputValidation: true);
        }
        else
        {
            writer.WriteStringValue(StringComparers.FormatDouble(d));
        }
    }

    private static void WriteRecord(Utf8JsonWriter writer, OrderedDictionary<string, object?> record)
    {
        writer.WriteStartObject();
        foreach (var (key, value) in record)
        {
            writer.WritePropertyName(key);
            WriteValue(writer, value);
        }

        writer.WriteEndObject();
    }

    private static void WriteScanBatch(Utf8JsonWriter writer, ScanResultFormat format, ScanBatch batch)
    {
        writer.WriteStartObject();
        writer.WriteString("segmentId", batch.SegmentId);
        writer.WriteStartArray("columns");
        foreach (var c in batch.Columns)
        {
            writer.WriteStringValue(c);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("events");
        foreach (var e in batch.Events)
        {
            if (format == ScanResultFormat.CompactedList)
            {
                writer.WriteStartArray();
                foreach (var v in e)
                {
                    WriteValue(writer, v);
                }

                writer.WriteEndArray();
            }
            else
            {
                writer.WriteStartObject();
                for (var i = 0; i < batch.Columns.Count; i++)
                {
                    writer.WritePropertyName(batch.Columns[i]);
                    WriteValue(writer, e[i]);
                }

                writer.WriteEndObject();
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteAnalysis(Utf8JsonWriter writer, SegmentAnalysis segment)
    {
        writer.WriteStartObject();
        writer.WriteString("id", segment.Id);
        if (segment.Intervals is null)
        {
            writer.WriteNull("intervals");
        }
        else
        {
            writer.WriteStartArray("intervals");
            foreach (var i in segment.Intervals)
            {
                writer.WriteStringValue(i.ToString());
            }

            writer.WriteEndArray();
        }

        writer.WriteStartObject("columns");
        foreach (var (name, c) in segment.Columns)
        {
            writer.WriteStartObject(name);
            writer.WriteString("typeSignature", c.TypeSignature);
            writer.WriteString("type", c.Type);
            writer.WriteBoolean("hasMultipleValues", c.HasMultipleValues);
            writer.WriteBoolean("hasNulls", c.HasNulls);
            writer.WriteNumber("size", c.Size);
            writer.WritePropertyName("cardinality");
            WriteValue(writer, c.Cardinality);
            writer.WritePropertyName("minValue");
            WriteValue(writer, c.MinValue);
            writer.WritePropertyName("maxValue");
            WriteValue(writer, c.MaxValue);
            writer.WritePropertyName("errorMessage");
            WriteValue(writer, c.ErrorMessage);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.WriteNumber("size", segment.Size);
        writer.WriteNumber("numRows", segment.NumRows);
        if (segment.Aggregators is null)
        {
            writer.WriteNull("aggregators");
        }
        else
        {
            writer.WriteStartObject("aggregators");
            foreach (var (name, spec) in segment.Aggregators)
            {
                writer.WritePropertyName(name);
                if (spec is null)
                {
                    writer.WriteNullValue();
                    continue;
                }

                writer.WriteStartObject();
                writer.WriteString("type", spec.TypeName);
                writer.WriteString("name", spec.Name);
                if (spec.FieldName is not null)
                {
                    writer.WriteString("fieldName", spec.FieldName);
                }

                if (spec.Type == AggregatorType.HyperUnique)
                {
                    writer.WriteBoolean("isInputHyperUnique", false);
                    writer.WriteBoolean("round", spec.Round);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        if (segment.TimestampSpec is { } ts)
        {
            writer.WriteStartObject("timestampSpec");
            writer.WriteString("column", ts.Column);
            writer.WriteString("format", ts.Format);
            writer.WriteNull("missingValue");
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("timestampSpec");
        }

        switch (segment.QueryGranularity)
        {
            case null:
                writer.WriteNull("queryGranularity");
                break;
            case "none" or "all":
                // Druid writes these two as objects and the others by their upper-case name
                writer.WriteStartObject("queryGranularity");
                writer.WriteString("type", segment.QueryGranularity);
                writer.WriteEndObject();
                break;
            default:
                writer.WriteString("queryGranularity", segment.QueryGranularity.ToUpperInvariant());
                break;
        }

        if (segment.Rollup is { } rollup)
        {
            writer.WriteBoolean("rollup", rollup);
        }
        else
        {
            writer.WriteNull("rollup");
        }

        writer.WriteEndObject();
    }
}
