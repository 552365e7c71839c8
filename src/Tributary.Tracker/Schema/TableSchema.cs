using System.IO.Hashing;
using System.Text;
using System.Text.Json.Serialization;

namespace Tributary.Tracker;

/// <summary>How a MySQL column is read and which Parquet type it lands in (see README for the table).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ColumnKind>))]
public enum ColumnKind
{
    /// <summary>TINYINT → INT(8, signed).</summary>
    Int8,

    /// <summary>TINYINT UNSIGNED → INT(8, unsigned).</summary>
    UInt8,

    /// <summary>SMALLINT → INT(16, signed).</summary>
    Int16,

    /// <summary>SMALLINT UNSIGNED → INT(16, unsigned).</summary>
    UInt16,

    /// <summary>MEDIUMINT, INT → INT(32, signed).</summary>
    Int32,

    /// <summary>MEDIUMINT UNSIGNED, INT UNSIGNED → INT(32, unsigned).</summary>
    UInt32,

    /// <summary>BIGINT → INT(64, signed).</summary>
    Int64,

    /// <summary>BIGINT UNSIGNED → INT(64, unsigned).</summary>
    UInt64,

    /// <summary>DECIMAL with precision ≤ 28 → DECIMAL(p, s) (INT32/INT64/fixed bytes, from System.Decimal).</summary>
    Decimal,

    /// <summary>DECIMAL with precision 29..38 → DECIMAL(p, s) as a 16-byte fixed-length byte array (exact, via BigInteger).</summary>
    BigDecimal,

    /// <summary>
    /// DECIMAL with precision 39..65 → STRING holding MySQL's exact text (<c>-123.4500</c>): Parquet.Net 6.1
    /// writes decimals of at most 16 bytes (38 digits); schema.json keeps the precision and scale.
    /// </summary>
    DecimalText,

    /// <summary>FLOAT → FLOAT.</summary>
    Float,

    /// <summary>DOUBLE → DOUBLE.</summary>
    Double,

    /// <summary>DATE → DATE; zero/invalid dates → null plus the raw text in <c>{column}__raw</c>.</summary>
    Date,

    /// <summary>DATETIME(n) → TIMESTAMP(micros, not adjusted to UTC); zero dates as for <see cref="Date"/>.</summary>
    DateTime,

    /// <summary>TIMESTAMP(n) → TIMESTAMP(micros, adjusted to UTC); zero dates as for <see cref="Date"/>.</summary>
    Timestamp,

    /// <summary>TIME → INT64 signed microseconds (MySQL TIME spans ±838:59:59, beyond Parquet's TIME).</summary>
    Time,

    /// <summary>YEAR → INT(16, signed).</summary>
    Year,

    /// <summary>CHAR, VARCHAR, TEXT → STRING (UTF-8).</summary>
    String,

    /// <summary>BINARY, VARBINARY, BLOB → BYTE_ARRAY, the bytes as stored.</summary>
    Bytes,

    /// <summary>BIT(n) → INT(64, unsigned).</summary>
    Bit,

    /// <summary>ENUM → STRING (the label).</summary>
    Enum,

    /// <summary>SET → STRING (comma-separated labels, as MySQL prints them).</summary>
    Set,

    /// <summary>JSON → STRING (the document text).</summary>
    Json,

    /// <summary>GEOMETRY, POINT, ... → BYTE_ARRAY holding WKB (<c>ST_AsBinary</c>, without MySQL's SRID prefix).</summary>
    Spatial,

    /// <summary>Any other type (INET6, UUID, ...) → STRING from <c>CAST(col AS CHAR)</c>.</summary>
    Other,
}

/// <summary>One column as discovered from information_schema and how it maps.</summary>
public sealed record ColumnSchema(
    string Name,
    int Ordinal,
    string DataType,
    string ColumnType,
    bool Nullable,
    ColumnKind Kind,
    int Precision,
    int Scale,
    string? CharacterSet);

/// <summary>One table's discovered schema: its columns in order and its primary key.</summary>
public sealed record TableSchema(string Database, string Table, IReadOnlyList<ColumnSchema> Columns, IReadOnlyList<string> PrimaryKey)
{
    /// <summary><c>db.table</c>.</summary>
    [JsonIgnore]
    public string FullName => $"{Database}.{Table}";

    /// <summary>A fingerprint of the column names, types, nullability and primary key: changes whenever the schema does.</summary>
    public string Fingerprint
    {
        get
        {
            var text = new StringBuilder();
            foreach (var c in Columns)
            {
                text.Append(c.Name).Append('\u001f').Append(c.ColumnType).Append('\u001f').Append(c.Nullable).Append('\u001e');
            }

            text.Append(string.Join('\u001f', PrimaryKey));
            return Convert.ToHexStringLower(XxHash64.Hash(Encoding.UTF8.GetBytes(text.ToString())));
        }
    }
}
