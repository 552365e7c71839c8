using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Tributary.Storage.Archive;

/// <summary>Finds and parses a record's event time as <see cref="EventTimeOptions"/> say.</summary>
public sealed class EventTimeParser
{
    private readonly EventTimeOptions _options;
    private readonly byte[] _field;

    /// <summary>Creates the parser.</summary>
    public EventTimeParser(EventTimeOptions options)
    {
        _options = options;
        _field = Encoding.UTF8.GetBytes(options.Field);
    }

    /// <summary>Whether <paramref name="format"/> is a format this parser understands.</summary>
    public static bool IsKnownFormat(string format)
    {
        if (format is "iso8601" or "unix_ms" or "unix_s")
        {
            return true;
        }

        try
        {
            _ = DateTime.UnixEpoch.ToString(format, CultureInfo.InvariantCulture);
            return !string.IsNullOrWhiteSpace(format);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>The event time of <paramref name="record"/> in Unix ms, or false with the reason naming field and offset.</summary>
    public bool TryParse(ArchiveRecord record, out long eventTimeMs, out string? reason)
    {
        eventTimeMs = record.TimestampMs;
        reason = null;
        if (_options.Source == EventTimeSource.KafkaTimestamp)
        {
            return true;
        }

        if (record.Value is null)
        {
            reason = "null value: no event time field";
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(record.Value);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                reason = "value is not a JSON object";
                return false;
            }

            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    break;
                }

                // property name
                var match = reader.ValueTextEquals(_field);
                reader.Read();
                if (!match)
                {
                    reader.Skip();
                    continue;
                }

                if (TryParseValue(ref reader, _options.Format, out eventTimeMs))
                {
                    return true;
                }

                eventTimeMs = record.TimestampMs;
                reason = $"field '{_options.Field}' is not a {_options.Format} time";
                return false;
            }

            reason = $"field '{_options.Field}' is missing";
            return false;
        }
        catch (JsonException ex)
        {
            eventTimeMs = record.TimestampMs;
            reason = $"malformed JSON at byte {ex.BytePositionInLine}: {ex.Message}";
            return false;
        }
    }

    /// <summary>Parses the JSON value under the reader (a string or a number) as a time in <paramref name="format"/>.</summary>
    internal static bool TryParseValue(ref Utf8JsonReader reader, string format, out long ms)
    {
        ms = 0;
        switch (format)
        {
            case "unix_ms":
            case "unix_s":
                long n;
                if (reader.TokenType == JsonTokenType.Number)
                {
                    if (!reader.TryGetInt64(out n))
                    {
                        if (!reader.TryGetDouble(out var d))
                        {
                            return false;
                        }

                        n = (long)d;
                    }
                }
                else if (reader.TokenType != JsonTokenType.String || !Utf8Parser.TryParse(reader.ValueSpan, out n, out var used) || used != reader.ValueSpan.Length)
                {
                    return false;
                }

                ms = format == "unix_s" ? n * 1000 : n;
                return ms is > -62135596800000 and < 253402300800000;
            case "iso8601":
                if (reader.TokenType != JsonTokenType.String)
                {
                    return false;
                }

                if (reader.TryGetDateTimeOffset(out var dto))
                {
                    ms = dto.ToUnixTimeMilliseconds();
                    return true;
                }

                return false;
            default:
                if (reader.TokenType != JsonTokenType.String)
                {
                    return false;
                }

                if (DateTime.TryParseExact(reader.GetString(), format, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var dt))
                {
                    ms = new DateTimeOffset(dt, TimeSpan.Zero).ToUnixTimeMilliseconds();
                    return true;
                }

                return false;
        }
    }
}
