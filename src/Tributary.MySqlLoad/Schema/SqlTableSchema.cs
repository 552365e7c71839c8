using System.Globalization;

namespace Tributary.MySqlLoad;

/// <summary>One column of the table: name, parsed type, whether NULL is allowed.</summary>
public sealed record SqlColumn(string Name, SqlColumnType Type, bool Nullable, string TypeText);

/// <summary>
/// The table the loader writes: <c>kafka_partition</c>, <c>kafka_offset</c>, then the value columns (the configured
/// ones followed by the row transform's extra columns), and the primary key of the mode.
/// </summary>
public sealed class SqlTableSchema
{
    /// <summary>The partition column (part of the append primary key).</summary>
    public const string PartitionColumn = "kafka_partition";

    /// <summary>The offset column (part of the append primary key; decides "latest" in upsert mode).</summary>
    public const string OffsetColumn = "kafka_offset";

    private SqlTableSchema(string table, IReadOnlyList<SqlColumn> values, IReadOnlyList<string> primaryKey, SqlLoadMode mode)
    {
        Table = table;
        ValueColumns = values;
        PrimaryKey = primaryKey;
        Mode = mode;
        AllColumns = [new SqlColumn(PartitionColumn, SqlColumnType.Parse("INT"), false, "INT"), new SqlColumn(OffsetColumn, SqlColumnType.Parse("BIGINT"), false, "BIGINT"), .. values];
    }

    /// <summary>The table's name.</summary>
    public string Table { get; }

    /// <summary>Append or upsert.</summary>
    public SqlLoadMode Mode { get; }

    /// <summary>The columns a row transform fills, in order (configured, then extra).</summary>
    public IReadOnlyList<SqlColumn> ValueColumns { get; }

    /// <summary>Every column of the table: partition, offset, then <see cref="ValueColumns"/>.</summary>
    public IReadOnlyList<SqlColumn> AllColumns { get; }

    /// <summary>The primary key's columns.</summary>
    public IReadOnlyList<string> PrimaryKey { get; }

    /// <summary>
    /// Builds the schema from options plus a transform's extra columns.
    /// </summary>
    /// <exception cref="ArgumentException">A column is invalid; the message names it as <c>Columns:{i}:…</c> or <c>Key</c>.</exception>
    public static SqlTableSchema Create(SqlLoadOptions options, IReadOnlyList<(string Name, string SqlType)>? extraColumns = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = Validate(options, extraColumns);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", errors));
        }

        var key = options.Mode == SqlLoadMode.Upsert ? options.Key : [PartitionColumn, OffsetColumn];
        var values = new List<SqlColumn>();
        foreach (var c in options.Columns)
        {
            values.Add(new SqlColumn(c.Name, SqlColumnType.Parse(c.Type), c.Nullable && !key.Contains(c.Name, StringComparer.OrdinalIgnoreCase), c.Type));
        }

        foreach (var (name, type) in extraColumns ?? [])
        {
            values.Add(new SqlColumn(name, SqlColumnType.Parse(type), !key.Contains(name, StringComparer.OrdinalIgnoreCase), type));
        }

        return new SqlTableSchema(options.Table, values, key, options.Mode);
    }

    /// <summary>
    /// Checks the options' table, columns and key; each error names the key as a user writes it under the section
    /// (<c>Columns:2:Type</c>, <c>Key</c>, <c>Table</c>).
    /// </summary>
    public static List<string> Validate(SqlLoadOptions options, IReadOnlyList<(string Name, string SqlType)>? extraColumns = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (!IsIdentifier(options.Table))
        {
            errors.Add($"Table: '{options.Table}' is not a table name (letters, digits, '_', '$'; at most 64)");
        }

        if (!IsIdentifier(options.OffsetsTable))
        {
            errors.Add($"OffsetsTable: '{options.OffsetsTable}' is not a table name");
        }

        if (options.Columns.Count == 0 && (extraColumns is null || extraColumns.Count == 0))
        {
            errors.Add("Columns: at least one column is required");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { PartitionColumn, OffsetColumn };
        for (var i = 0; i < options.Columns.Count; i++)
        {
            var c = options.Columns[i];
            var at = string.Create(CultureInfo.InvariantCulture, $"Columns:{i}");
            if (!IsIdentifier(c.Name))
            {
                errors.Add($"{at}:Name: '{c.Name}' is not a column name");
            }
            else if (!names.Add(c.Name))
            {
                errors.Add($"{at}:Name: column '{c.Name}' is defined twice (kafka_partition and kafka_offset are always present)");
            }

            try
            {
                SqlColumnType.Parse(c.Type);
            }
            catch (FormatException ex)
            {
                errors.Add($"{at}:Type: {ex.Message}");
            }

            if (c.Source is { Length: 0 })
            {
                errors.Add($"{at}:Source: empty (leave it out to read the field named like the column)");
            }
        }

        foreach (var (name, type) in extraColumns ?? [])
        {
            if (!IsIdentifier(name) || !names.Add(name))
            {
                errors.Add($"the row transform's column '{name}' is not a valid, unique column name");
            }

            try
            {
                SqlColumnType.Parse(type);
            }
            catch (FormatException ex)
            {
                errors.Add($"the row transform's column '{name}': {ex.Message}");
            }
        }

        if (options.Mode == SqlLoadMode.Upsert)
        {
            if (options.Key.Count == 0)
            {
                errors.Add("Key: upsert mode needs the key columns");
            }

            foreach (var k in options.Key)
            {
                if (!names.Contains(k) || k.Equals(OffsetColumn, StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add($"Key: '{k}' is not one of the configured columns");
                }
            }
        }
        else if (options.Key.Count > 0)
        {
            errors.Add("Key: only upsert mode has a configured key (append's key is (kafka_partition, kafka_offset))");
        }

        if (options.WriteMethod == SqlWriteMethod.BulkCopy && options.Mode != SqlLoadMode.Append)
        {
            errors.Add("WriteMethod: BulkCopy writes append mode only (upsert needs INSERT … ON DUPLICATE KEY UPDATE)");
        }

        if (options.RowsPerStatement is < 1 or > 100_000)
        {
            errors.Add($"RowsPerStatement: {options.RowsPerStatement} is outside 1..100000");
        }

        if (options.MaxAttempts is < 1 or > 100)
        {
            errors.Add($"MaxAttempts: {options.MaxAttempts} is outside 1..100");
        }

        return errors;
    }

    /// <summary>The <c>CREATE TABLE IF NOT EXISTS</c> statement of the table.</summary>
    public string CreateStatement()
    {
        var columns = AllColumns.Select(c => $"{Quote(c.Name)} {c.TypeText}{(c.Nullable ? " NULL" : " NOT NULL")}");
        return $"CREATE TABLE IF NOT EXISTS {Quote(Table)} ({string.Join(", ", columns)}, PRIMARY KEY ({string.Join(", ", PrimaryKey.Select(Quote))})) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
    }

    /// <summary>Quotes an identifier with backticks.</summary>
    public static string Quote(string identifier) => "`" + identifier.Replace("`", "``", StringComparison.Ordinal) + "`";

    internal static bool IsIdentifier(string? name)
        => name is { Length: > 0 and <= 64 } && name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '_' or '$');
}
