using System.Globalization;
using System.Text.RegularExpressions;
using MySqlConnector;

namespace Tributary.Tracker;

/// <summary>
/// Discovers the tables to snapshot and their schemas from information_schema, applying the cluster's
/// database and table include/exclude patterns (<c>*</c> and <c>?</c> wildcards; table patterns may be
/// <c>table</c> or <c>db.table</c>). System databases are never included. Base tables only (no views).
/// </summary>
public static class SchemaDiscovery
{
    private static readonly HashSet<string> SystemDatabases = new(StringComparer.OrdinalIgnoreCase)
    {
        "mysql", "information_schema", "performance_schema", "sys",
    };

    private static readonly HashSet<string> SpatialTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection",
    };

    /// <summary>Whether <paramref name="database"/>.<paramref name="table"/> passes <paramref name="cluster"/>'s filters.</summary>
    public static bool Includes(TrackerClusterOptions cluster, string database, string? table = null)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        if (SystemDatabases.Contains(database)
            || (cluster.IncludeDatabases.Count > 0 && !cluster.IncludeDatabases.Any(p => Matches(p, database)))
            || cluster.ExcludeDatabases.Any(p => Matches(p, database)))
        {
            return false;
        }

        if (table is null)
        {
            return true;
        }

        return (cluster.IncludeTables.Count == 0 || cluster.IncludeTables.Any(p => MatchesTable(p, database, table)))
            && !cluster.ExcludeTables.Any(p => MatchesTable(p, database, table));
    }

    /// <summary>
    /// The <c>IncludeDatabases</c> entries without wildcards that name none of <paramref name="databases"/> (index and
    /// entry): a typo there would otherwise give an empty snapshot that looks like success.
    /// </summary>
    public static IReadOnlyList<(int Index, string Entry)> UnmatchedIncludes(TrackerClusterOptions cluster, IEnumerable<string> databases)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var names = databases.ToList();
        return [.. cluster.IncludeDatabases
            .Select((entry, index) => (index, entry))
            .Where(x => x.entry.IndexOfAny(['*', '?']) < 0 && !names.Any(db => Matches(x.entry, db)))];
    }

    /// <summary>
    /// Reads every included table's schema, ordered by database and table name. Fails with
    /// <see cref="SnapshotConfigurationException"/> naming <c>Tributary:Tracker:Clusters:{clusterName}:IncludeDatabases:{i}</c>
    /// when an entry without wildcards matches no database of the server.
    /// </summary>
    public static async Task<IReadOnlyList<TableSchema>> DiscoverAsync(MySqlConnection connection, TrackerClusterOptions cluster, CancellationToken cancellationToken, string clusterName = "?")
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(cluster);
        if (cluster.IncludeDatabases.Count > 0)
        {
            var databases = new List<string>();
            await using (var command = new MySqlCommand("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA", connection))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    databases.Add(reader.GetString(0));
                }
            }

            if (UnmatchedIncludes(cluster, databases) is [var (index, entry), ..])
            {
                throw new SnapshotConfigurationException(
                    $"{TrackerOptions.SectionName}:Clusters:{clusterName}:IncludeDatabases:{index}",
                    $"'{entry}' matches no database on {connection.DataSource}.");
            }
        }

        var tables = new List<(string Db, string Table)>();
        await using (var command = new MySqlCommand(
            "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_SCHEMA, TABLE_NAME", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var db = reader.GetString(0);
                var table = reader.GetString(1);
                if (Includes(cluster, db, table))
                {
                    tables.Add((db, table));
                }
            }
        }

        var result = new List<TableSchema>(tables.Count);
        foreach (var (db, table) in tables)
        {
            result.Add(await DiscoverTableAsync(connection, db, table, cancellationToken).ConfigureAwait(false));
        }

        return result;
    }

    /// <summary>Reads one table's columns, JSON check constraints and primary key.</summary>
    public static async Task<TableSchema> DiscoverTableAsync(MySqlConnection connection, string database, string table, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);

        // MariaDB stores JSON as LONGTEXT with a json_valid() check constraint; MySQL reports DATA_TYPE 'json'.
        var jsonColumns = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        await using (var command = new MySqlCommand(
            "SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = @db AND TABLE_NAME = @t", connection))
        {
            command.Parameters.AddWithValue("@db", database);
            command.Parameters.AddWithValue("@t", table);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var match = Regex.Match(reader.GetString(0), @"^json_valid\(`(?<c>(?:[^`]|``)+)`\)$", RegexOptions.IgnoreCase);
                if (match.Success)
                {
                    jsonColumns.Add(match.Groups["c"].Value.Replace("``", "`", StringComparison.Ordinal));
                }
            }
        }

        var columns = new List<ColumnSchema>();
        await using (var command = new MySqlCommand(
            """
            SELECT COLUMN_NAME, ORDINAL_POSITION, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, NUMERIC_PRECISION, NUMERIC_SCALE, CHARACTER_SET_NAME
            FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = @db AND TABLE_NAME = @t ORDER BY ORDINAL_POSITION
            """, connection))
        {
            command.Parameters.AddWithValue("@db", database);
            command.Parameters.AddWithValue("@t", table);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var name = reader.GetString(0);
                var dataType = reader.GetString(2).ToLowerInvariant();
                var columnType = reader.GetString(3).ToLowerInvariant();
                var precision = reader.IsDBNull(5) ? 0 : Convert.ToInt32(reader.GetValue(5), CultureInfo.InvariantCulture);
                var scale = reader.IsDBNull(6) ? 0 : Convert.ToInt32(reader.GetValue(6), CultureInfo.InvariantCulture);
                var charset = reader.IsDBNull(7) ? null : reader.GetString(7);
                var kind = jsonColumns.Contains(name) ? ColumnKind.Json : KindOf(dataType, columnType, precision);
                columns.Add(new ColumnSchema(name, Convert.ToInt32(reader.GetValue(1), CultureInfo.InvariantCulture), dataType, columnType,
                    string.Equals(reader.GetString(4), "YES", StringComparison.Ordinal), kind, precision, scale, charset));
            }
        }

        if (columns.Count == 0)
        {
            throw new InvalidOperationException($"table {database}.{table} has no columns visible to the snapshot user (check its SELECT grant).");
        }

        var primaryKey = new List<string>();
        await using (var command = new MySqlCommand(
            "SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = @db AND TABLE_NAME = @t AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX", connection))
        {
            command.Parameters.AddWithValue("@db", database);
            command.Parameters.AddWithValue("@t", table);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                primaryKey.Add(reader.GetString(0));
            }
        }

        return new TableSchema(database, table, columns, primaryKey);
    }

    /// <summary>The mapping of one column type (see <see cref="ColumnKind"/>).</summary>
    public static ColumnKind KindOf(string dataType, string columnType, int precision)
    {
        ArgumentNullException.ThrowIfNull(dataType);
        ArgumentNullException.ThrowIfNull(columnType);
        var unsigned = columnType.Contains("unsigned", StringComparison.OrdinalIgnoreCase);
        return dataType.ToLowerInvariant() switch
        {
            "tinyint" => unsigned ? ColumnKind.UInt8 : ColumnKind.Int8,
            "smallint" => unsigned ? ColumnKind.UInt16 : ColumnKind.Int16,
            "mediumint" or "int" or "integer" => unsigned ? ColumnKind.UInt32 : ColumnKind.Int32,
            "bigint" => unsigned ? ColumnKind.UInt64 : ColumnKind.Int64,
            "decimal" or "numeric" => precision switch { <= 28 => ColumnKind.Decimal, <= 38 => ColumnKind.BigDecimal, _ => ColumnKind.DecimalText },
            "float" => ColumnKind.Float,
            "double" or "real" => ColumnKind.Double,
            "date" => ColumnKind.Date,
            "datetime" => ColumnKind.DateTime,
            "timestamp" => ColumnKind.Timestamp,
            "time" => ColumnKind.Time,
            "year" => ColumnKind.Year,
            "char" or "varchar" or "tinytext" or "text" or "mediumtext" or "longtext" => ColumnKind.String,
            "binary" or "varbinary" or "tinyblob" or "blob" or "mediumblob" or "longblob" => ColumnKind.Bytes,
            "bit" => ColumnKind.Bit,
            "enum" => ColumnKind.Enum,
            "set" => ColumnKind.Set,
            "json" => ColumnKind.Json,
            var t when SpatialTypes.Contains(t) => ColumnKind.Spatial,
            _ => ColumnKind.Other,
        };
    }

    private static bool MatchesTable(string pattern, string database, string table)
    {
        var dot = pattern.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? Matches(pattern, table) : Matches(pattern[..dot], database) && Matches(pattern[(dot + 1)..], table);
    }

    private static bool Matches(string pattern, string value)
        => Regex.IsMatch(value, "^" + Regex.Escape(pattern).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant);
}
