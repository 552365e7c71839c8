using System.Data;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MySqlConnector;

namespace Tributary.MySqlLoad;

/// <summary>
/// Writes batches of one Kafka partition into a MySQL-protocol table together with the partition's next offset,
/// in one transaction, so the table and the offsets table never disagree: a crash anywhere leaves both as they were
/// before the batch or both after it. It also creates (or checks) the table and reads the offset back.
/// </summary>
/// <remarks>
/// Each write locks its partition's row of the offsets table first (<c>SELECT … FOR UPDATE</c>), so two writers of one
/// partition (a stale activation and its successor) never interleave, and rows below the committed offset are skipped.
/// Values are checked against the column types before the statement (a bad row is refused with the column and the
/// reason, and the others are written); a row the server still refuses is found by bisecting its statement inside the
/// transaction (a failed statement rolls back alone). Deadlocks and lock wait timeouts retry the whole transaction;
/// a lost or unreachable server surfaces as <see cref="SqlUnavailableException"/> with nothing committed.
/// </remarks>
public sealed partial class MySqlTableLoader
{
    private const string SessionSql = "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', time_zone = '+00:00', innodb_lock_wait_timeout = ";
    private readonly SqlLoadOptions _options;
    private readonly ILogger _logger;
    private readonly string _connectionString;
    private readonly string _insertPrefix;
    private readonly string _insertSuffix;
    private readonly string _quotedOffsets;

    /// <summary>Creates a loader for <paramref name="options"/> plus the row transform's <paramref name="extraColumns"/>.</summary>
    /// <exception cref="ArgumentException">The options are invalid (the message names the key).</exception>
    public MySqlTableLoader(SqlLoadOptions options, IReadOnlyList<(string Name, string SqlType)>? extraColumns = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        Schema = SqlTableSchema.Create(options, extraColumns);
        var builder = new MySqlConnectionStringBuilder(options.ConnectionString);
        if (options.WriteMethod == SqlWriteMethod.BulkCopy)
        {
            builder.AllowLoadLocalInfile = true;
        }

        _connectionString = builder.ConnectionString;
        _quotedOffsets = SqlTableSchema.Quote(options.OffsetsTable);
        var columns = string.Join(", ", Schema.AllColumns.Select(c => SqlTableSchema.Quote(c.Name)));
        _insertPrefix = $"INSERT INTO {SqlTableSchema.Quote(Schema.Table)} ({columns}) VALUES ";
        _insertSuffix = Schema.Mode == SqlLoadMode.Append
            ? $" ON DUPLICATE KEY UPDATE {SqlTableSchema.Quote(SqlTableSchema.OffsetColumn)} = {SqlTableSchema.Quote(SqlTableSchema.OffsetColumn)}"
            : UpsertSuffix(Schema);
    }

    /// <summary>The table's schema.</summary>
    public SqlTableSchema Schema { get; }

    /// <summary>Called before a transaction is tried again (attempt number of the failed try, the error); tests use it as a barrier.</summary>
    public Action<int, MySqlException>? OnRetrying { get; set; }

    /// <summary>
    /// Creates the table and the offsets table when absent (<see cref="SqlLoadOptions.CreateTable"/>), and checks that an
    /// existing table has every column with the configured type and the mode's primary key.
    /// </summary>
    /// <exception cref="SqlSchemaMismatchException">The existing table differs; the message names the column.</exception>
    /// <exception cref="SqlUnavailableException">The server cannot be reached.</exception>
    public async Task EnsureTableAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_options.CreateTable)
            {
                await ExecuteAsync(connection, null, Schema.CreateStatement(), cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(connection, null, $"CREATE TABLE IF NOT EXISTS {_quotedOffsets} (`sink` VARCHAR(128) NOT NULL, `topic` VARCHAR(249) NOT NULL, `kafka_partition` INT NOT NULL, `next_offset` BIGINT NOT NULL, `updated_at` TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), PRIMARY KEY (`sink`, `topic`, `kafka_partition`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4", cancellationToken).ConfigureAwait(false);
            }

            await CheckTableAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (MySqlException ex) when (IsUnavailable(ex))
        {
            throw Unavailable("creating or checking table " + Schema.Table, ex);
        }
    }

    /// <summary>The partition's next offset as last committed with its rows, or null when this sink never wrote it.</summary>
    /// <exception cref="SqlUnavailableException">The server cannot be reached.</exception>
    public async Task<long?> ReadNextOffsetAsync(string topic, int partition, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = OffsetQuery(connection, null, topic, partition, forUpdate: false);
            var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return value is null or DBNull || Convert.ToInt64(value, CultureInfo.InvariantCulture) is var next && next < 0 ? null : next;
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable($"reading the offset of {topic}[{partition}]", ex);
        }
    }

    /// <summary>
    /// Checks and converts a transform's values to what the table takes; false with the reason naming the column when a
    /// value violates it (too long, wrong type, out of range, NULL in a NOT NULL column).
    /// </summary>
    public bool TryPrepare(object?[] values, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(values);
        var columns = Schema.ValueColumns;
        if (values.Length != columns.Count)
        {
            reason = $"the row has {values.Length} values for {columns.Count} columns";
            return false;
        }

        for (var i = 0; i < values.Length; i++)
        {
            var column = columns[i];
            if (values[i] is null)
            {
                if (!column.Nullable)
                {
                    reason = $"column '{column.Name}': NULL (field missing or null) in a NOT NULL column";
                    return false;
                }

                continue;
            }

            if (!column.Type.TryConvert(values[i], out var converted, out var why))
            {
                reason = $"column '{column.Name}': {why}";
                return false;
            }

            values[i] = converted;
        }

        reason = null;
        return true;
    }

    /// <summary>
    /// Writes <paramref name="rows"/> (offsets increasing) of <paramref name="topic"/>[<paramref name="partition"/>] and
    /// sets the partition's next offset to <paramref name="nextOffset"/>, in one transaction. Rows the table refuses are
    /// not written and are passed to <paramref name="beforeCommit"/> (called on every attempt, also with none), which
    /// runs inside the transaction just before the commit (the sink sends them and its other dead letters there and
    /// waits for Kafka's acknowledgement, so a refused row is never consumed without one). It may run on any thread.
    /// </summary>
    /// <exception cref="SqlUnavailableException">Nothing was committed; retry later.</exception>
    public async Task<SqlWriteResult> WriteAsync(
        string topic,
        int partition,
        IReadOnlyList<SqlRow> rows,
        long nextOffset,
        Func<IReadOnlyList<SqlRejectedRow>, Task>? beforeCommit = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(rows);
        var prepared = new List<SqlRow>(rows.Count);
        var refused = new List<SqlRejectedRow>();
        foreach (var row in rows)
        {
            var values = (object?[])row.Values.Clone();
            if (TryPrepare(values, out var reason))
            {
                prepared.Add(new SqlRow(row.Offset, values));
            }
            else
            {
                refused.Add(new SqlRejectedRow(row.Offset, reason!));
            }
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await WriteOnceAsync(topic, partition, prepared, refused, nextOffset, beforeCommit, attempt, cancellationToken).ConfigureAwait(false);
            }
            catch (MySqlException ex) when (IsLockConflict(ex))
            {
                if (attempt >= _options.MaxAttempts)
                {
                    throw Unavailable($"writing {topic}[{partition}]: {attempt} attempts ended in lock conflicts", ex);
                }

                LoaderLog.Retrying(_logger, topic, partition, attempt, ex.ErrorCode.ToString(), ex);
                OnRetrying?.Invoke(attempt, ex);
            }
            catch (Exception ex) when (IsUnavailable(ex))
            {
                throw Unavailable($"writing {topic}[{partition}]", ex);
            }
        }
    }

    private async Task<SqlWriteResult> WriteOnceAsync(
        string topic,
        int partition,
        List<SqlRow> prepared,
        List<SqlRejectedRow> refused,
        long nextOffset,
        Func<IReadOnlyList<SqlRejectedRow>, Task>? beforeCommit,
        int attempt,
        CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);

        // The partition's offsets row is the per-partition writer lock: taken first (inserted with the sentinel -1 when
        // the partition is new, so there is always a row to lock; the sentinel never commits), held to the commit.
        long? stored;
        await using (var lookup = OffsetQuery(connection, transaction, topic, partition, forUpdate: true))
        {
            lookup.CommandText = $"INSERT INTO {_quotedOffsets} (`sink`, `topic`, `kafka_partition`, `next_offset`) VALUES (@sink, @topic, @partition, -1) ON DUPLICATE KEY UPDATE `next_offset` = `next_offset`; " + lookup.CommandText;
            var value = await lookup.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            stored = value is null or DBNull ? null : Convert.ToInt64(value, CultureInfo.InvariantCulture);
            stored = stored < 0 ? null : stored;
        }

        var from = stored ?? long.MinValue;
        var fresh = prepared.Where(r => r.Offset >= from).ToList();
        var rejected = refused.Where(r => r.Offset >= from).ToList();
        var skipped = prepared.Count - fresh.Count;
        if (fresh.Count > 0)
        {
            if (_options.WriteMethod == SqlWriteMethod.BulkCopy)
            {
                await BulkCopyAsync(connection, transaction, partition, fresh, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                for (var start = 0; start < fresh.Count; start += _options.RowsPerStatement)
                {
                    await InsertAsync(connection, transaction, partition, fresh, start, Math.Min(fresh.Count, start + _options.RowsPerStatement), rejected, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        var committedNext = Math.Max(nextOffset, stored ?? long.MinValue);
        await using (var upsert = new MySqlCommand($"INSERT INTO {_quotedOffsets} (`sink`, `topic`, `kafka_partition`, `next_offset`) VALUES (@sink, @topic, @partition, @next) ON DUPLICATE KEY UPDATE `next_offset` = GREATEST(`next_offset`, VALUES(`next_offset`))", connection, transaction))
        {
            upsert.Parameters.AddWithValue("@sink", _options.SinkName);
            upsert.Parameters.AddWithValue("@topic", topic);
            upsert.Parameters.AddWithValue("@partition", partition);
            upsert.Parameters.AddWithValue("@next", committedNext);
            await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        rejected.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        if (beforeCommit is not null)
        {
            await beforeCommit(rejected).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new SqlWriteResult(fresh.Count - (rejected.Count - refused.Count(r => r.Offset >= from)), rejected, skipped, committedNext, attempt);
    }

    /// <summary>Inserts rows [start, end); a statement the server refuses for a value is bisected down to the row.</summary>
    private async Task InsertAsync(MySqlConnection connection, MySqlTransaction transaction, int partition, List<SqlRow> rows, int start, int end, List<SqlRejectedRow> rejected, CancellationToken cancellationToken)
    {
        try
        {
            var sql = new StringBuilder(_insertPrefix, _insertPrefix.Length + ((end - start) * 64) + _insertSuffix.Length);
            for (var i = start; i < end; i++)
            {
                if (i > start)
                {
                    sql.Append(',');
                }

                AppendRow(sql, partition, rows[i]);
            }

            sql.Append(_insertSuffix);
            await ExecuteAsync(connection, transaction, sql.ToString(), cancellationToken).ConfigureAwait(false);
        }
        catch (MySqlException ex) when (IsRowError(ex))
        {
            // The failed statement rolled back alone; the transaction (and its offsets row lock) stays.
            if (end - start == 1)
            {
                rejected.Add(new SqlRejectedRow(rows[start].Offset, "refused by the server: " + ex.Message));
                return;
            }

            var mid = start + ((end - start) / 2);
            await InsertAsync(connection, transaction, partition, rows, start, mid, rejected, cancellationToken).ConfigureAwait(false);
            await InsertAsync(connection, transaction, partition, rows, mid, end, rejected, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task BulkCopyAsync(MySqlConnection connection, MySqlTransaction transaction, int partition, List<SqlRow> rows, CancellationToken cancellationToken)
    {
        var table = new DataTable();
        foreach (var column in Schema.AllColumns)
        {
            table.Columns.Add(column.Name, ClrType(column.Type));
        }

        foreach (var row in rows)
        {
            var values = new object?[row.Values.Length + 2];
            values[0] = partition;
            values[1] = row.Offset;
            Array.Copy(row.Values, 0, values, 2, row.Values.Length);
            for (var i = 0; i < values.Length; i++)
            {
                values[i] ??= DBNull.Value;
            }

            table.Rows.Add(values);
        }

        // Values were checked against the column types first, so IGNORE only skips replayed (duplicate) keys.
        var bulk = new MySqlBulkCopy(connection, transaction) { DestinationTableName = SqlTableSchema.Quote(Schema.Table), ConflictOption = MySqlBulkLoaderConflictOption.Ignore, BulkCopyTimeout = 0 };
        await bulk.WriteToServerAsync(table, cancellationToken).ConfigureAwait(false);
    }

    private static Type ClrType(SqlColumnType type) => type.Kind switch
    {
        SqlTypeKind.Integer or SqlTypeKind.Boolean => type.Unsigned ? typeof(ulong) : typeof(long),
        SqlTypeKind.Float => typeof(double),
        SqlTypeKind.Decimal => typeof(decimal),
        SqlTypeKind.Date or SqlTypeKind.DateTime => typeof(DateTime),
        _ => typeof(string),
    };

    private static void AppendRow(StringBuilder sql, int partition, SqlRow row)
    {
        sql.Append('(').Append(partition.ToString(CultureInfo.InvariantCulture)).Append(',').Append(row.Offset.ToString(CultureInfo.InvariantCulture));
        foreach (var value in row.Values)
        {
            sql.Append(',');
            AppendLiteral(sql, value);
        }

        sql.Append(')');
    }

    /// <summary>Appends a SQL literal (the connection's session keeps the default escaping: backslash and quote are escaped).</summary>
    internal static void AppendLiteral(StringBuilder sql, object? value)
    {
        switch (value)
        {
            case null:
                sql.Append("NULL");
                break;
            case long l:
                sql.Append(l.ToString(CultureInfo.InvariantCulture));
                break;
            case ulong u:
                sql.Append(u.ToString(CultureInfo.InvariantCulture));
                break;
            case int i:
                sql.Append(i.ToString(CultureInfo.InvariantCulture));
                break;
            case bool b:
                sql.Append(b ? '1' : '0');
                break;
            case double d:
                sql.Append(d.ToString("R", CultureInfo.InvariantCulture));
                break;
            case decimal m:
                sql.Append(m.ToString(CultureInfo.InvariantCulture));
                break;
            case DateTime t:
                sql.Append('\'').Append(t.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture)).Append('\'');
                break;
            case string s:
                sql.Append('\'');
                foreach (var ch in s)
                {
                    switch (ch)
                    {
                        case '\'':
                            sql.Append("''");
                            break;
                        case '\\':
                            sql.Append("\\\\");
                            break;
                        case '\0':
                            sql.Append("\\0");
                            break;
                        case '\u001a':
                            sql.Append("\\Z");
                            break;
                        default:
                            sql.Append(ch);
                            break;
                    }
                }

                sql.Append('\'');
                break;
            default:
                throw new ArgumentException($"no SQL literal for a {value.GetType().Name}", nameof(value));
        }
    }

    private static string UpsertSuffix(SqlTableSchema schema)
    {
        // Assignments run left to right and see earlier ones: value columns first, then the offset, the partition last,
        // each guarded by "the incoming event is newer" evaluated against the row's old partition and offset.
        const string P = "`kafka_partition`";
        const string O = "`kafka_offset`";
        var newer = $"(VALUES({P}) <> {P} OR VALUES({O}) > {O})";
        var sets = schema.ValueColumns
            .Where(c => !schema.PrimaryKey.Contains(c.Name, StringComparer.OrdinalIgnoreCase))
            .Select(c => SqlTableSchema.Quote(c.Name))
            .Select(q => $"{q} = IF({newer}, VALUES({q}), {q})")
            .Append($"{O} = IF({newer}, VALUES({O}), {O})")
            .Append($"{P} = IF(VALUES({P}) <> {P}, VALUES({P}), {P})");
        return " ON DUPLICATE KEY UPDATE " + string.Join(", ", sets);
    }

    private async Task CheckTableAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        var actual = new Dictionary<string, (string Type, bool Nullable, bool Key, bool HasDefault)>(StringComparer.OrdinalIgnoreCase);
        await using (var command = new MySqlCommand("SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY, COLUMN_DEFAULT IS NOT NULL OR EXTRA LIKE '%auto_increment%' FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @t ORDER BY ORDINAL_POSITION", connection))
        {
            command.Parameters.AddWithValue("@t", Schema.Table);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                actual[reader.GetString(0)] = (reader.GetString(1), reader.GetString(2) == "YES", reader.GetString(3) == "PRI", reader.GetInt64(4) != 0);
            }
        }

        if (actual.Count == 0)
        {
            throw new SqlSchemaMismatchException($"table '{Schema.Table}' does not exist (and CreateTable is false)");
        }

        foreach (var column in Schema.AllColumns)
        {
            if (!actual.TryGetValue(column.Name, out var found))
            {
                throw new SqlSchemaMismatchException($"table '{Schema.Table}' has no column '{column.Name}' (configured as {column.TypeText})");
            }

            SqlColumnType foundType;
            try
            {
                foundType = SqlColumnType.Parse(found.Type);
            }
            catch (FormatException)
            {
                throw new SqlSchemaMismatchException($"table '{Schema.Table}' column '{column.Name}' is {found.Type}, configured as {column.TypeText}");
            }

            if (foundType.Canonical != column.Type.Canonical)
            {
                throw new SqlSchemaMismatchException($"table '{Schema.Table}' column '{column.Name}' is {found.Type}, configured as {column.TypeText}");
            }
        }

        foreach (var (name, found) in actual)
        {
            if (!found.Nullable && !found.HasDefault && !Schema.AllColumns.Any(c => c.Name.Equals(name, StringComparison.OrdinalIgnoreCase)))
            {
                throw new SqlSchemaMismatchException($"table '{Schema.Table}' column '{name}' is NOT NULL without a default and not configured: the sink cannot fill it");
            }
        }

        var key = actual.Where(kv => kv.Value.Key).Select(kv => kv.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (!key.SetEquals(Schema.PrimaryKey))
        {
            throw new SqlSchemaMismatchException($"table '{Schema.Table}' has primary key ({string.Join(", ", key)}); {Schema.Mode} mode needs ({string.Join(", ", Schema.PrimaryKey)})");
        }
    }

    private MySqlCommand OffsetQuery(MySqlConnection connection, MySqlTransaction? transaction, string topic, int partition, bool forUpdate)
    {
        var command = new MySqlCommand($"SELECT `next_offset` FROM {_quotedOffsets} WHERE `sink` = @sink AND `topic` = @topic AND `kafka_partition` = @partition{(forUpdate ? " FOR UPDATE" : string.Empty)}", connection, transaction);
        command.Parameters.AddWithValue("@sink", _options.SinkName);
        command.Parameters.AddWithValue("@topic", topic);
        command.Parameters.AddWithValue("@partition", partition);
        return command;
    }

    private async Task<MySqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new MySqlConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, null, SessionSql + _options.LockWaitTimeoutSeconds.ToString(CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw Unavailable("connecting to " + connection.DataSource, ex);
        }
    }

    private static async Task ExecuteAsync(MySqlConnection connection, MySqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection, transaction) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static SqlUnavailableException Unavailable(string what, Exception ex) => ex as SqlUnavailableException ?? new SqlUnavailableException($"database unavailable while {what}: {ex.Message}", ex);

    private static bool IsLockConflict(MySqlException ex) => ex.ErrorCode is MySqlErrorCode.LockDeadlock or MySqlErrorCode.LockWaitTimeout;

    private static bool IsRowError(MySqlException ex) => ex.ErrorCode is MySqlErrorCode.DataTooLong or MySqlErrorCode.TruncatedWrongValueForField
        or MySqlErrorCode.WarningDataOutOfRange or MySqlErrorCode.TruncatedWrongValue or MySqlErrorCode.ColumnCannotBeNull
        or MySqlErrorCode.WarningDataTruncated or MySqlErrorCode.DivisionByZero or MySqlErrorCode.InvalidJsonText
        || ex.Number == 4025; // MariaDB ER_CONSTRAINT_FAILED (the JSON type's json_valid check)

    /// <summary>Whether <paramref name="ex"/> means the server is unreachable or the connection broke (retry later), not a bad statement.</summary>
    internal static bool IsUnavailable(Exception ex) => ex switch
    {
        SqlUnavailableException => true,
        MySqlException m => m.IsTransient || m.Number >= 2000 || m.ErrorCode is MySqlErrorCode.UnableToConnectToHost
            or MySqlErrorCode.ConnectionCountError or MySqlErrorCode.ServerShutdown or MySqlErrorCode.QueryInterrupted
            or MySqlErrorCode.TooManyUserConnections or MySqlErrorCode.UnknownError || m.Number is 1927 or 0,
        IOException or SocketException or EndOfStreamException or TimeoutException => true,
        InvalidOperationException { InnerException: { } inner } => IsUnavailable(inner),
        _ => false,
    };

    private static partial class LoaderLog
    {
        [LoggerMessage(EventId = 9301, Level = LogLevel.Warning, Message = "SQL write of {Topic}[{Partition}] hit {Error} on attempt {Attempt}; retrying the transaction")]
        public static partial void Retrying(ILogger logger, string topic, int partition, int attempt, string error, Exception exception);
    }
}
