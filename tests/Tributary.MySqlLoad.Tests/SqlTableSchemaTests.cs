namespace Tributary.MySqlLoad.Tests;

public sealed class SqlTableSchemaTests
{
    [Theory]
    [InlineData("BIGINT", "bigint(20)")]
    [InlineData("INT UNSIGNED", "int(10) unsigned")]
    [InlineData("BOOLEAN", "tinyint(1)")]
    [InlineData("VARCHAR(64)", "varchar(64)")]
    [InlineData("DATETIME(3)", "datetime(3)")]
    [InlineData("JSON", "longtext")]
    [InlineData("DECIMAL(12,2)", "decimal(12,2)")]
    public void Parse_ConfiguredAndReportedSpellings_Agree(string configured, string reported)
        => Assert.Equal(SqlColumnType.Parse(configured).Canonical, SqlColumnType.Parse(reported).Canonical);

    [Theory]
    [InlineData("TINYINT", 300L, "out of range for tinyint")]
    [InlineData("INT UNSIGNED", -1L, "out of range")]
    [InlineData("VARCHAR(3)", "abcd", "too long: 4 characters")]
    [InlineData("DECIMAL(4,2)", "123.4", "out of range for decimal(4,2)")]
    [InlineData("TIMESTAMP", "1960-01-01T00:00:00Z", "out of range for timestamp")]
    [InlineData("DOUBLE", "abc", "expected a finite number")]
    public void TryConvert_ViolatingValue_GivesReason(string type, object value, string reason)
    {
        Assert.False(SqlColumnType.Parse(type).TryConvert(value, out _, out var why));
        Assert.Contains(reason, why, StringComparison.Ordinal);
    }

    [Fact]
    public void TryConvert_EpochMillis_IsUtcTime()
    {
        Assert.True(SqlColumnType.Parse("DATETIME(3)").TryConvert(1_765_000_000_123L, out var converted, out _));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_765_000_000_123L).UtcDateTime, converted);
    }

    [Fact]
    public void TryConvert_SupplementaryCharacters_CountAsOne()
        => Assert.True(SqlColumnType.Parse("VARCHAR(2)").TryConvert("😀😀", out _, out _));

    [Fact]
    public void Validate_BadOptions_NameTheKeys()
    {
        var errors = SqlTableSchema.Validate(new SqlLoadOptions
        {
            Table = "bad table",
            Mode = SqlLoadMode.Upsert,
            Key = ["nope"],
            Columns =
            [
                new SqlColumnOptions { Name = "pin_id", Type = "BIGINT" },
                new SqlColumnOptions { Name = "action", Type = "VARCHAR" },
                new SqlColumnOptions { Name = "pin_id", Type = "GEOMETRY" },
            ],
        });

        Assert.Contains(errors, e => e.StartsWith("Table:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Columns:1:Type: SQL type 'VARCHAR' needs a length", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Columns:2:Name: column 'pin_id' is defined twice", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Columns:2:Type: unsupported SQL type 'GEOMETRY'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Key: 'nope' is not one of the configured columns", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_BulkCopyWithUpsert_NamesWriteMethod()
    {
        var errors = SqlTableSchema.Validate(new SqlLoadOptions
        {
            Mode = SqlLoadMode.Upsert,
            Key = ["pin_id"],
            WriteMethod = SqlWriteMethod.BulkCopy,
            Columns = [new SqlColumnOptions { Name = "pin_id", Type = "BIGINT" }],
        });

        Assert.Contains(errors, e => e.StartsWith("WriteMethod: BulkCopy writes append mode only", StringComparison.Ordinal));
    }

    [Fact]
    public void CreateStatement_Upsert_KeyColumnsNotNull()
    {
        var schema = SqlTableSchema.Create(new SqlLoadOptions
        {
            Mode = SqlLoadMode.Upsert,
            Key = ["pin_id"],
            Columns = [new SqlColumnOptions { Name = "pin_id", Type = "BIGINT" }, new SqlColumnOptions { Name = "category", Type = "VARCHAR(32)" }],
        });

        Assert.Equal("CREATE TABLE IF NOT EXISTS `pin_events` (`kafka_partition` INT NOT NULL, `kafka_offset` BIGINT NOT NULL, `pin_id` BIGINT NOT NULL, `category` VARCHAR(32) NULL, PRIMARY KEY (`pin_id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4", schema.CreateStatement());
    }
}
