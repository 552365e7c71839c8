using System.Globalization;
using System.Numerics;
using MySqlConnector;
using Parquet;
using Parquet.Data;
using Parquet.Schema;

namespace Tributary.Tracker;

/// <summary>
/// Collects one column's values of one row group straight from a <see cref="MySqlDataReader"/> into a typed
/// array, then writes them as a Parquet column. One subclass per physical shape; <see cref="Create"/> picks it.
/// </summary>
internal abstract class ColumnBuffer
{
    /// <summary>Suffix of the companion column that keeps the text of zero/invalid dates.</summary>
    public const string RawSuffix = "__raw";

    /// <summary>The Parquet fields this column writes (a date column also writes <c>{name}__raw</c>).</summary>
    public abstract IReadOnlyList<DataField> Fields { get; }

    /// <summary>Appends the current row's value at <paramref name="ordinal"/>.</summary>
    public abstract void Append(MySqlDataReader reader, int ordinal);

    /// <summary>Writes the collected values as the next column(s) of <paramref name="writer"/> and clears.</summary>
    public abstract Task WriteAsync(ParquetRowGroupWriter writer, CancellationToken cancellationToken);

    /// <summary>The Parquet fields of <paramref name="column"/>, in write order.</summary>
    public static IReadOnlyList<DataField> FieldsOf(ColumnSchema column)
    {
        ArgumentNullException.ThrowIfNull(column);
        var name = column.Name;
        var nullable = column.Nullable;
        return column.Kind switch
        {
            ColumnKind.Int8 => [new DataField<sbyte>(name, nullable)],
            ColumnKind.UInt8 => [new DataField<byte>(name, nullable)],
            ColumnKind.Int16 or ColumnKind.Year => [new DataField<short>(name, nullable)],
            ColumnKind.UInt16 => [new DataField<ushort>(name, nullable)],
            ColumnKind.Int32 => [new DataField<int>(name, nullable)],
            ColumnKind.UInt32 => [new DataField<uint>(name, nullable)],
            ColumnKind.Int64 or ColumnKind.Time => [new DataField<long>(name, nullable)],
            ColumnKind.UInt64 or ColumnKind.Bit => [new DataField<ulong>(name, nullable)],
            ColumnKind.Decimal => [new DecimalDataField(name, Math.Max(column.Precision, 1), column.Scale, forceByteArrayEncoding: false, isNullable: nullable)],
            ColumnKind.BigDecimal => [new BigDecimalDataField(name, column.Precision, column.Scale, isNullable: nullable)],
            ColumnKind.Float => [new DataField<float>(name, nullable)],
            ColumnKind.Double => [new DataField<double>(name, nullable)],

            // Dates are always nullable in Parquet: a zero date of a NOT NULL column lands as null + raw text.
            ColumnKind.Date => [new DateTimeDataField(name, DateTimeFormat.Date, isAdjustedToUTC: false, isNullable: true), new DataField<string>(name + RawSuffix, true)],
            ColumnKind.DateTime => [new DateTimeDataField(name, DateTimeFormat.Timestamp, isAdjustedToUTC: false, unit: DateTimeTimeUnit.Micros, isNullable: true), new DataField<string>(name + RawSuffix, true)],
            ColumnKind.Timestamp => [new DateTimeDataField(name, DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Micros, isNullable: true), new DataField<string>(name + RawSuffix, true)],
            ColumnKind.Bytes or ColumnKind.Spatial => [new DataField<byte[]>(name, nullable)],
            _ => [new DataField<string>(name, nullable)],
        };
    }

    /// <summary>The SELECT expression that reads <paramref name="column"/> (spatial values as WKB, unknown types as text).</summary>
    public static string SelectExpression(ColumnSchema column)
    {
        ArgumentNullException.ThrowIfNull(column);
        var quoted = Sql.Quote(column.Name);
        return column.Kind switch
        {
            ColumnKind.Spatial => $"ST_AsBinary({quoted}) AS {quoted}",
            ColumnKind.Other => $"CAST({quoted} AS CHAR CHARACTER SET utf8mb4) AS {quoted}",
            _ => quoted,
        };
    }

    /// <summary>A buffer for <paramref name="column"/> writing <paramref name="fields"/> (from <see cref="FieldsOf"/>).</summary>
    public static ColumnBuffer Create(ColumnSchema column, IReadOnlyList<DataField> fields, int capacity)
    {
        ArgumentNullException.ThrowIfNull(column);
        ArgumentNullException.ThrowIfNull(fields);
        var field = fields[0];
        return column.Kind switch
        {
            ColumnKind.Int8 => new StructBuffer<sbyte>(field, capacity, static (r, o) => r.GetSByte(o)),
            ColumnKind.UInt8 => new StructBuffer<byte>(field, capacity, static (r, o) => r.GetByte(o)),
            ColumnKind.Int16 => new StructBuffer<short>(field, capacity, static (r, o) => r.GetInt16(o)),
            ColumnKind.Year => new StructBuffer<short>(field, capacity, static (r, o) => Convert.ToInt16(r.GetValue(o), CultureInfo.InvariantCulture)),
            ColumnKind.UInt16 => new StructBuffer<ushort>(field, capacity, static (r, o) => r.GetUInt16(o)),
            ColumnKind.Int32 => new StructBuffer<int>(field, capacity, static (r, o) => r.GetInt32(o)),
            ColumnKind.UInt32 => new StructBuffer<uint>(field, capacity, static (r, o) => r.GetUInt32(o)),
            ColumnKind.Int64 => new StructBuffer<long>(field, capacity, static (r, o) => r.GetInt64(o)),
            ColumnKind.Time => new StructBuffer<long>(field, capacity, static (r, o) => r.GetTimeSpan(o).Ticks / TimeSpan.TicksPerMicrosecond),
            ColumnKind.UInt64 or ColumnKind.Bit => new StructBuffer<ulong>(field, capacity, static (r, o) => r.GetUInt64(o)),
            ColumnKind.Decimal => new StructBuffer<decimal>(field, capacity, static (r, o) => r.GetDecimal(o)),
            ColumnKind.BigDecimal => new StructBuffer<BigDecimal>(field, capacity, (r, o) => ToBigDecimal(r.GetMySqlDecimal(o).ToString(), column.Precision, column.Scale)),
            ColumnKind.Float => new StructBuffer<float>(field, capacity, static (r, o) => r.GetFloat(o)),
            ColumnKind.Double => new StructBuffer<double>(field, capacity, static (r, o) => r.GetDouble(o)),
            ColumnKind.Date or ColumnKind.DateTime or ColumnKind.Timestamp => new DateBuffer(fields[0], fields[1], capacity, column.Kind),
            ColumnKind.Bytes or ColumnKind.Spatial => new BytesBuffer(field, capacity),
            ColumnKind.DecimalText => new StringBuffer(field, capacity, static (r, o) => r.GetMySqlDecimal(o).ToString()),
            _ => new StringBuffer(field, capacity, static (r, o) => r.GetString(o)),
        };
    }

    /// <summary>Parses MySQL's decimal text into Parquet's exact big decimal (unscaled integer, precision, scale).</summary>
    public static BigDecimal ToBigDecimal(string text, int precision, int scale)
    {
        ArgumentNullException.ThrowIfNull(text);
        var negative = text.StartsWith('-');
        var body = negative ? text[1..] : text;
        var dot = body.IndexOf('.', StringComparison.Ordinal);
        var whole = dot < 0 ? body : body[..dot];
        var fraction = dot < 0 ? string.Empty : body[(dot + 1)..];
        fraction = fraction.Length >= scale ? fraction[..scale] : fraction.PadRight(scale, '0');
        var unscaled = BigInteger.Parse(whole + fraction, NumberStyles.None, CultureInfo.InvariantCulture);
        return new BigDecimal(negative ? -unscaled : unscaled, precision, scale);
    }

    private sealed class StructBuffer<T> : ColumnBuffer
        where T : struct
    {
        private readonly DataField _field;
        private readonly Func<MySqlDataReader, int, T> _read;
        private T[] _values;
        private T?[] _nullable;
        private int _count;

        public StructBuffer(DataField field, int capacity, Func<MySqlDataReader, int, T> read)
        {
            _field = field;
            _read = read;
            _values = field.IsNullable ? [] : new T[capacity];
            _nullable = field.IsNullable ? new T?[capacity] : [];
        }

        public override IReadOnlyList<DataField> Fields => [_field];

        public override void Append(MySqlDataReader reader, int ordinal)
        {
            if (_field.IsNullable)
            {
                if (_count == _nullable.Length)
                {
                    Array.Resize(ref _nullable, Math.Max(16, _count * 2));
                }

                _nullable[_count++] = reader.IsDBNull(ordinal) ? null : _read(reader, ordinal);
            }
            else
            {
                if (_count == _values.Length)
                {
                    Array.Resize(ref _values, Math.Max(16, _count * 2));
                }

                _values[_count++] = _read(reader, ordinal);
            }
        }

        public override async Task WriteAsync(ParquetRowGroupWriter writer, CancellationToken cancellationToken)
        {
            if (_field.IsNullable)
            {
                await writer.WriteAsync<T>(_field, new ReadOnlyMemory<T?>(_nullable, 0, _count), null, null, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await writer.WriteAsync<T>(_field, new ReadOnlyMemory<T>(_values, 0, _count), null, null, cancellationToken).ConfigureAwait(false);
            }

            _count = 0;
        }
    }

    private sealed class StringBuffer(DataField dataField, int capacity, Func<MySqlDataReader, int, string> read) : ColumnBuffer
    {
        private readonly List<string?> _values = new(capacity);

        public override IReadOnlyList<DataField> Fields => [dataField];

        public override void Append(MySqlDataReader reader, int ordinal) => _values.Add(reader.IsDBNull(ordinal) ? null : read(reader, ordinal));

        public override async Task WriteAsync(ParquetRowGroupWriter writer, CancellationToken cancellationToken)
        {
            await writer.WriteAsync(dataField, _values!, null).ConfigureAwait(false);
            _values.Clear();
        }
    }

    private sealed class BytesBuffer(DataField dataField, int capacity) : ColumnBuffer
    {
        private readonly List<byte[]?> _values = new(capacity);

        public override IReadOnlyList<DataField> Fields => [dataField];

        public override void Append(MySqlDataReader reader, int ordinal) => _values.Add(reader.IsDBNull(ordinal) ? null : (byte[])reader.GetValue(ordinal));

        public override async Task WriteAsync(ParquetRowGroupWriter writer, CancellationToken cancellationToken)
        {
            await writer.WriteAsync(dataField, _values!, null).ConfigureAwait(false);
            _values.Clear();
        }
    }

    private sealed class DateBuffer(DataField dataField, DataField rawField, int capacity, ColumnKind kind) : ColumnBuffer
    {
        private readonly List<DateTime?> _values = new(capacity);
        private readonly List<string?> _raw = new(capacity);

        public override IReadOnlyList<DataField> Fields => [dataField, rawField];

        public override void Append(MySqlDataReader reader, int ordinal)
        {
            if (reader.IsDBNull(ordinal))
            {
                _values.Add(null);
                _raw.Add(null);
                return;
            }

            var value = reader.GetMySqlDateTime(ordinal);
            if (value.IsValidDateTime)
            {
                _values.Add(DateTime.SpecifyKind(value.GetDateTime(), DateTimeKind.Utc));
                _raw.Add(null);
            }
            else
            {
                _values.Add(null);
                _raw.Add(RawText(value, kind));
            }
        }

        public override async Task WriteAsync(ParquetRowGroupWriter writer, CancellationToken cancellationToken)
        {
            await writer.WriteAsync<DateTime>(dataField, _values.ToArray(), null, null, cancellationToken).ConfigureAwait(false);
            await writer.WriteAsync(rawField, _raw!, null).ConfigureAwait(false);
            _values.Clear();
            _raw.Clear();
        }

        private static string RawText(MySqlDateTime value, ColumnKind kind)
            => kind == ColumnKind.Date
                ? string.Create(CultureInfo.InvariantCulture, $"{value.Year:D4}-{value.Month:D2}-{value.Day:D2}")
                : string.Create(CultureInfo.InvariantCulture, $"{value.Year:D4}-{value.Month:D2}-{value.Day:D2} {value.Hour:D2}:{value.Minute:D2}:{value.Second:D2}.{value.Microsecond:D6}");
    }
}

/// <summary>SQL text helpers.</summary>
internal static class Sql
{
    /// <summary>Quotes an identifier with backticks.</summary>
    public static string Quote(string identifier) => "`" + identifier.Replace("`", "``", StringComparison.Ordinal) + "`";

    /// <summary><c>`db`.`table`</c>.</summary>
    public static string Table(TableSchema table) => Quote(table.Database) + "." + Quote(table.Table);
}
