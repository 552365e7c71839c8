using static Tributary.Tracker.Tests.SnapshotTestKit;

namespace Tributary.Tracker.Tests;

[Collection(nameof(MariaDbCollection))]
public sealed class SchemaDiscoveryTests
{
    [Fact]
    public void UnmatchedIncludes_LiteralEntryMatchingNoDatabase_IsReported()
    {
        var cluster = new TrackerClusterOptions { IncludeDatabases = ["app_main", "app_typo", "tmp_*"] };

        var unmatched = SchemaDiscovery.UnmatchedIncludes(cluster, ["app_main", "other"]);

        // wildcard entries may match nothing (a shard without temporary databases); a literal name is a typo
        Assert.Equal([(1, "app_typo")], unmatched);
    }

    [Theory]
    [InlineData("tinyint", "tinyint(1)", 0, ColumnKind.Int8)]
    [InlineData("bigint", "bigint(20) unsigned", 0, ColumnKind.UInt64)]
    [InlineData("mediumint", "mediumint(8) unsigned", 0, ColumnKind.UInt32)]
    [InlineData("decimal", "decimal(28,4)", 28, ColumnKind.Decimal)]
    [InlineData("decimal", "decimal(38,4)", 38, ColumnKind.BigDecimal)]
    [InlineData("decimal", "decimal(65,30)", 65, ColumnKind.DecimalText)]
    [InlineData("varbinary", "varbinary(10)", 0, ColumnKind.Bytes)]
    [InlineData("multipolygon", "multipolygon", 0, ColumnKind.Spatial)]
    [InlineData("inet6", "inet6", 0, ColumnKind.Other)]
    public void KindOf_MySqlType_MapsFaithfully(string dataType, string columnType, int precision, ColumnKind expected)
        => Assert.Equal(expected, SchemaDiscovery.KindOf(dataType, columnType, precision));

    [Fact]
    public void Includes_Patterns_FilterDatabasesAndTables()
    {
        var cluster = new TrackerClusterOptions
        {
            IncludeDatabases = ["app_*"],
            ExcludeDatabases = ["app_tmp"],
            ExcludeTables = ["*.audit_?", "app_main.cache"],
        };

        Assert.True(SchemaDiscovery.Includes(cluster, "app_main", "pins"));
        Assert.False(SchemaDiscovery.Includes(cluster, "app_tmp", "pins"));
        Assert.False(SchemaDiscovery.Includes(cluster, "other", "pins"));
        Assert.False(SchemaDiscovery.Includes(cluster, "app_main", "audit_1"));
        Assert.False(SchemaDiscovery.Includes(cluster, "app_main", "cache"));
        Assert.True(SchemaDiscovery.Includes(cluster, "app_x", "cache"));
        Assert.False(SchemaDiscovery.Includes(new TrackerClusterOptions(), "mysql", "user"));
    }

    [Fact]
    public async Task DiscoverAsync_RealTables_ReadsColumnsKeysAndJson()
    {
        var servers = MariaDbServers.Instance;
        var db = NewDatabase("schema");
        await servers.ExecutePrimaryAsync($"""
            CREATE DATABASE `{db}`;
            CREATE TABLE `{db}`.pins (pin_id BIGINT UNSIGNED NOT NULL, board INT NOT NULL, meta JSON, PRIMARY KEY (board, pin_id));
            CREATE TABLE `{db}`.skipped (x INT);
            CREATE VIEW `{db}`.v AS SELECT 1 AS one;
            """);
        await servers.WaitForReplicasAsync();
        await using var connection = await servers.OpenAsync(servers.Replica, servers.AdminUser);
        var cluster = new TrackerClusterOptions { IncludeDatabases = [db], ExcludeTables = ["skipped"] };

        var tables = await SchemaDiscovery.DiscoverAsync(connection, cluster, TestContext.Current.CancellationToken);

        var pins = Assert.Single(tables);
        Assert.Equal("pins", pins.Table);
        Assert.Equal(["board", "pin_id"], pins.PrimaryKey);
        Assert.Equal([ColumnKind.UInt64, ColumnKind.Int32, ColumnKind.Json], pins.Columns.Select(c => c.Kind));
        Assert.False(pins.Columns[0].Nullable);
        Assert.True(pins.Columns[2].Nullable);
    }
}
