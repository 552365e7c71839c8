using System.Globalization;
using System.Text.RegularExpressions;

namespace Tributary.MySqlLoad;

/// <summary>The family of a column's SQL type, which decides how a value is checked and converted.</summary>
public enum SqlTypeKind
{
    /// <summary>TINYINT … BIGINT (signed or unsigned).</summary>
    Integer,

    /// <summary>BOOL / BOOLEAN (TINYINT(1)).</summary>
    Boolean,

    /// <summary>FLOAT, DOUBLE.</summary>
    Float,

    /// <summary>DECIMAL(p, s).</summary>
    Decimal,

    /// <summary>CHAR(n), VARCHAR(n), the TEXT types: at most <see cref="SqlColumnType.MaxLength"/> characters.</summary>
    Text,

    /// <summary>JSON (any JSON text).</summary>
    Json,

    /// <summary>DATE.</summary>
    Date,

    /// <summary>DATETIME(fsp), TIMESTAMP(fsp).</summary>
    DateTime,
}

/// <summary>
/// A parsed SQL column type: what the loader checks before writing (so a value that violates the table is
/// refused with a reason instead of failing its batch) and how it compares types with an existing table.
/// </summary>
public sealed partial record SqlColumnType(SqlTypeKind Kind, string Canonical, long Min = 0, long Max = 0, ulong UnsignedMax = 0, long MaxLength = 0, int Precision = 0, int Scale = 0)
{
    private static readonly DateTime DateTimeMin = new(1000, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime TimestampMin = new(1970, 1, 1, 0, 0, 1, DateTimeKind.Utc);
    private static readonly DateTime TimestampMax = new(2038, 1, 19, 3, 14, 7, DateTimeKind.Utc);

    /// <summary>Whether the type is UNSIGNED (integers).</summary>
    public bool Unsigned => UnsignedMax != 0;

    /// <summary>Whether this is a TIMESTAMP (range 1970–2038) rather than a DATETIME.</summary>
    public bool IsTimestamp => Canonical.StartsWith("timestamp", StringComparison.Ordinal);

    /// <summary>Parses a type as written in configuration or as information_schema's COLUMN_TYPE reports it.</summary>
    /// <exception cref="FormatException">The type is not one the loader supports (the message lists them).</exception>
    public static SqlColumnType Parse(string type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var m = TypePattern().Match(type.Trim().ToLowerInvariant());
        if (!m.Success)
        {
            throw new FormatException($"unsupported SQL type '{type}' (supported: TINYINT, SMALLINT, MEDIUMINT, INT, BIGINT [UNSIGNED], BOOLEAN, FLOAT, DOUBLE, DECIMAL(p,s), CHAR(n), VARCHAR(n), TINYTEXT, TEXT, MEDIUMTEXT, LONGTEXT, JSON, DATE, DATETIME(fsp), TIMESTAMP(fsp))");
        }

        var name = m.Groups["name"].Value;
        var hasArg1 = m.Groups["a"].Success;
        var a = hasArg1 ? int.Parse(m.Groups["a"].Value, CultureInfo.InvariantCulture) : -1;
        var b = m.Groups["b"].Success ? int.Parse(m.Groups["b"].Value, CultureInfo.InvariantCulture) : -1;
        var unsigned = m.Groups["unsigned"].Success;
        if (name == "tinyint" && a == 1 && !unsigned)
        {
            name = "boolean";
        }

        return name switch
        {
            "tinyint" => Int("tinyint", unsigned, sbyte.MinValue, sbyte.MaxValue, byte.MaxValue),
            "smallint" => Int("smallint", unsigned, short.MinValue, short.MaxValue, ushort.MaxValue),
            "mediumint" => Int("mediumint", unsigned, -8_388_608, 8_388_607, 16_777_215),
            "int" or "integer" => Int("int", unsigned, int.MinValue, int.MaxValue, uint.MaxValue),
            "bigint" => Int("bigint", unsigned, long.MinValue, long.MaxValue, ulong.MaxValue),
            "bool" or "boolean" => new SqlColumnType(SqlTypeKind.Boolean, "tinyint(1)", 0, 1),
            "float" => new SqlColumnType(SqlTypeKind.Float, "float"),
            "double" or "real" => new SqlColumnType(SqlTypeKind.Float, "double"),
            "decimal" or "numeric" => Dec(a < 0 ? 10 : a, b < 0 ? 0 : b),
            "char" => Text($"char({(a < 0 ? 1 : a)})", a < 0 ? 1 : a),
            "varchar" => hasArg1 ? Text($"varchar({a})", a) : throw new FormatException($"SQL type '{type}' needs a length: VARCHAR(n)"),
            "tinytext" => Text("tinytext", 255),
            "text" => Text("text", 65_535),
            "mediumtext" => Text("mediumtext", 16_777_215),
            "longtext" => Text("longtext", uint.MaxValue),
            "json" => new SqlColumnType(SqlTypeKind.Json, "longtext", MaxLength: uint.MaxValue),
            "date" => new SqlColumnType(SqlTypeKind.Date, "date"),
            "datetime" => new SqlColumnType(SqlTypeKind.DateTime, a > 0 ? $"datetime({a})" : "datetime", Scale: Math.Max(a, 0)),
            "timestamp" => new SqlColumnType(SqlTypeKind.DateTime, a > 0 ? $"timestamp({a})" : "timestamp", Scale: Math.Max(a, 0)),
            _ => throw new FormatException($"unsupported SQL type '{type}'"),
        };

        static SqlColumnType Int(string n, bool unsigned, long min, long max, ulong umax)
            => unsigned ? new SqlColumnType(SqlTypeKind.Integer, n + " unsigned", 0, 0, umax) : new SqlColumnType(SqlTypeKind.Integer, n, min, max);

        static SqlColumnType Text(string canonical, long max) => new(SqlTypeKind.Text, canonical, MaxLength: max);

        static SqlColumnType Dec(int p, int s) => new(SqlTypeKind.Decimal, $"decimal({p},{s})", Precision: p, Scale: s);
    }

    /// <summary>
    /// Checks <paramref name="value"/> (as a row transform produced it: null, bool, long, double, decimal, string,
    /// DateTime, DateTimeOffset) against this type and converts it to what the driver writes; on failure returns
    /// false with the reason (without the column's name, which the caller adds).
    /// </summary>
    public bool TryConvert(object? value, out object? converted, out string? reason)
    {
        converted = null;
        reason = null;
        if (value is null)
        {
            return true;
        }

        switch (Kind)
        {
            case SqlTypeKind.Integer:
            case SqlTypeKind.Boolean:
                return TryInteger(value, out converted, out reason);
            case SqlTypeKind.Float:
                switch (value)
                {
                    case double d when double.IsFinite(d):
                        converted = d;
                        return true;
                    case long l:
                        converted = (double)l;
                        return true;
                    case decimal m:
                        converted = (double)m;
                        return true;
                    case string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && double.IsFinite(parsed):
                        converted = parsed;
                        return true;
                    default:
                        return Fail(value, "a finite number", out reason);
                }

            case SqlTypeKind.Decimal:
                decimal dec;
                switch (value)
                {
                    case decimal m:
                        dec = m;
                        break;
                    case long l:
                        dec = l;
                        break;
                    case double d when double.IsFinite(d) && Math.Abs(d) < 7.9e28:
                        dec = (decimal)d;
                        break;
                    case string s when decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed):
                        dec = parsed;
                        break;
                    default:
                        return Fail(value, "a decimal number", out reason);
                }

                dec = Math.Round(dec, Scale, MidpointRounding.AwayFromZero);
                var integerDigits = Math.Truncate(Math.Abs(dec)).ToString(CultureInfo.InvariantCulture).TrimStart('0').Length;
                if (integerDigits > Precision - Scale)
                {
                    reason = $"value {dec.ToString(CultureInfo.InvariantCulture)} is out of range for {Canonical}";
                    return false;
                }

                converted = dec;
                return true;
            case SqlTypeKind.Text:
            case SqlTypeKind.Json:
                var text = value switch
                {
                    string s => s,
                    bool b => b ? "true" : "false",
                    long l => l.ToString(CultureInfo.InvariantCulture),
                    double d => d.ToString("R", CultureInfo.InvariantCulture),
                    decimal m => m.ToString(CultureInfo.InvariantCulture),
                    DateTime t => t.ToString("yyyy-MM-dd HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture),
                    DateTimeOffset t => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture),
                    _ => null,
                };
                if (text is null)
                {
                    return Fail(value, "text", out reason);
                }

                // utf8mb4 lengths count characters (code points), not UTF-16 units.
                var length = text.Length <= MaxLength ? text.Length : CountCodePoints(text);
                if (length > MaxLength)
                {
                    reason = $"value is too long: {length} characters, {Canonical} holds {MaxLength}";
                    return false;
                }

                converted = text;
                return true;
            case SqlTypeKind.Date:
            case SqlTypeKind.DateTime:
                if (!TryTime(value, out var utc))
                {
                    return Fail(value, Kind == SqlTypeKind.Date ? "a date (yyyy-MM-dd)" : "a timestamp (ISO-8601 text or epoch milliseconds)", out reason);
                }

                var min = IsTimestamp ? TimestampMin : DateTimeMin;
                var max = IsTimestamp ? TimestampMax : DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc);
                if (utc < min || utc > max)
                {
                    reason = $"value {utc:yyyy-MM-dd HH:mm:ss} is out of range for {Canonical}";
                    return false;
                }

                converted = Kind == SqlTypeKind.Date ? utc.Date : utc;
                return true;
            default:
                return Fail(value, Canonical, out reason);
        }
    }

    private bool TryInteger(object value, out object? converted, out string? reason)
    {
        converted = null;
        reason = null;
        decimal v;
        switch (value)
        {
            case long l:
                v = l;
                break;
            case bool b:
                v = b ? 1 : 0;
                break;
            case double d when double.IsFinite(d) && Math.Abs(d) < 1.9e19 && Math.Floor(d) == d:
                v = (decimal)d;
                break;
            case decimal m when decimal.Truncate(m) == m:
                v = m;
                break;
            case ulong u:
                v = u;
                break;
            case string s when decimal.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed):
                v = parsed;
                break;
            default:
                return Fail(value, Kind == SqlTypeKind.Boolean ? "a boolean" : "an integer", out reason);
        }

        var ok = Unsigned ? v >= 0 && v <= UnsignedMax : v >= Min && v <= Max;
        if (!ok)
        {
            reason = $"value {v.ToString(CultureInfo.InvariantCulture)} is out of range for {Canonical}";
            return false;
        }

        converted = Unsigned && v > long.MaxValue ? (ulong)v : (long)v;
        return true;
    }

    private static bool TryTime(object value, out DateTime utc)
    {
        switch (value)
        {
            case DateTime t:
                utc = t.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : t.ToUniversalTime();
                return true;
            case DateTimeOffset t:
                utc = t.UtcDateTime;
                return true;
            case long ms when ms > -62_135_596_800_000L && ms < 253_402_300_800_000L:
                utc = DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime;
                return true;
            case string s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed):
                utc = parsed.UtcDateTime;
                return true;
            default:
                utc = default;
                return false;
        }
    }

    private static long CountCodePoints(string text)
    {
        long n = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (!char.IsHighSurrogate(text[i]) || i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
            {
                n++;
                continue;
            }

            n++;
            i++;
        }

        return n;
    }

    private bool Fail(object value, string expected, out string reason)
    {
        var shown = value is string s ? "'" + (s.Length > 40 ? s[..40] + "…" : s) + "'" : Convert.ToString(value, CultureInfo.InvariantCulture);
        reason = $"expected {expected} for {Canonical}, got {shown}";
        return false;
    }

    [GeneratedRegex(@"^(?<name>[a-z]+)\s*(\(\s*(?<a>\d+)\s*(,\s*(?<b>\d+)\s*)?\))?(\s+(?<unsigned>unsigned))?(\s+zerofill)?$")]
    private static partial Regex TypePattern();
}
