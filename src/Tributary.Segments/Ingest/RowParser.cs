using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Tributary.Bitmaps.Sketches;
using Tributary.Query;
using Tributary.Segments.Schema;

namespace Tributary.Segments.Ingest;

/// <summary>
/// Parses JSON event bytes into a <see cref="ParsedRow"/> with <see cref="Utf8JsonReader"/>, without allocating
/// for well-formed events. Bad events are reported with a reason that names the field (or the byte offset of
/// broken JSON), for the dead-letter topic; nothing is dropped silently.
/// </summary>
/// <remarks>Not thread-safe: use one parser (and one row) per ingesting thread.</remarks>
public sealed class RowParser
{
    private readonly DatasourceSpec _spec;
    private readonly Field[] _fields;
    private readonly int _partitionDimension;

    /// <summary>Creates a parser for <paramref name="spec"/>.</summary>
    public RowParser(DatasourceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _spec = spec;
        _partitionDimension = spec.DimensionIndex(spec.Partitioning.Key);
        var targets = new Dictionary<string, List<Target>>(StringComparer.Ordinal)
        {
            [spec.Timestamp.Field] = [new Target(TargetKind.Timestamp, 0)],
        };
        for (var i = 0; i < spec.Dimensions.Count; i++)
        {
            Add(spec.Dimensions[i].FieldName, new Target(spec.Dimensions[i].Type == DimensionType.Long ? TargetKind.LongDimension : TargetKind.StringDimension, i));
        }

        for (var i = 0; i < spec.Metrics.Count; i++)
        {
            if (spec.Metrics[i].FieldName is { } field)
            {
                Add(field, new Target(spec.Metrics[i].Type switch
                {
                    AggregatorType.LongSum or AggregatorType.LongMin or AggregatorType.LongMax => TargetKind.LongMetric,
                    AggregatorType.HyperUnique => TargetKind.HashMetric,
                    _ => TargetKind.DoubleMetric,
                }, i));
            }
        }

        _fields = [.. targets.Select(t => new Field(Encoding.UTF8.GetBytes(t.Key), t.Key, [.. t.Value]))];

        void Add(string field, Target target)
        {
            if (!targets.TryGetValue(field, out var list))
            {
                targets[field] = list = [];
            }

            list.Add(target);
        }
    }

    /// <summary>The spec this parser reads.</summary>
    public DatasourceSpec Spec => _spec;

    /// <summary>
    /// Parses <paramref name="json"/> into <paramref name="row"/>. Returns false with <paramref name="error"/> naming
    /// the problem (invalid JSON and its byte offset, a missing time or partition key, a value of the wrong type).
    /// </summary>
    public bool TryParse(ReadOnlySpan<byte> json, ParsedRow row, out string? error)
    {
        ArgumentNullException.ThrowIfNull(row);
        row.Reset();
        try
        {
            error = ParseCore(json, row);
        }
        catch (JsonException e)
        {
            error = string.Create(CultureInfo.InvariantCulture, $"invalid JSON at byte {e.BytePositionInLine}: {FirstLine(e.Message)}");
        }

        return error is null;
    }

    private string? ParseCore(ReadOnlySpan<byte> json, ParsedRow row)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return "event is not a JSON object";
        }

        var sawTimestamp = false;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            var field = Match(ref reader);
            reader.Read();
            if (field is null)
            {
                reader.Skip();
                continue;
            }

            foreach (var target in field.Targets)
            {
                var problem = target.Kind switch
                {
                    TargetKind.Timestamp => ReadTimestamp(ref reader, row),
                    TargetKind.StringDimension => ReadString(ref reader, row, target.Index),
                    TargetKind.LongDimension => ReadLongDimension(ref reader, row, target.Index),
                    TargetKind.LongMetric => ReadLongMetric(ref reader, row, target.Index),
                    TargetKind.DoubleMetric => ReadDoubleMetric(ref reader, row, target.Index),
                    _ => ReadHash(ref reader, row, target.Index),
                };
                if (problem is not null)
                {
                    return $"field '{field.Name}': {problem}";
                }

                sawTimestamp |= target.Kind == TargetKind.Timestamp;
            }

            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                reader.Skip();
            }
        }

        // Reading to the end makes the reader validate the whole document (trailing garbage, truncation).
        while (reader.Read())
        {
        }

        if (!reader.IsFinalBlock || reader.BytesConsumed == 0)
        {
            return "truncated JSON";
        }

        if (!sawTimestamp)
        {
            return $"missing time field '{_spec.Timestamp.Field}'";
        }

        return row.IsNull(_partitionDimension) ? $"missing partition key field '{_spec.Dimensions[_partitionDimension].FieldName}'" : null;
    }

    private Field? Match(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped)
        {
            var name = reader.GetString();
            return _fields.FirstOrDefault(f => f.Name == name);
        }

        var span = reader.ValueSpan;
        foreach (var field in _fields)
        {
            if (field.Utf8.Length == span.Length && span.SequenceEqual(field.Utf8))
            {
                return field;
            }
        }

        return null;
    }

    private string? ReadTimestamp(ref Utf8JsonReader reader, ParsedRow row)
    {
        switch (_spec.Timestamp.Format)
        {
            case TimestampFormat.Iso:
                if (reader.TokenType != JsonTokenType.String)
                {
                    return $"expected an ISO-8601 string, found {reader.TokenType}";
                }

                if (!reader.ValueIsEscaped && IsoTime.TryParseEventTime(reader.ValueSpan, out var ms))
                {
                    row.TimestampMs = ms;
                    return null;
                }

                var text = reader.GetString()!;
                if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
                {
                    row.TimestampMs = parsed.ToUnixTimeMilliseconds();
                    return null;
                }

                return $"'{Truncate(text)}' is not an ISO-8601 time";
            default:
                if (!TryNumber(ref reader, out var number, out var raw))
                {
                    return $"'{Truncate(raw)}' is not a number of epoch {(_spec.Timestamp.Format == TimestampFormat.Millis ? "milliseconds" : "seconds")}";
                }

                row.TimestampMs = _spec.Timestamp.Format == TimestampFormat.Millis ? (long)number : (long)Math.Round(number * 1000);
                return null;
        }
    }

    private static string? ReadString(ref Utf8JsonReader reader, ParsedRow row, int index)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String when !reader.ValueIsEscaped:
            case JsonTokenType.Number:
                var span = reader.ValueSpan;
                span.CopyTo(row.Reserve(span.Length, out var offset));
                row.DimensionOffsets[index] = offset;
                row.DimensionLengths[index] = span.Length;
                return null;
            case JsonTokenType.String:
                var length = reader.ValueSpan.Length;
                var written = reader.CopyString(row.Reserve(length, out var escapedOffset));
                row.Shrink(escapedOffset, written);
                row.DimensionOffsets[index] = escapedOffset;
                row.DimensionLengths[index] = written;
                return null;
            case JsonTokenType.True or JsonTokenType.False:
                var boolean = reader.TokenType == JsonTokenType.True ? "true"u8 : "false"u8;
                boolean.CopyTo(row.Reserve(boolean.Length, out var boolOffset));
                row.DimensionOffsets[index] = boolOffset;
                row.DimensionLengths[index] = boolean.Length;
                return null;
            default:
                return $"expected a string, found {reader.TokenType} (multi-value dimensions are not supported)";
        }
    }

    private static string? ReadLongDimension(ref Utf8JsonReader reader, ParsedRow row, int index)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (TryLong(ref reader, out var value, out var raw))
        {
            row.DimensionLongs[index] = value;
            row.DimensionLengths[index] = 0;
            return null;
        }

        return $"'{Truncate(raw)}' is not a 64-bit integer";
    }

    private static string? ReadLongMetric(ref Utf8JsonReader reader, ParsedRow row, int index)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (TryLong(ref reader, out var value, out _) || (TryNumber(ref reader, out var number, out _) && TruncateToLong(number, out value)))
        {
            row.MetricLongs[index] = value;
            row.MetricPresent[index] = true;
            return null;
        }

        return $"'{Truncate(RawText(ref reader))}' is not a number";
    }

    private static string? ReadDoubleMetric(ref Utf8JsonReader reader, ParsedRow row, int index)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (TryNumber(ref reader, out var value, out var raw))
        {
            row.MetricDoubles[index] = value;
            row.MetricPresent[index] = true;
            return null;
        }

        return $"'{Truncate(raw)}' is not a number";
    }

    private static string? ReadHash(ref Utf8JsonReader reader, ParsedRow row, int index)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String when reader.ValueIsEscaped:
                row.MetricHashes[index] = HyperLogLog.Hash(reader.GetString()!);
                break;
            case JsonTokenType.String or JsonTokenType.Number:
                // numbers hash by their text, so 42 and "42" are the same user
                row.MetricHashes[index] = HyperLogLog.Hash(reader.ValueSpan);
                break;
            default:
                return $"expected a string or number, found {reader.TokenType}";
        }

        row.MetricPresent[index] = true;
        return null;
    }

    private static bool TryLong(ref Utf8JsonReader reader, out long value, out string raw)
    {
        raw = "";
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out value))
        {
            return true;
        }

        if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && Utf8Parser.TryParse(reader.ValueSpan, out value, out var consumed) && consumed == reader.ValueSpan.Length)
        {
            return true;
        }

        raw = RawText(ref reader);
        value = 0;
        return false;
    }

    private static bool TryNumber(ref Utf8JsonReader reader, out double value, out string raw)
    {
        raw = "";
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out value))
        {
            return true;
        }

        if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && Utf8Parser.TryParse(reader.ValueSpan, out value, out var consumed) && consumed == reader.ValueSpan.Length && double.IsFinite(value))
        {
            return true;
        }

        raw = RawText(ref reader);
        value = 0;
        return false;
    }

    private static bool TruncateToLong(double number, out long value)
    {
        value = 0;
        if (!double.IsFinite(number) || number >= 9.2233720368547758E18 || number < -9.2233720368547758E18)
        {
            return false;
        }

        value = (long)number;
        return true;
    }

    private static string RawText(ref Utf8JsonReader reader)
        => reader.TokenType is JsonTokenType.String or JsonTokenType.Number ? Encoding.UTF8.GetString(reader.ValueSpan) : reader.TokenType.ToString();

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + "...";

    private static string FirstLine(string message)
    {
        var end = message.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? message : message[..end];
    }

    private enum TargetKind
    {
        Timestamp,
        StringDimension,
        LongDimension,
        LongMetric,
        DoubleMetric,
        HashMetric,
    }

    private readonly record struct Target(TargetKind Kind, int Index);

    private sealed record Field(byte[] Utf8, string Name, Target[] Targets);
}
