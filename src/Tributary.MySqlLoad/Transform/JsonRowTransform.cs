using System.Text.Json;

namespace Tributary.MySqlLoad;

/// <summary>
/// The default row transform: parses the value as a JSON object and maps its top-level fields to the configured
/// columns by <see cref="SqlColumnOptions.Source"/> (default: the column's name). A missing field is NULL; a nested
/// object or array is kept as its JSON text. A value that is not a JSON object is malformed.
/// </summary>
public sealed class JsonRowTransform : ISqlRowTransform
{
    private readonly Dictionary<string, int> _index;
    private readonly int _count;

    /// <summary>Creates the transform for <paramref name="columns"/> (the configured columns, in order).</summary>
    public JsonRowTransform(IReadOnlyList<SqlColumnOptions> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        _count = columns.Count;
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < columns.Count; i++)
        {
            _index.TryAdd(columns[i].Source ?? columns[i].Name, i);
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<(string Name, string SqlType)> ExtraColumns => [];

    /// <inheritdoc />
    public SqlRowOutcome Transform(ReadOnlySpan<byte> value)
    {
        var values = new object?[_count];
        try
        {
            var reader = new Utf8JsonReader(value, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return SqlRowOutcome.Malformed("value is not a JSON object");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                if (!_index.TryGetValue(name, out var i))
                {
                    reader.Skip();
                    continue;
                }

                values[i] = ReadValue(ref reader);
            }

            if (reader.TokenType != JsonTokenType.EndObject)
            {
                return SqlRowOutcome.Malformed("value is not a JSON object");
            }
        }
        catch (JsonException ex)
        {
            return SqlRowOutcome.Malformed($"invalid JSON at byte {ex.BytePositionInLine}: {ex.Message}");
        }

        return SqlRowOutcome.Row(values);
    }

    private static object? ReadValue(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetString();
            case JsonTokenType.Number:
                if (reader.TryGetInt64(out var l))
                {
                    return l;
                }

                return reader.TryGetDecimal(out var m) ? m : reader.GetDouble();
            case JsonTokenType.True:
                return true;
            case JsonTokenType.False:
                return false;
            case JsonTokenType.Null:
                return null;
            default:
                using (var doc = JsonDocument.ParseValue(ref reader))
                {
                    return doc.RootElement.GetRawText();
                }
        }
    }
}
