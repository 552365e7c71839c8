namespace Tributary.Sql.Tests;

public sealed class SqlSystemTablesTests
{
    private const long Hour = 3_600_000L;
    private static readonly SqlSystemCatalog Catalog = new([SqlTestData.Table]);

    private static readonly SqlSystemSegment[] Segments =
    [
        new("pin_engagement", SqlTestData.Start, SqlTestData.Start + Hour, 0, Sealed: true, SizeBytes: 4096, RowCount: 120) { ShardSpec = """{"type":"hashed"}""" },
        new("pin_engagement", SqlTestData.Start, SqlTestData.Start + Hour, 3, Sealed: true, SizeBytes: 2048, RowCount: 80),
        new("pin_engagement", SqlTestData.Start + Hour, SqlTestData.Start + (2 * Hour), 3, Sealed: false, SizeBytes: 999, RowCount: 15),
        new("other", SqlTestData.Start, SqlTestData.Start + Hour, 1, Sealed: false, SizeBytes: 0, RowCount: 7),
    ];

    private static List<object?[]> Run(string sql)
    {
        var validated = SqlValidator.Validate(SqlParser.Parse(sql), Catalog);
        var table = validated.Table!;
        var rows = Catalog.InformationSchemaRows(table) ?? SqlSystemTables.SegmentsRows(Segments);
        return [.. SqlRowEvaluator.Evaluate(validated, rows).Rows];
    }

    [Fact]
    public void Tables_SupersetsTableList_IsTheDatasources()
    {
        Assert.Equal([["pin_engagement"]], Run("SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'druid'"));
        Assert.Equal(
            [
                ["druid", "druid", "pin_engagement", "TABLE", "NO", "NO"],
                ["druid", "INFORMATION_SCHEMA", "SCHEMATA", "SYSTEM_TABLE", "NO", "NO"],
                ["druid", "INFORMATION_SCHEMA", "TABLES", "SYSTEM_TABLE", "NO", "NO"],
                ["druid", "INFORMATION_SCHEMA", "COLUMNS", "SYSTEM_TABLE", "NO", "NO"],
                ["druid", "sys", "segments", "SYSTEM_TABLE", "NO", "NO"],
            ],
            Run("SELECT * FROM INFORMATION_SCHEMA.TABLES"));
        Assert.Equal([["INFORMATION_SCHEMA", 3L], ["druid", 1L], ["sys", 1L]], Run("SELECT TABLE_SCHEMA, COUNT(*) FROM INFORMATION_SCHEMA.TABLES GROUP BY 1 ORDER BY 1"));
    }

    [Fact]
    public void Schemata_ListsDruidInformationSchemaAndSys()
    {
        Assert.Equal([["druid"], ["INFORMATION_SCHEMA"], ["sys"]], Run("SELECT SCHEMA_NAME FROM INFORMATION_SCHEMA.SCHEMATA"));
        Assert.Equal([["druid", null]], Run("SELECT CATALOG_NAME, SCHEMA_OWNER FROM INFORMATION_SCHEMA.SCHEMATA WHERE SCHEMA_NAME LIKE 'd%'"));
    }

    [Fact]
    public void Columns_OfADatasource_HaveDruidsTypesNullabilityAndJdbcCodes()
    {
        var rows = Run("SELECT COLUMN_NAME, DATA_TYPE, IS_NULLABLE FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME = 'pin_engagement' AND TABLE_SCHEMA = 'druid'");
        Assert.Equal(SqlTestData.Table.Columns.Select(c => new object?[] { c.Name, c.Type.Name(), c.CanBeNull ? "YES" : "NO" }), rows);
        Assert.Equal(["__time", "TIMESTAMP", "NO"], rows[0]);
        Assert.Equal(["country", "VARCHAR", "YES"], rows[1]);
        Assert.Equal(["clicks", "BIGINT", "NO"], rows[6]);
        Assert.Equal(["unique_users", "COMPLEX<hyperUnique>", "NO"], rows[^1]);

        Assert.Equal(
            [
                [1L, "__time", 93L, null, 3L, null],
                [2L, "country", 12L, null, null, "UTF-16LE"],
                [7L, "clicks", -5L, 19L, null, null],
                [8L, "dwell_ms", 8L, 15L, null, null],
                [9L, "unique_users", 1111L, null, null, null],
            ],
            Run("SELECT ORDINAL_POSITION, COLUMN_NAME, JDBC_TYPE, NUMERIC_PRECISION, DATETIME_PRECISION, CHARACTER_SET_NAME FROM INFORMATION_SCHEMA.COLUMNS " +
                "WHERE TABLE_SCHEMA = 'druid' AND COLUMN_NAME IN ('__time', 'country', 'clicks', 'dwell_ms', 'unique_users') ORDER BY ORDINAL_POSITION"));
    }

    [Fact]
    public void Columns_OfSystemTables_AreListedToo()
    {
        var segmentColumns = Run("SELECT COLUMN_NAME, DATA_TYPE FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = 'sys' AND TABLE_NAME = 'segments'");
        Assert.Equal(SqlSystemTables.Segments.Columns.Select(c => new object?[] { c.Name, c.Type.Name() }), segmentColumns);
        Assert.Contains(["is_realtime", "BIGINT"], segmentColumns);
        Assert.Equal([[17L]], Run("SELECT COUNT(*) FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME = 'COLUMNS'"));
    }

    [Fact]
    public void Segments_OneRowPerSegmentWithStateMapped()
    {
        var start = SqlSystemTables.Iso(SqlTestData.Start);
        var next = SqlSystemTables.Iso(SqlTestData.Start + Hour);
        Assert.Equal("2026-11-23T00:00:00.000Z", start);
        var rows = Run("SELECT segment_id, start, \"end\", size, version, partition_num, num_rows, is_published, is_available, is_realtime, is_overshadowed, is_active, num_replicas " +
            "FROM sys.segments WHERE datasource = 'pin_engagement' ORDER BY start, partition_num");
        Assert.Equal(
            [
                [$"pin_engagement_{start}_{next}_{start}", start, next, 4096L, start, 0L, 120L, 1L, 1L, 0L, 0L, 1L, 1L],
                [$"pin_engagement_{start}_{next}_{start}_3", start, next, 2048L, start, 3L, 80L, 1L, 1L, 0L, 0L, 1L, 1L],
                [$"pin_engagement_{next}_{SqlSystemTables.Iso(SqlTestData.Start + (2 * Hour))}_{next}_3", next, SqlSystemTables.Iso(SqlTestData.Start + (2 * Hour)), 0L, next, 3L, 15L, 0L, 1L, 1L, 0L, 1L, 1L],
            ],
            rows);
        Assert.Equal([["""{"type":"hashed"}"""]], Run("SELECT shard_spec FROM sys.segments WHERE shard_spec IS NOT NULL"));
    }

    [Fact]
    public void Segments_DruidsConsoleQueries_GroupAndCount()
    {
        Assert.Equal(
            [["pin_engagement", 6144L, 215L, 3L], ["other", 0L, 7L, 1L]],
            Run("SELECT datasource, SUM(\"size\") AS total_size, SUM(num_rows) AS total_rows, COUNT(*) AS num_segments FROM sys.segments WHERE is_active = 1 GROUP BY 1 ORDER BY 2 DESC"));
        Assert.Equal([[2L]], Run("SELECT COUNT(*) FROM sys.segments WHERE is_realtime = 1"));
        Assert.Equal([["other"]], Run("SELECT DISTINCT datasource FROM sys.segments WHERE NOT (datasource = 'pin_engagement') LIMIT 5"));
        Assert.Equal([[2L]], Run("SELECT COUNT(*) FROM sys.segments WHERE start >= '2026-11-23T00:00:00.000Z' AND start < '2026-11-23T01' AND datasource = 'pin_engagement'"));
    }

    [Fact]
    public void SystemTables_AreSystemKindAndFoundByTheirSchema()
    {
        Assert.All(SqlSystemTables.All, t => Assert.Equal(SqlTableKind.System, t.Kind));
        Assert.Same(SqlSystemTables.Segments, Catalog.FindTable("sys", "segments"));
        Assert.Same(SqlSystemTables.Columns, Catalog.FindTable("INFORMATION_SCHEMA", "COLUMNS"));
        Assert.Same(SqlTestData.Table, Catalog.FindTable(null, "pin_engagement"));
        Assert.Null(Catalog.FindTable("sys", "servers"));
        Assert.Null(Catalog.InformationSchemaRows(SqlSystemTables.Segments));
    }
}
