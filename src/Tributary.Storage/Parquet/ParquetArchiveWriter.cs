using System.Globalization;
using System.Text;
using System.Text.Json;
using Parquet;
using Parquet.Schema;
using Tributary.Storage.Archive;

namespace Tributary.Storage.Parquet;

/// <summary>
/// Writes archive rows to a Parquet stream one row group at a time, so memory stays bounded by
/// <see cref="ArchiveOptions.RowGroupRows"/> whatever the file size. Every row keeps its Kafka partition,
/// offset and timestamp (<c>_kafka_partition</c>, <c>_kafka_offset</c>, <c>_kafka_timestamp</c>) and its
/// event time (<c>_event_time</c>); then the schema's fields (Parquet format) or key, value and headers (raw).
/// </summary>
public sealed class ParquetArchiveWriter : IAsyncDisposable
{
    /// <summary>System column names.</summary>
    public const string PartitionColumn = "_kafka_partition", OffsetColumn = "_kafka_offset", TimestampColumn = "_kafka_timestamp", EventTimeColumn = "_event_time";

    private readonly ParquetWriter _writer;
    private readonly int _partition;
    private readonly int _capacity;
    private readonly ValueColumn<int> _partitions;
    private readonly ValueColumn<long> _offsets;
    private readonly ValueColumn<DateTime> _timestamps;
    private readonly ValueColumn<DateTime> _eventTimes;
    private readonly ColumnBuffer[] _all;
    private readonly JsonRowParser? _parser;
    private readonly BytesColumn? _keys;
    private readonly BytesColumn? _values;
    private readonly StringColumn? _headers;
    private bool _completed;

    private ParquetArchiveWriter(ParquetWriter writer, ParquetSchema schema, int partition, ArchiveOptions options)
    {
        _writer = writer;
        _partition = partition;
        _capacity = options.RowGroupRows;
        var fields = schema.GetDataFields();
        _partitions = new ValueColumn<int>(fields[0], _capacity);
        _offsets = new ValueColumn<long>(fields[1], _capacity);
        _timestamps = new ValueColumn<DateTime>(fields[2], _capacity);
        _eventTimes = new ValueColumn<DateTime>(fields[3], _capacity);
        var all = new List<ColumnBuffer> { _partitions, _offsets, _timestamps, _eventTimes };
        if (options.Format == ArchiveFormat.Raw)
        {
            _keys = new BytesColumn(fields[4], _capacity);
            _values = new BytesColumn(fields[5], _capacity);
            _headers = new StringColumn(fields[6], _capacity);
            all.AddRange([_keys, _values, _headers]);
        }
        else
        {
            _parser = new JsonRowParser(options, fields.Skip(4).ToArray(), _capacity);
            all.AddRange(_parser.Columns);
        }

        _all = [.. all];
    }

    /// <summary>Rows written so far (including the row group being built).</summary>
    public long Rows { get; private set; }

    /// <summary>The Parquet schema of <paramref name="options"/>.</summary>
    public static ParquetSchema Schema(ArchiveOptions options)
    {
        var fields = new List<Field>
        {
            new DataField<int>(PartitionColumn),
            new DataField<long>(OffsetColumn),
            new DateTimeDataField(TimestampColumn, DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Millis, isNullable: false),
            new DateTimeDataField(EventTimeColumn, DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Millis, isNullable: false),
        };
        if (options.Format == ArchiveFormat.Raw)
        {
            fields.Add(new DataField<byte[]>("key", true));
            fields.Add(new DataField<byte[]>("value", true));
            fields.Add(new DataField<string>("headers", true));
        }
        else
        {
            foreach (var f in options.Fields)
            {
                fields.Add(f.Type switch
                {
                    ArchiveFieldType.String => new DataField<string>(f.Name, true),
                    ArchiveFieldType.Long => new DataField<long?>(f.Name),
                    ArchiveFieldType.Int => new DataField<int?>(f.Name),
                    ArchiveFieldType.Double => new DataField<double?>(f.Name),
                    ArchiveFieldType.Bool => new DataField<bool?>(f.Name),
                    _ => new DateTimeDataField(f.Name, DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Millis, true),
                });
            }
        }

        return new ParquetSchema(fields);
    }

    /// <summary>Starts a Parquet file on <paramref name="output"/> (writable and seekable) for Kafka partition <paramref name="partition"/>.</summary>
    public static async Task<ParquetArchiveWriter> CreateAsync(Stream output, int partition, ArchiveOptions options, CancellationToken cancellationToken = default)
    {
        var schema = Schema(options);
        var parquetOptions = new ParquetOptions
        {
            CompressionMethod = options.Compression switch
            {
                ArchiveCompression.Zstd => CompressionMethod.Zstd,
                ArchiveCompression.None => CompressionMethod.None,
                _ => CompressionMethod.Snappy,
            },
            CompressionLevel = options.CompressionLevel,
        };
        var writer = await ParquetWriter.CreateAsync(schema, output, parquetOptions, append: false, cancellationToken).ConfigureAwait(false);
        return new ParquetArchiveWriter(writer, schema, partition, options);
    }

    /// <summary>Whether the row group being built is full: call <see cref="FlushRowGroupAsync"/> before adding more.</summary>
    public bool RowGroupFull => _partitions.Count >= _capacity;

    /// <summary>
    /// Adds a row for <paramref name="routed"/>, or returns false with the reason (naming the field) when the
    /// message does not fit the schema; nothing is added then. When <paramref name="routed"/> has no dead-letter
    /// reason, its event time is taken as the value of the event-time field (the router parsed it from that
    /// field in the same format) instead of parsing it again.
    /// </summary>
    public bool TryAdd(RoutedRecord routed, out string? reason)
    {
        if (RowGroupFull)
        {
            throw new InvalidOperationException("the row group is full: flush it first");
        }

        var record = routed.Record;
        if (_parser is not null)
        {
            if (!_parser.TryParse(record.Value, routed.DeadLetterReason is null ? routed.EventTimeMs : null, out reason))
            {
                return false;
            }
        }
        else
        {
            _keys!.Add(record.Key);
            _values!.Add(record.Value);
            _headers!.Add(HeadersJson(record.Headers));
            reason = null;
        }

        _partitions.Add(_partition);
        _offsets.Add(record.Offset);
        _timestamps.Add(DateTime.UnixEpoch.AddMilliseconds(record.TimestampMs));
        _eventTimes.Add(DateTime.UnixEpoch.AddMilliseconds(routed.EventTimeMs));
        Rows++;
        return true;
    }

    /// <summary>Writes the buffered rows as one row group.</summary>
    public async Task FlushRowGroupAsync(CancellationToken cancellationToken = default)
    {
        if (_partitions.Count == 0)
        {
            return;
        }

        using (var rowGroup = _writer.CreateRowGroup())
        {
            foreach (var column in _all)
            {
                await column.WriteAsync(rowGroup, cancellationToken).ConfigureAwait(false);
            }

            rowGroup.CompleteValidate();
        }

        foreach (var column in _all)
        {
            column.Clear();
        }
    }

    /// <summary>Writes the last row group and the footer. The file is complete afterwards.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (_completed)
        {
            return;
        }

        await FlushRowGroupAsync(cancellationToken).ConfigureAwait(false);
        _completed = true;
        await _writer.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_completed)
        {
            _completed = true;
            await _writer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static string? HeadersJson(IReadOnlyList<KeyValuePair<string, byte[]?>>? headers)
    {
        if (headers is null || headers.Count == 0)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var (key, value) in headers)
            {
                json.WriteStartObject();
                json.WriteString("key", key);
                if (value is null)
                {
                    json.WriteNull("value");
                }
                else
                {
                    json.WriteBase64String("value", value);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Parses a JSON object's top-level fields into typed column slots; commits a row only when all fit.</summary>
    private sealed class JsonRowParser
    {
        private const int RecentStrings = 256;
        private const int MaxRecentLength = 64;

        private readonly ArchiveFieldSpec[] _specs;
        private readonly byte[][] _names;
        private readonly ColumnBuffer[] _columns;
        private readonly string _timeFormat;
        private readonly bool[] _present;
        private readonly long[] _longs;
        private readonly double[] _doubles;
        private readonly string?[] _strings;
        private readonly string?[][] _recentStrings;
        private readonly int _eventTimeIndex;
        private int _expected;

        public JsonRowParser(ArchiveOptions options, DataField[] fields, int capacity)
        {
            _specs = [.. options.Fields];
            _timeFormat = options.EventTime.Format;

            // The router already parsed the event-time field (same name, same format): its value is reused.
            _eventTimeIndex = options.EventTime.Source == EventTimeSource.Field
                ? Array.FindIndex(_specs, s => s.Type == ArchiveFieldType.Timestamp && string.Equals(s.Name, options.EventTime.Field, StringComparison.Ordinal))
                : -1;
            _recentStrings = _specs.Select(s => s.Type == ArchiveFieldType.String ? new string?[RecentStrings] : []).ToArray();
            _names = _specs.Select(s => Encoding.UTF8.GetBytes(s.Name)).ToArray();
            _columns = new ColumnBuffer[_specs.Length];
            for (var i = 0; i < _specs.Length; i++)
            {
                _columns[i] = _specs[i].Type switch
                {
                    ArchiveFieldType.String => new StringColumn(fields[i], capacity),
                    ArchiveFieldType.Long => new NullableColumn<long>(fields[i], capacity),
                    ArchiveFieldType.Int => new NullableColumn<int>(fields[i], capacity),
                    ArchiveFieldType.Double => new NullableColumn<double>(fields[i], capacity),
                    ArchiveFieldType.Bool => new NullableColumn<bool>(fields[i], capacity),
                    _ => new NullableColumn<DateTime>(fields[i], capacity),
                };
            }

            _present = new bool[_specs.Length];
            _longs = new long[_specs.Length];
            _doubles = new double[_specs.Length];
            _strings = new string?[_specs.Length];
        }

        public IReadOnlyList<ColumnBuffer> Columns => _columns;

        /// <summary>Parses <paramref name="value"/>; <paramref name="eventTimeMs"/> is the event time the router already parsed from it, if any.</summary>
        public bool TryParse(byte[]? value, long? eventTimeMs, out string? reason)
        {
            reason = null;
            if (value is null)
            {
                reason = "null value";
                return false;
            }

            Array.Clear(_present);
            try
            {
                var reader = new Utf8JsonReader(value);
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                {
                    reason = "value is not a JSON object";
                    return false;
                }

                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    // Producers usually write the fields in the same order: try the one after the last match first.
                    var index = -1;
                    if (_expected < _names.Length && reader.ValueTextEquals(_names[_expected]))
                    {
                        index = _expected;
                    }
                    else
                    {
                        for (var i = 0; i < _names.Length; i++)
                        {
                            if (reader.ValueTextEquals(_names[i]))
                            {
                                index = i;
                                break;
                            }
                        }
                    }

                    if (index >= 0)
                    {
                        _expected = index + 1;
                    }

                    reader.Read();
                    if (index < 0)
                    {
                        reader.Skip();
                        continue;
                    }

                    if (index == _eventTimeIndex && eventTimeMs is { } known && reader.TokenType is JsonTokenType.String or JsonTokenType.Number)
                    {
                        _longs[index] = known;
                        _present[index] = true;
                        continue;
                    }

                    if (!ReadValue(ref reader, index, value, out reason))
                    {
                        return false;
                    }
                }
            }
            catch (JsonException ex)
            {
                reason = $"malformed JSON at byte {ex.BytePositionInLine}: {ex.Message}";
                return false;
            }

            for (var i = 0; i < _specs.Length; i++)
            {
                if (_specs[i].Required && !_present[i])
                {
                    reason = $"required field '{_specs[i].Name}' is missing";
                    return false;
                }
            }

            for (var i = 0; i < _specs.Length; i++)
            {
                var present = _present[i];
                switch (_columns[i])
                {
                    case StringColumn s: s.Add(present ? _strings[i] : null); break;
                    case NullableColumn<long> l: l.Add(present ? _longs[i] : null); break;
                    case NullableColumn<int> n: n.Add(present ? (int)_longs[i] : null); break;
                    case NullableColumn<double> d: d.Add(present ? _doubles[i] : null); break;
                    case NullableColumn<bool> b: b.Add(present ? _longs[i] != 0 : null); break;
                    case NullableColumn<DateTime> t: t.Add(present ? DateTime.UnixEpoch.AddMilliseconds(_longs[i]) : null); break;
                }
            }

            return true;
        }

        private bool ReadValue(ref Utf8JsonReader reader, int i, byte[] source, out string? reason)
        {
            reason = null;
            var spec = _specs[i];
            if (reader.TokenType == JsonTokenType.Null)
            {
                _present[i] = false;
                if (spec.Required)
                {
                    reason = $"required field '{spec.Name}' is null";
                    return false;
                }

                return true;
            }

            var ok = true;
            switch (spec.Type)
            {
                case ArchiveFieldType.String:
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        _strings[i] = reader.ValueIsEscaped || reader.HasValueSequence || reader.ValueSpan.Length > MaxRecentLength
                            ? reader.GetString()
                            : Recent(_recentStrings[i], reader.ValueSpan);
                    }
                    else
                    {
                        // numbers, booleans, objects and arrays keep their JSON text
                        var start = (int)reader.TokenStartIndex;
                        reader.Skip();
                        var end = (int)reader.BytesConsumed;
                        _strings[i] = Encoding.UTF8.GetString(source, start, end - start);
                    }

                    break;
                case ArchiveFieldType.Long:
                case ArchiveFieldType.Int:
                    ok = TryGetLong(ref reader, out _longs[i]) && (spec.Type == ArchiveFieldType.Long || _longs[i] is >= int.MinValue and <= int.MaxValue);
                    break;
                case ArchiveFieldType.Double:
                    ok = reader.TokenType == JsonTokenType.Number
                        ? reader.TryGetDouble(out _doubles[i])
                        : reader.TokenType == JsonTokenType.String && double.TryParse(reader.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out _doubles[i]);
                    break;
                case ArchiveFieldType.Bool:
                    ok = reader.TokenType is JsonTokenType.True or JsonTokenType.False;
                    _longs[i] = reader.TokenType == JsonTokenType.True ? 1 : 0;
                    break;
                default:
                    ok = EventTimeParser.TryParseValue(ref reader, _timeFormat, out _longs[i]);
                    break;
            }

            if (!ok)
            {
                reason = $"field '{spec.Name}' is not a {spec.Type.ToString().ToLowerInvariant()}";
                return false;
            }

            _present[i] = true;
            return true;
        }

        /// <summary>
        /// The string of the short unescaped UTF-8 <paramref name="utf8"/>, from a small per-column cache of recent
        /// values when it is there: most string columns (actions, devices, versions) repeat a few values, and
        /// allocating a string per row and column was a large share of the parse.
        /// </summary>
        private static string Recent(string?[] recent, ReadOnlySpan<byte> utf8)
        {
            var hash = 2166136261u;
            foreach (var b in utf8)
            {
                hash = (hash ^ b) * 16777619u;
            }

            ref var slot = ref recent[(int)(hash % RecentStrings)];
            if (slot is { } cached && AsciiEquals(utf8, cached))
            {
                return cached;
            }

            var text = Encoding.UTF8.GetString(utf8);
            slot = text;
            return text;
        }

        private static bool AsciiEquals(ReadOnlySpan<byte> utf8, string text)
        {
            if (utf8.Length != text.Length)
            {
                return false;
            }

            for (var k = 0; k < utf8.Length; k++)
            {
                if (utf8[k] >= 0x80 || utf8[k] != text[k])
                {
                    return false;
                }
            }

            return true;
        }

        private static bool TryGetLong(ref Utf8JsonReader reader, out long value)
        {
            value = 0;
            return reader.TokenType switch
            {
                JsonTokenType.Number => reader.TryGetInt64(out value),
                JsonTokenType.String => long.TryParse(reader.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value),
                _ => false,
            };
        }
    }
}
