using Tributary.Query;

namespace Tributary.Sql;

/// <summary>The SQL types the front end knows (Druid's names via <see cref="SqlTypes.Name"/>).</summary>
public enum SqlType
{
    /// <summary>TIMESTAMP (values are UTC epoch milliseconds).</summary>
    Timestamp,

    /// <summary>VARCHAR.</summary>
    Varchar,

    /// <summary>BIGINT.</summary>
    Bigint,

    /// <summary>DOUBLE.</summary>
    Double,

    /// <summary>BOOLEAN.</summary>
    Boolean,

    /// <summary>DATE (values are UTC epoch milliseconds of midnight).</summary>
    Date,

    /// <summary>COMPLEX&lt;hyperUnique&gt;: a sketch column, usable only in APPROX_COUNT_DISTINCT / COUNT(DISTINCT).</summary>
    HyperUnique,

    /// <summary>The type of the NULL literal.</summary>
    Null,

    /// <summary>An INTERVAL literal (only in TIMESTAMP arithmetic).</summary>
    Interval,
}

/// <summary>Helpers for <see cref="SqlType"/>.</summary>
public static class SqlTypes
{
    /// <summary>Druid's SQL type name (<c>TIMESTAMP</c>, <c>VARCHAR</c>, <c>BIGINT</c>, <c>DOUBLE</c>, <c>COMPLEX&lt;hyperUnique&gt;</c>, ...).</summary>
    public static string Name(this SqlType type) => type switch
    {
        SqlType.Timestamp => "TIMESTAMP",
        SqlType.Varchar => "VARCHAR",
        SqlType.Bigint => "BIGINT",
        SqlType.Double => "DOUBLE",
        SqlType.Boolean => "BOOLEAN",
        SqlType.Date => "DATE",
        SqlType.HyperUnique => "COMPLEX<hyperUnique>",
        SqlType.Null => "NULL",
        _ => "INTERVAL",
    };

    /// <summary>Druid's native type of a result column of this SQL type (<c>LONG</c> for TIMESTAMP, BIGINT and BOOLEAN).</summary>
    public static string NativeName(this SqlType type) => type switch
    {
        SqlType.Varchar => "STRING",
        SqlType.Double => "DOUBLE",
        SqlType.HyperUnique => "COMPLEX<hyperUnique>",
        SqlType.Null => "STRING",
        _ => "LONG",
    };

    /// <summary>True for BIGINT and DOUBLE.</summary>
    public static bool IsNumeric(this SqlType type) => type is SqlType.Bigint or SqlType.Double;

    /// <summary>True for TIMESTAMP and DATE.</summary>
    public static bool IsTime(this SqlType type) => type is SqlType.Timestamp or SqlType.Date;
}

/// <summary>
/// A column of a <see cref="SqlTable"/>. <see cref="CanBeNull"/> is false for columns that always hold a value
/// (<c>__time</c>, and segment metrics, which ingestion fills with 0): AVG needs it, since it divides by COUNT(*).
/// </summary>
public sealed record SqlColumn(string Name, SqlType Type, bool CanBeNull = true);

/// <summary>What a table is backed by.</summary>
public enum SqlTableKind
{
    /// <summary>A datasource in schema <c>druid</c>: planned to native queries.</summary>
    Datasource,

    /// <summary>A system table (<c>INFORMATION_SCHEMA.*</c>, <c>sys.*</c>): validated here, answered by the endpoint.</summary>
    System,
}

/// <summary>A table the validator resolves FROM against.</summary>
public sealed record SqlTable(string Schema, string Name, IReadOnlyList<SqlColumn> Columns, SqlTableKind Kind)
{
    /// <summary>The column named <paramref name="name"/> (case-sensitive, as in Druid), or null.</summary>
    public SqlColumn? FindColumn(string name) => Columns.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.Ordinal));

    /// <summary>
    /// A datasource table from a native <see cref="RowSchema"/>: <c>__time</c> TIMESTAMP first, then string dimensions
    /// as VARCHAR, long columns as BIGINT, double metrics as DOUBLE and hyperUnique metrics as COMPLEX&lt;hyperUnique&gt;.
    /// </summary>
    /// <param name="name">The datasource name.</param>
    /// <param name="schema">Its columns.</param>
    /// <param name="nonNullColumns">Columns that never hold null (the metrics of a segment datasource).</param>
    public static SqlTable FromRowSchema(string name, RowSchema schema, IEnumerable<string>? nonNullColumns = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var nonNull = new HashSet<string>(nonNullColumns ?? [], StringComparer.Ordinal);
        var columns = new List<SqlColumn> { new(Row.TimeColumn, SqlType.Timestamp, false) };
        columns.AddRange(schema.Columns.Select(c => new SqlColumn(c.Name, c.Type switch
        {
            ColumnType.String => SqlType.Varchar,
            ColumnType.Long => SqlType.Bigint,
            ColumnType.Double => SqlType.Double,
            _ => SqlType.HyperUnique,
        }, !nonNull.Contains(c.Name))));
        return new SqlTable(SqlCatalogs.DruidSchema, name, columns, SqlTableKind.Datasource);
    }
}

/// <summary>The tables SQL can read. The HTTP endpoint implements it over the datasource catalog.</summary>
public interface ISqlCatalog
{
    /// <summary>
    /// The table <paramref name="name"/> in <paramref name="schema"/> (null means the default schema <c>druid</c>),
    /// or null if there is none. Names are case-sensitive, as in Druid.
    /// </summary>
    SqlTable? FindTable(string? schema, string name);
}

/// <summary>Constants and the in-memory catalog.</summary>
public static class SqlCatalogs
{
    /// <summary>The default schema of datasources.</summary>
    public const string DruidSchema = "druid";
}

/// <summary>An <see cref="ISqlCatalog"/> over a fixed set of tables (tests, and endpoints that snapshot their catalog per query).</summary>
public sealed class InMemorySqlCatalog : ISqlCatalog
{
    private readonly Dictionary<(string Schema, string Name), SqlTable> _tables = [];

    /// <summary>Creates a catalog holding <paramref name="tables"/>.</summary>
    public InMemorySqlCatalog(IEnumerable<SqlTable> tables)
    {
        foreach (var t in tables)
        {
            _tables[(t.Schema.ToUpperInvariant(), t.Name)] = t;
        }
    }

    /// <inheritdoc />
    public SqlTable? FindTable(string? schema, string name) =>
        _tables.GetValueOrDefault(((schema ?? SqlCatalogs.DruidSchema).ToUpperInvariant(), name));
}
