using System.Globalization;
using System.Text.Json;

namespace Tributary.Sql.Protocol;

/// <summary>How <c>POST /druid/v2/sql</c> returns its rows (Druid's <c>resultFormat</c>).</summary>
public enum SqlResultFormat
{
    /// <summary>A JSON array of objects, fields in column order (<c>application/json</c>). Druid's default.</summary>
    Object,

    /// <summary>A JSON array of arrays (<c>application/json</c>).</summary>
    Array,

    /// <summary>One JSON object per line, then a blank line (<c>text/plain</c>).</summary>
    ObjectLines,

    /// <summary>One JSON array per line, then a blank line (<c>text/plain</c>).</summary>
    ArrayLines,

    /// <summary>Comma-separated values, one row per line, then a blank line (<c>text/csv</c>).</summary>
    Csv,
}

/// <summary>A dynamic parameter (<c>?</c>) as Druid's request carries it: its SQL type and its JSON value.</summary>
/// <param name="Type">The SQL type as sent (<c>VARCHAR</c>, <c>BIGINT</c>, <c>DOUBLE</c>, <c>TIMESTAMP</c>, ...), upper-cased.</param>
/// <param name="Value">The value; <see cref="JsonValueKind.Null"/> for SQL NULL.</param>
public sealed record SqlParameter(string Type, JsonElement Value);

/// <summary>
/// The body of Druid's <c>POST /druid/v2/sql</c>: <c>query</c>, <c>resultFormat</c>, <c>header</c>,
/// <c>typesHeader</c>, <c>sqlTypesHeader</c>, <c>context</c> and <c>parameters</c>. A body that is not what Druid
/// accepts raises <see cref="SqlRequestException"/> naming the field.
/// </summary>
public sealed record SqlQueryRequest
{
    /// <summary>The SQL text.</summary>
    public required string Query { get; init; }

    /// <summary>The result format; <see cref="SqlResultFormat.Object"/> by default.</summary>
    public SqlResultFormat ResultFormat { get; init; } = SqlResultFormat.Object;

    /// <summary>Whether the first row carries the column names.</summary>
    public bool Header { get; init; }

    /// <summary>Whether the header carries Druid's native types (requires <see cref="Header"/>).</summary>
    public bool TypesHeader { get; init; }

    /// <summary>Whether the header carries the SQL types (requires <see cref="Header"/>).</summary>
    public bool SqlTypesHeader { get; init; }

    /// <summary>The query context as sent (<c>sqlTimeZone</c>, <c>sqlOuterLimit</c>, <c>sqlQueryId</c> and native keys).</summary>
    public IReadOnlyDictionary<string, JsonElement> Context { get; init; } = new Dictionary<string, JsonElement>(StringComparer.Ordinal);

    /// <summary>The dynamic parameters, by position.</summary>
    public IReadOnlyList<SqlParameter> Parameters { get; init; } = [];

    /// <summary><c>context.sqlQueryId</c>, when given.</summary>
    public string? SqlQueryId => Context.TryGetValue("sqlQueryId", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary><c>context.sqlOuterLimit</c>: at most this many rows are returned, when given.</summary>
    public int? SqlOuterLimit { get; init; }

    /// <summary><c>context.sqlTimeZone</c> (an IANA name or a fixed offset such as <c>+05:30</c>); UTC by default.</summary>
    public TimeZoneInfo SqlTimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>A request whose body is the SQL text itself (<c>text/plain</c>, or a form-encoded body): object format, no header.</summary>
    public static SqlQueryRequest FromText(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        if (string.IsNullOrWhiteSpace(sql))
        {
            throw new SqlRequestException("query", "query is required (the request body was empty)");
        }

        return new SqlQueryRequest { Query = sql };
    }

    /// <summary>Parses Druid's JSON request body.</summary>
    public static SqlQueryRequest Parse(ReadOnlyMemory<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new SqlRequestException(string.Empty, $"the request body is not JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new SqlRequestException(string.Empty, $"the request body must be a JSON object (was {root.ValueKind})");
            }

            string? query = null;
            var format = SqlResultFormat.Object;
            bool header = false, typesHeader = false, sqlTypesHeader = false;
            var context = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            var parameters = new List<SqlParameter>();
            foreach (var property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "query":
                        query = property.Value.ValueKind == JsonValueKind.String
                            ? property.Value.GetString()
                            : throw new SqlRequestException("query", $"query must be a string (was {property.Value.ValueKind})");
                        break;
                    case "resultFormat":
                        format = ParseFormat(property.Value);
                        break;
                    case "header":
                        header = Bool(property);
                        break;
                    case "typesHeader":
                        typesHeader = Bool(property);
                        break;
                    case "sqlTypesHeader":
                        sqlTypesHeader = Bool(property);
                        break;
                    case "context":
                        ReadContext(property.Value, context);
                        break;
                    case "parameters":
                        ReadParameters(property.Value, parameters);
                        break;
                    default:
                        // Druid ignores what it does not know (clients send e.g. "batchSize"); so do we.
                        break;
                }
            }

            if (string.IsNullOrWhiteSpace(query))
            {
                throw new SqlRequestException("query", "query is required");
            }

            if ((typesHeader || sqlTypesHeader) && !header)
            {
                throw new SqlRequestException(typesHeader ? "typesHeader" : "sqlTypesHeader", $"{(typesHeader ? "typesHeader" : "sqlTypesHeader")} can only be set when header is true");
            }

            return new SqlQueryRequest
            {
                Query = query,
                ResultFormat = format,
                Header = header,
                TypesHeader = typesHeader,
                SqlTypesHeader = sqlTypesHeader,
                Context = context,
                Parameters = parameters,
                SqlOuterLimit = OuterLimit(context),
                SqlTimeZone = TimeZone(context),
            };
        }
    }

    /// <summary>The name Druid uses for <paramref name="format"/> (<c>objectLines</c>).</summary>
    public static string FormatName(SqlResultFormat format) => format switch
    {
        SqlResultFormat.Object => "object",
        SqlResultFormat.Array => "array",
        SqlResultFormat.ObjectLines => "objectLines",
        SqlResultFormat.ArrayLines => "arrayLines",
        _ => "csv",
    };

    private static SqlResultFormat ParseFormat(JsonElement value)
    {
        var text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        foreach (var format in Enum.GetValues<SqlResultFormat>())
        {
            if (string.Equals(FormatName(format), text, StringComparison.OrdinalIgnoreCase))
            {
                return format;
            }
        }

        throw new SqlRequestException("resultFormat", $"resultFormat must be one of object, array, objectLines, arrayLines, csv (was {value.GetRawText()})");
    }

    private static bool Bool(JsonProperty property) => property.Value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False or JsonValueKind.Null => false,
        _ => throw new SqlRequestException(property.Name, $"{property.Name} must be true or false (was {property.Value.GetRawText()})"),
    };

    private static void ReadContext(JsonElement value, Dictionary<string, JsonElement> context)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new SqlRequestException("context", $"context must be a JSON object (was {value.ValueKind})");
        }

        foreach (var entry in value.EnumerateObject())
        {
            context[entry.Name] = entry.Value.Clone();
        }
    }

    private static void ReadParameters(JsonElement value, List<SqlParameter> parameters)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new SqlRequestException("parameters", $"parameters must be a JSON array (was {value.ValueKind})");
        }

        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            var field = $"parameters[{i}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new SqlRequestException(field, $"{field} must be an object {{\"type\": ..., \"value\": ...}}");
            }

            if (!item.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(type.GetString()))
            {
                throw new SqlRequestException($"{field}.type", $"{field}.type is required (a SQL type such as VARCHAR, BIGINT, DOUBLE, TIMESTAMP)");
            }

            var v = item.TryGetProperty("value", out var raw) ? raw.Clone() : default;
            parameters.Add(new SqlParameter(type.GetString()!.ToUpperInvariant(), v.ValueKind == JsonValueKind.Undefined ? JsonDocument.Parse("null").RootElement.Clone() : v));
            i++;
        }
    }

    private static int? OuterLimit(Dictionary<string, JsonElement> context)
    {
        if (!context.TryGetValue("sqlOuterLimit", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var ok = value.ValueKind switch
        {
            JsonValueKind.Number => value.TryGetInt32(out var n) ? n : (int?)null,
            JsonValueKind.String => int.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : null,
            _ => null,
        };
        return ok is >= 0 ? ok : throw new SqlRequestException("context.sqlOuterLimit", $"context.sqlOuterLimit must be a non-negative integer (was {value.GetRawText()})");
    }

    private static TimeZoneInfo TimeZone(Dictionary<string, JsonElement> context)
    {
        if (!context.TryGetValue("sqlTimeZone", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return TimeZoneInfo.Utc;
        }

        var name = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new SqlRequestException("context.sqlTimeZone", $"context.sqlTimeZone must be a time zone name (was {value.GetRawText()})");
        }

        if (name is "Z" or "UTC" or "Etc/UTC")
        {
            return TimeZoneInfo.Utc;
        }

        if ((name[0] is '+' or '-') && TimeSpan.TryParseExact(name[1..], ["hh\\:mm", "hhmm", "hh"], CultureInfo.InvariantCulture, out var offset))
        {
            var signed = name[0] == '-' ? -offset : offset;
            return TimeZoneInfo.CreateCustomTimeZone(name, signed, name, name);
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(name);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new SqlRequestException("context.sqlTimeZone", $"context.sqlTimeZone '{name}' is not a known time zone");
        }
    }
}

/// <summary>The SQL request body is malformed; <see cref="Field"/> names the field (empty for the body itself).</summary>
public sealed class SqlRequestException(string field, string reason) : SqlException(reason, null)
{
    /// <summary>The request field at fault (<c>resultFormat</c>, <c>parameters[1].type</c>, <c>context.sqlTimeZone</c>).</summary>
    public string Field { get; } = field;
}
