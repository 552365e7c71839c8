using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Tributary.Sql.Protocol;

/// <summary>A result column: its name, its SQL type (<c>VARCHAR</c>, <c>TIMESTAMP</c>) and Druid's native type (<c>STRING</c>, <c>LONG</c>).</summary>
public sealed record SqlResultColumn(string Name, string SqlType, string NativeType)
{
    /// <summary>Druid's native type for a SQL type: TIMESTAMP, DATE, BIGINT, INTEGER and BOOLEAN are LONG, VARCHAR is STRING.</summary>
    public static string NativeTypeOf(string sqlType) => sqlType.ToUpperInvariant() switch
    {
        "VARCHAR" or "CHAR" => "STRING",
        "TIMESTAMP" or "DATE" or "BIGINT" or "INTEGER" or "SMALLINT" or "TINYINT" or "BOOLEAN" => "LONG",
        "DOUBLE" or "DECIMAL" => "DOUBLE",
        "FLOAT" or "REAL" => "FLOAT",
        var other when other.StartsWith("COMPLEX", StringComparison.Ordinal) => other,
        _ => "COMPLEX",
    };

    /// <summary>A column of <paramref name="sqlType"/> with its native type.</summary>
    public static SqlResultColumn Of(string name, string sqlType) => new(name, sqlType, NativeTypeOf(sqlType));
}

/// <summary>
/// Writes SQL results in Druid's five result formats, with the optional header rows (names, native types, SQL
/// types). Values are <see langword="null"/>, <see cref="string"/>, <see cref="long"/>, <see cref="int"/>,
/// <see cref="double"/>, <see cref="float"/>, <see cref="bool"/>, <see cref="DateTimeOffset"/> (TIMESTAMP and DATE
/// columns, written as ISO 8601 with milliseconds in the request's <c>sqlTimeZone</c>) or a <see cref="JsonElement"/>
/// written as it is. A non-finite double has no JSON form and is written as <c>null</c>.
/// </summary>
public static class SqlResultWriter
{
    /// <summary>The HTTP content type Druid sends with <paramref name="format"/>.</summary>
    public static string ContentType(SqlResultFormat format) => format switch
    {
        SqlResultFormat.Object or SqlResultFormat.Array => "application/json",
        SqlResultFormat.Csv => "text/csv",
        _ => "text/plain",
    };

    /// <summary>Writes <paramref name="rows"/> (values in <paramref name="columns"/> order) as <paramref name="request"/> asks.</summary>
    public static void Write(IBufferWriter<byte> output, SqlQueryRequest request, IReadOnlyList<SqlResultColumn> columns, IEnumerable<IReadOnlyList<object?>> rows)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(rows);
        var zone = request.SqlTimeZone;
        switch (request.ResultFormat)
        {
            case SqlResultFormat.Object:
            case SqlResultFormat.Array:
                using (var json = new Utf8JsonWriter(output))
                {
                    json.WriteStartArray();
                    WriteJsonHeader(json, request, columns);
                    foreach (var row in rows)
                    {
                        WriteJsonRow(json, request.ResultFormat == SqlResultFormat.Object, columns, row, zone);
                    }

                    json.WriteEndArray();
                }

                break;
            case SqlResultFormat.ObjectLines:
            case SqlResultFormat.ArrayLines:
                var objects = request.ResultFormat == SqlResultFormat.ObjectLines;
                using (var json = new Utf8JsonWriter(output))
                {
                    if (request.Header && objects)
                    {
                        WriteObjectHeader(json, request, columns);
                        NewLine(json, output);
                    }
                    else if (request.Header)
                    {
                        // One line each: the names, then the native types and the SQL types when asked for.
                        WriteNames(json, columns, c => c.Name);
                        NewLine(json, output);
                        if (request.TypesHeader)
                        {
                            WriteNames(json, columns, c => c.NativeType);
                            NewLine(json, output);
                        }

                        if (request.SqlTypesHeader)
                        {
                            WriteNames(json, columns, c => c.SqlType);
                            NewLine(json, output);
                        }
                    }

                    foreach (var row in rows)
                    {
                        WriteJsonRow(json, objects, columns, row, zone);
                        NewLine(json, output);
                    }

                    json.Flush();
                }

                // The trailing blank line tells a complete response from a truncated one.
                Ascii(output, "\n");
                break;
            default:
                WriteCsv(output, request, columns, rows, zone);
                break;
        }
    }

    /// <summary>The formatted text of a TIMESTAMP in <paramref name="zone"/>: <c>2026-12-07T09:00:00.000Z</c>.</summary>
    public static string FormatTimestamp(DateTimeOffset value, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (zone == TimeZoneInfo.Utc)
        {
            return value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        }

        var local = TimeZoneInfo.ConvertTime(value, zone);
        return local.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);
    }

    private static void WriteJsonHeader(Utf8JsonWriter json, SqlQueryRequest request, IReadOnlyList<SqlResultColumn> columns)
    {
        if (!request.Header)
        {
            return;
        }

        if (request.ResultFormat == SqlResultFormat.Object)
        {
            WriteObjectHeader(json, request, columns);
            return;
        }

        WriteNames(json, columns, c => c.Name);
        if (request.TypesHeader)
        {
            WriteNames(json, columns, c => c.NativeType);
        }

        if (request.SqlTypesHeader)
        {
            WriteNames(json, columns, c => c.SqlType);
        }
    }

    private static void WriteObjectHeader(Utf8JsonWriter json, SqlQueryRequest request, IReadOnlyList<SqlResultColumn> columns)
    {
        json.WriteStartObject();
        foreach (var column in columns)
        {
            if (!request.TypesHeader && !request.SqlTypesHeader)
            {
                json.WriteNull(column.Name);
                continue;
            }

            json.WriteStartObject(column.Name);
            if (request.TypesHeader)
            {
                json.WriteString("type", column.NativeType);
            }

            if (request.SqlTypesHeader)
            {
                json.WriteString("sqlType", column.SqlType);
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    private static void WriteNames(Utf8JsonWriter json, IReadOnlyList<SqlResultColumn> columns, Func<SqlResultColumn, string> pick)
    {
        json.WriteStartArray();
        foreach (var column in columns)
        {
            json.WriteStringValue(pick(column));
        }

        json.WriteEndArray();
    }

    private static void WriteJsonRow(Utf8JsonWriter json, bool asObject, IReadOnlyList<SqlResultColumn> columns, IReadOnlyList<object?> row, TimeZoneInfo zone)
    {
        CheckWidth(columns, row);
        if (asObject)
        {
            json.WriteStartObject();
            for (var i = 0; i < columns.Count; i++)
            {
                json.WritePropertyName(columns[i].Name);
                WriteValue(json, row[i], zone);
            }

            json.WriteEndObject();
            return;
        }

        json.WriteStartArray();
        for (var i = 0; i < columns.Count; i++)
        {
            WriteValue(json, row[i], zone);
        }

        json.WriteEndArray();
    }

    private static void WriteValue(Utf8JsonWriter json, object? value, TimeZoneInfo zone)
    {
        switch (value)
        {
            case null:
                json.WriteNullValue();
                break;
            case string s:
                json.WriteStringValue(s);
                break;
            case long l:
                json.WriteNumberValue(l);
                break;
            case int n:
                json.WriteNumberValue(n);
                break;
            case double d:
                if (double.IsFinite(d))
                {
                    json.WriteNumberValue(d);
                }
                else
                {
                    json.WriteNullValue();
                }

                break;
            case float f:
                if (float.IsFinite(f))
                {
                    json.WriteNumberValue(f);
                }
                else
                {
                    json.WriteNullValue();
                }

                break;
            case bool b:
                json.WriteBooleanValue(b);
                break;
            case DateTimeOffset t:
                json.WriteStringValue(FormatTimestamp(t, zone));
                break;
            case JsonElement e:
                e.WriteTo(json);
                break;
            default:
                throw new ArgumentException($"A SQL result value of type {value.GetType().Name} has no JSON form.", nameof(value));
        }
    }

    private static void WriteCsv(IBufferWriter<byte> output, SqlQueryRequest request, IReadOnlyList<SqlResultColumn> columns, IEnumerable<IReadOnlyList<object?>> rows, TimeZoneInfo zone)
    {
        var line = new StringBuilder();
        if (request.Header)
        {
            CsvLine(output, line, columns.Select(c => c.Name));
            if (request.TypesHeader)
            {
                CsvLine(output, line, columns.Select(c => c.NativeType));
            }

            if (request.SqlTypesHeader)
            {
                CsvLine(output, line, columns.Select(c => c.SqlType));
            }
        }

        foreach (var row in rows)
        {
            CheckWidth(columns, row);
            CsvLine(output, line, row.Select(v => CsvText(v, zone)));
        }

        Ascii(output, "\n");
    }

    private static string CsvText(object? value, TimeZoneInfo zone) => value switch
    {
        null => string.Empty,
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        int n => n.ToString(CultureInfo.InvariantCulture),
        double d => double.IsFinite(d) ? d.ToString("R", CultureInfo.InvariantCulture) : string.Empty,
        float f => float.IsFinite(f) ? f.ToString("R", CultureInfo.InvariantCulture) : string.Empty,
        bool b => b ? "true" : "false",
        DateTimeOffset t => FormatTimestamp(t, zone),
        JsonElement e => e.ValueKind == JsonValueKind.String ? e.GetString() ?? string.Empty : e.ValueKind == JsonValueKind.Null ? string.Empty : e.GetRawText(),
        _ => throw new ArgumentException($"A SQL result value of type {value.GetType().Name} has no CSV form.", nameof(value)),
    };

    private static void CsvLine(IBufferWriter<byte> output, StringBuilder line, IEnumerable<string> fields)
    {
        line.Clear();
        var first = true;
        foreach (var field in fields)
        {
            if (!first)
            {
                line.Append(',');
            }

            first = false;
            if (field.AsSpan().IndexOfAny(",\"\r\n") >= 0)
            {
                line.Append('"').Append(field.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            }
            else
            {
                line.Append(field);
            }
        }

        line.Append('\n');
        var text = line.ToString();
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        output.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    private static void NewLine(Utf8JsonWriter json, IBufferWriter<byte> output)
    {
        json.Flush();
        Ascii(output, "\n");
        json.Reset(output);
    }

    private static void Ascii(IBufferWriter<byte> output, string text)
    {
        var span = output.GetSpan(text.Length);
        output.Advance(Encoding.ASCII.GetBytes(text, span));
    }

    private static void CheckWidth(IReadOnlyList<SqlResultColumn> columns, IReadOnlyList<object?> row)
    {
        if (row.Count != columns.Count)
        {
            throw new ArgumentException($"A result row has {row.Count} values for {columns.Count} columns.", nameof(row));
        }
    }
}
