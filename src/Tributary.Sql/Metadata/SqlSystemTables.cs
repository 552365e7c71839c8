using System.Globalization;

namespace Tributary.Sql;

/// <summary>
/// One segment of a datasource's timeline, as <c>sys.segments</c> shows it. <see cref="Sealed"/> is the segment's
/// state: an open segment is served from memory by its grain (Druid's realtime segment), a sealed one is immutable in
/// the object store (Druid's published segment).
/// </summary>
/// <param name="Datasource">The datasource.</param>
/// <param name="StartMs">Interval start, UTC epoch milliseconds (inclusive).</param>
/// <param name="EndMs">Interval end, UTC epoch milliseconds (exclusive).</param>
/// <param name="Partition">The Kafka partition the segment holds (Druid's <c>partition_num</c>).</param>
/// <param name="Sealed">True once sealed to the object store.</param>
/// <param name="SizeBytes">Serialized size of a sealed segment (0 while open, as Druid reports realtime segments).</param>
/// <param name="RowCount">Rows after rollup, as of the segment's last report to its timeline.</param>
public sealed record SqlSystemSegment(string Datasource, long StartMs, long EndMs, int Partition, bool Sealed, long SizeBytes, long RowCount)
{
    /// <summary>The JSON of the segment's shard spec (<c>shard_spec</c>), or null.</summary>
    public string? ShardSpec { get; init; }

    /// <summary>The JSON array of the datasource's dimension names (<c>dimensions</c>), or null.</summary>
    public string? Dimensions { get; init; }

    /// <summary>The JSON array of the datasource's metric names (<c>metrics</c>), or null.</summary>
    public string? Metrics { get; init; }
}

/// <summary>
/// Druid's metadata tables as SQL tables of kind <see cref="SqlTableKind.System"/>, with Druid's column names and
/// types: <c>INFORMATION_SCHEMA.SCHEMATA</c>, <c>INFORMATION_SCHEMA.TABLES</c>, <c>INFORMATION_SCHEMA.COLUMNS</c> and
/// <c>sys.segments</c>, and the rows of each (values in column order: VARCHAR strings, BIGINT longs, null) for
/// <see cref="SqlRowEvaluator"/>.
/// </summary>
public static class SqlSystemTables
{
    /// <summary>The catalog name Druid reports in every metadata table.</summary>
    public const string CatalogName = "druid";

    /// <summary>The schema of the INFORMATION_SCHEMA tables.</summary>
    public const string InformationSchema = "INFORMATION_SCHEMA";

    /// <summary>The schema of <c>sys.segments</c>.</summary>
    public const string SysSchema = "sys";

    /// <summary><c>INFORMATION_SCHEMA.SCHEMATA</c>.</summary>
    public static SqlTable Schemata { get; } = System(InformationSchema, "SCHEMATA",
        V("CATALOG_NAME", false), V("SCHEMA_NAME", false), V("SCHEMA_OWNER"), V("DEFAULT_CHARACTER_SET_CATALOG"),
        V("DEFAULT_CHARACTER_SET_SCHEMA"), V("DEFAULT_CHARACTER_SET_NAME"), V("SQL_PATH"));

    /// <summary><c>INFORMATION_SCHEMA.TABLES</c>.</summary>
    public static SqlTable Tables { get; } = System(InformationSchema, "TABLES",
        V("TABLE_CATALOG", false), V("TABLE_SCHEMA", false), V("TABLE_NAME", false), V("TABLE_TYPE", false),
        V("IS_JOINABLE", false), V("IS_BROADCAST", false));

    /// <summary><c>INFORMATION_SCHEMA.COLUMNS</c>.</summary>
    public static SqlTable Columns { get; } = System(InformationSchema, "COLUMNS",
        V("TABLE_CATALOG", false), V("TABLE_SCHEMA", false), V("TABLE_NAME", false), V("COLUMN_NAME", false),
        B("ORDINAL_POSITION", false), V("COLUMN_DEFAULT"), V("IS_NULLABLE", false), V("DATA_TYPE", false),
        B("CHARACTER_MAXIMUM_LENGTH"), B("CHARACTER_OCTET_LENGTH"), B("NUMERIC_PRECISION"), B("NUMERIC_PRECISION_RADIX"),
        B("NUMERIC_SCALE"), B("DATETIME_PRECISION"), V("CHARACTER_SET_NAME"), V("COLLATION_NAME"), B("JDBC_TYPE", false));

    /// <summary><c>sys.segments</c>.</summary>
    public static SqlTable Segments { get; } = System(SysSchema, "segments",
        V("segment_id", false), V("datasource", false), V("start", false), V("end", false), B("size", false),
        V("version", false), B("partition_num", false), B("num_replicas", false), B("num_rows", false),
        B("is_active", false), B("is_published", false), B("is_available", false), B("is_realtime", false),
        B("is_overshadowed", false), V("shard_spec"), V("dimensions"), V("metrics"), V("last_compaction_state"));

    /// <summary>Every system table, in the order INFORMATION_SCHEMA.TABLES lists them.</summary>
    public static IReadOnlyList<SqlTable> All { get; } = [Schemata, Tables, Columns, Segments];

    /// <summary>The schemas SCHEMATA lists: <c>druid</c> (datasources), <c>INFORMATION_SCHEMA</c> and <c>sys</c>.</summary>
    public static IReadOnlyList<string> SchemaNames { get; } = [SqlCatalogs.DruidSchema, InformationSchema, SysSchema];

    /// <summary>The rows of <c>INFORMATION_SCHEMA.SCHEMATA</c>.</summary>
    public static IReadOnlyList<object?[]> SchemataRows() =>
        [.. SchemaNames.Select(s => new object?[] { CatalogName, s, null, null, null, null, null })];

    /// <summary>
    /// The rows of <c>INFORMATION_SCHEMA.TABLES</c> for <paramref name="tables"/>: TABLE_TYPE <c>TABLE</c> for
    /// datasources and <c>SYSTEM_TABLE</c> for system tables; nothing is joinable or broadcast.
    /// </summary>
    public static IReadOnlyList<object?[]> TablesRows(IEnumerable<SqlTable> tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        return [.. tables.Select(t => new object?[]
        {
            CatalogName, t.Schema, t.Name, t.Kind == SqlTableKind.Datasource ? "TABLE" : "SYSTEM_TABLE", "NO", "NO",
        })];
    }

    /// <summary>
    /// The rows of <c>INFORMATION_SCHEMA.COLUMNS</c> for <paramref name="tables"/>: one per column in table order,
    /// ORDINAL_POSITION from 1, IS_NULLABLE <c>YES</c>/<c>NO</c>, DATA_TYPE Druid's SQL type name, JDBC_TYPE the
    /// <c>java.sql.Types</c> code, and Calcite's precision, radix, scale and character set where they apply.
    /// </summary>
    public static IReadOnlyList<object?[]> ColumnsRows(IEnumerable<SqlTable> tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var rows = new List<object?[]>();
        foreach (var t in tables)
        {
            for (var i = 0; i < t.Columns.Count; i++)
            {
                var c = t.Columns[i];
                var numeric = c.Type.IsNumeric();
                var character = c.Type == SqlType.Varchar;
                rows.Add(
                [
                    CatalogName, t.Schema, t.Name, c.Name, (long)(i + 1), null, c.CanBeNull ? "YES" : "NO", c.Type.Name(),
                    null, null,
                    numeric ? (c.Type == SqlType.Bigint ? 19L : 15L) : null,
                    numeric ? 10L : null,
                    c.Type == SqlType.Bigint ? 0L : null,
                    c.Type.IsTime() ? (c.Type == SqlType.Timestamp ? 3L : 0L) : null,
                    character ? "UTF-16LE" : null,
                    character ? "UTF-16LE$en_US$primary" : null,
                    JdbcType(c.Type),
                ]);
            }
        }

        return rows;
    }

    /// <summary>
    /// The rows of <c>sys.segments</c>. An open segment is realtime and not yet published (<c>is_realtime</c> 1,
    /// <c>is_published</c> 0, size 0); a sealed one is published and not realtime. Every segment is available and
    /// active (its grain serves it, reloading a sealed one from the object store when needed), served once
    /// (<c>num_replicas</c> 1), and never overshadowed (a segment is never replaced). The version is the interval
    /// start, since each (datasource, hour, partition) has exactly one segment.
    /// </summary>
    public static IReadOnlyList<object?[]> SegmentsRows(IEnumerable<SqlSystemSegment> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        return [.. segments.Select(s =>
        {
            var start = Iso(s.StartMs);
            var published = s.Sealed ? 1L : 0L;
            return new object?[]
            {
                SegmentId(s.Datasource, s.StartMs, s.EndMs, s.Partition), s.Datasource, start, Iso(s.EndMs), s.Sealed ? s.SizeBytes : 0L, start, (long)s.Partition, 1L, s.RowCount,
                1L, published, 1L, 1L - published, 0L, s.ShardSpec, s.Dimensions, s.Metrics, null,
            };
        })];
    }

    /// <summary>
    /// Druid's segment id of a segment: <c>{datasource}_{start}_{end}_{version}</c>, with <c>_{partition}</c> appended
    /// unless the partition is 0 (the version is the start, see <see cref="SegmentsRows"/>).
    /// </summary>
    public static string SegmentId(string datasource, long startMs, long endMs, int partition)
    {
        var start = Iso(startMs);
        return $"{datasource}_{start}_{Iso(endMs)}_{start}" + (partition == 0 ? string.Empty : "_" + partition.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The <c>java.sql.Types</c> code of <paramref name="type"/> (Druid's JDBC_TYPE column; OTHER for sketches).</summary>
    public static long JdbcType(SqlType type) => type switch
    {
        SqlType.Varchar => 12,
        SqlType.Bigint => -5,
        SqlType.Double => 8,
        SqlType.Timestamp => 93,
        SqlType.Date => 91,
        SqlType.Boolean => 16,
        SqlType.Null => 0,
        _ => 1111,
    };

    /// <summary>UTC epoch milliseconds as Druid writes interval ends: <c>2026-01-02T03:00:00.000Z</c>.</summary>
    public static string Iso(long ms) =>
        DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static SqlColumn V(string name, bool nullable = true) => new(name, SqlType.Varchar, nullable);

    private static SqlColumn B(string name, bool nullable = true) => new(name, SqlType.Bigint, nullable);

    private static SqlTable System(string schema, string name, params SqlColumn[] columns) => new(schema, name, columns, SqlTableKind.System);
}

/// <summary>
/// The catalog a SQL endpoint validates against: its datasources (schema <c>druid</c>) and the system tables of
/// <see cref="SqlSystemTables"/>. Built once per set of datasources; it holds no rows.
/// </summary>
public sealed class SqlSystemCatalog : ISqlCatalog
{
    private readonly InMemorySqlCatalog _tables;

    /// <summary>Creates the catalog over <paramref name="datasources"/> (tables of kind <see cref="SqlTableKind.Datasource"/>).</summary>
    public SqlSystemCatalog(IEnumerable<SqlTable> datasources)
    {
        ArgumentNullException.ThrowIfNull(datasources);
        Datasources = [.. datasources.OrderBy(t => t.Name, StringComparer.Ordinal)];
        Tables = [.. Datasources, .. SqlSystemTables.All];
        _tables = new InMemorySqlCatalog(Tables);
    }

    /// <summary>The datasource tables, by name.</summary>
    public IReadOnlyList<SqlTable> Datasources { get; }

    /// <summary>Every table: the datasources, then the system tables.</summary>
    public IReadOnlyList<SqlTable> Tables { get; }

    /// <inheritdoc />
    public SqlTable? FindTable(string? schema, string name) => _tables.FindTable(schema, name);

    /// <summary>
    /// The rows of the INFORMATION_SCHEMA table <paramref name="table"/> over this catalog, or null for another table
    /// (<c>sys.segments</c> needs the timeline: <see cref="SqlSystemTables.SegmentsRows"/>).
    /// </summary>
    public IReadOnlyList<object?[]>? InformationSchemaRows(SqlTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        return ReferenceEquals(table, SqlSystemTables.Schemata) ? SqlSystemTables.SchemataRows()
            : ReferenceEquals(table, SqlSystemTables.Tables) ? SqlSystemTables.TablesRows(Tables)
            : ReferenceEquals(table, SqlSystemTables.Columns) ? SqlSystemTables.ColumnsRows(Tables)
            : null;
    }
}
