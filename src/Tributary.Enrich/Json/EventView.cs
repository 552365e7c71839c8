using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace Tributary.Enrich.Json;

/// <summary>Where one top-level field of an event sits in its JSON bytes.</summary>
internal struct FieldSlot
{
    public int NameStart;
    public int NameLength;
    public string? EscapedName;   // unescaped text when the name had escapes (rare)
    public JsonTokenType Kind;
    public int ValueStart;
    public int ValueLength;
    public string? EscapedValue;  // unescaped text when a string value had escapes (rare)
}

/// <summary>One top-level field's value: its JSON kind and raw bytes (strings without their quotes).</summary>
internal readonly ref struct FieldValue
{
    public FieldValue(JsonTokenType kind, ReadOnlySpan<byte> raw, string? unescaped)
    {
        Kind = kind;
        Raw = raw;
        Unescaped = unescaped;
    }

    public JsonTokenType Kind { get; }

    /// <summary>String: the UTF-8 bytes between the quotes (escapes not resolved; see <see cref="Unescaped"/>);
    /// number: the token; object/array: the whole raw text; true/false/null: empty.</summary>
    public ReadOnlySpan<byte> Raw { get; }

    /// <summary>The string's text when it held escapes, else null.</summary>
    public string? Unescaped { get; }

    public bool IsNullOrMissing => Kind is JsonTokenType.Null or JsonTokenType.None;

    /// <summary>The value as an integer: a JSON integer, or a string of one.</summary>
    public bool TryGetInt64(out long value)
    {
        value = 0;
        if (Kind == JsonTokenType.Number)
        {
            return Utf8Parser.TryParse(Raw, out value, out var used) && used == Raw.Length;
        }

        if (Kind == JsonTokenType.String)
        {
            return Unescaped is null
                ? Utf8Parser.TryParse(Raw, out value, out var used) && used == Raw.Length
                : long.TryParse(Unescaped, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out value);
        }

        return false;
    }

    /// <summary>The value as a number: a JSON number, or a string that parses as one.</summary>
    public bool TryGetDouble(out double value)
    {
        value = 0;
        if (Kind == JsonTokenType.Number)
        {
            return Utf8Parser.TryParse(Raw, out value, out var used) && used == Raw.Length;
        }

        if (Kind == JsonTokenType.String)
        {
            return Unescaped is null
                ? Utf8Parser.TryParse(Raw, out value, out var used) && used == Raw.Length && double.IsFinite(value)
                : double.TryParse(Unescaped, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
        }

        return false;
    }

    /// <summary>
    /// The text a text comparison sees: a string's characters, a number's token, <c>true</c>/<c>false</c>; false for
    /// null, missing, objects and arrays. Writes into <paramref name="buffer"/> when it must decode.
    /// </summary>
    public bool TryGetText(Span<char> buffer, out ReadOnlySpan<char> text, out char[]? rented)
    {
        rented = null;
        text = default;
        switch (Kind)
        {
            case JsonTokenType.True:
                text = "true";
                return true;
            case JsonTokenType.False:
                text = "false";
                return true;
            case JsonTokenType.String when Unescaped is not null:
                text = Unescaped;
                return true;
            case JsonTokenType.String or JsonTokenType.Number:
                var max = Encoding.UTF8.GetMaxCharCount(Raw.Length);
                if (max > buffer.Length)
                {
                    rented = System.Buffers.ArrayPool<char>.Shared.Rent(max);
                    buffer = rented;
                }

                var n = Encoding.UTF8.GetChars(Raw, buffer);
                text = buffer[..n];
                return true;
            default:
                return false;
        }
    }

    /// <summary>Whether the value is the string <paramref name="utf8"/> (ordinal).</summary>
    public bool StringEquals(ReadOnlySpan<byte> utf8, string text)
        => Kind == JsonTokenType.String && (Unescaped is null ? Raw.SequenceEqual(utf8) : string.Equals(Unescaped, text, StringComparison.Ordinal));
}

/// <summary>
/// A parsed view of one event: the top-level fields of a JSON object located in its bytes, in one pass with
/// <see cref="Utf8JsonReader"/> and no allocation for ordinary events (the slot array is reused per thread).
/// </summary>
internal readonly ref struct EventView
{
    [ThreadStatic]
    private static FieldSlot[]? t_slots;

    private readonly ReadOnlySpan<byte> _json;
    private readonly ReadOnlySpan<FieldSlot> _slots;

    private EventView(ReadOnlySpan<byte> json, ReadOnlySpan<FieldSlot> slots)
    {
        _json = json;
        _slots = slots;
    }

    public int Count => _slots.Length;

    /// <summary>Parses <paramref name="json"/>; on failure <paramref name="error"/> says what is wrong and where.</summary>
    public static bool TryParse(ReadOnlySpan<byte> json, out EventView view, out string? error)
    {
        view = default;
        error = null;
        if (json.Trim(" \t\r\n"u8).IsEmpty)
        {
            error = "empty event: no JSON value";
            return false;
        }

        // The reader checks UTF-8 only where it decodes; a sink must not store replacement characters silently.
        if (!System.Text.Unicode.Utf8.IsValid(json))
        {
            error = $"invalid UTF-8 at byte {FirstInvalidUtf8(json)}";
            return false;
        }

        var slots = t_slots ??= new FieldSlot[32];
        var count = 0;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 });
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                error = $"event is not a JSON object (found {reader.TokenType} at byte {reader.TokenStartIndex})";
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (count == slots.Length)
                {
                    Array.Resize(ref slots, slots.Length * 2);
                    t_slots = slots;
                }

                ref var slot = ref slots[count++];
                slot = default;
                slot.NameStart = (int)reader.TokenStartIndex + 1;
                slot.NameLength = reader.ValueSpan.Length;
                slot.EscapedName = reader.ValueIsEscaped ? reader.GetString() : null;
                reader.Read();
                slot.Kind = reader.TokenType;
                switch (reader.TokenType)
                {
                    case JsonTokenType.String:
                        slot.ValueStart = (int)reader.TokenStartIndex + 1;
                        slot.ValueLength = reader.ValueSpan.Length;
                        slot.EscapedValue = reader.ValueIsEscaped ? reader.GetString() : null;
                        break;
                    case JsonTokenType.Number:
                        slot.ValueStart = (int)reader.TokenStartIndex;
                        slot.ValueLength = reader.ValueSpan.Length;
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        slot.ValueStart = (int)reader.TokenStartIndex;
                        reader.Skip();
                        slot.ValueLength = (int)reader.BytesConsumed - slot.ValueStart;
                        break;
                }
            }

            // The reader throws on anything but whitespace after the object.
            if (reader.Read())
            {
                error = $"unexpected data after the JSON object at byte {reader.TokenStartIndex}";
                return false;
            }
        }
        catch (JsonException e)
        {
            error = $"invalid JSON at byte {reader.BytesConsumed}: {e.Message}";
            return false;
        }

        view = new EventView(json, slots.AsSpan(0, count));
        return true;
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> json)
    {
        var at = 0;
        while (at < json.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(json[at..], out _, out var used) != System.Buffers.OperationStatus.Done)
            {
                return at;
            }

            at += used;
        }

        return at;
    }

    /// <summary>The value of the top-level field <paramref name="utf8Name"/> (the last one when a name repeats);
    /// kind <see cref="JsonTokenType.None"/> when absent.</summary>
    public FieldValue Get(ReadOnlySpan<byte> utf8Name, string name)
    {
        for (var i = _slots.Length - 1; i >= 0; i--)
        {
            ref readonly var slot = ref _slots[i];
            var same = slot.EscapedName is null
                ? _json.Slice(slot.NameStart, slot.NameLength).SequenceEqual(utf8Name)
                : string.Equals(slot.EscapedName, name, StringComparison.Ordinal);
            if (same)
            {
                return Value(i);
            }
        }

        return default;
    }

    public FieldValue Value(int index)
    {
        ref readonly var slot = ref _slots[index];
        return new FieldValue(slot.Kind, _json.Slice(slot.ValueStart, slot.ValueLength), slot.EscapedValue);
    }

    /// <summary>The field's name bytes (escaped form); <paramref name="text"/> is its text when it had escapes.</summary>
    public ReadOnlySpan<byte> Name(int index, out string? text)
    {
        ref readonly var slot = ref _slots[index];
        text = slot.EscapedName;
        return _json.Slice(slot.NameStart, slot.NameLength);
    }
}
