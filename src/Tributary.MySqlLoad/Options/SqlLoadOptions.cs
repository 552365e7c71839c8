using Tributary.Storage;

namespace Tributary.MySqlLoad;

/// <summary>How rows land in the table.</summary>
public enum SqlLoadMode
{
    /// <summary>Every event is a row; the primary key is <c>(kafka_partition, kafka_offset)</c>, so a replayed batch cannot duplicate.</summary>
    Append,

    /// <summary>One row per <see cref="SqlLoadOptions.Key"/>; the event with the larger Kafka offset wins, also under replays.</summary>
    Upsert,
}

/// <summary>The write path of a batch (measured in the README: multi-row INSERT is the default).</summary>
public enum SqlWriteMethod
{
    /// <summary>Multi-row <c>INSERT … ON DUPLICATE KEY UPDATE</c> statements of up to <see cref="SqlLoadOptions.RowsPerStatement"/> rows.</summary>
    Insert,

    /// <summary><c>MySqlBulkCopy</c> (LOAD DATA LOCAL INFILE) into a temporary table, then one <c>INSERT … SELECT</c> (needs AllowLoadLocalInfile=true).</summary>
    BulkCopy,
}

/// <summary>One configured column: its name in the table, its SQL type, and the event field it comes from.</summary>
public sealed class SqlColumnOptions
{
    /// <summary>The column's name in the table.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>Its SQL type as written in <c>CREATE TABLE</c> (BIGINT, VARCHAR(64), DATETIME(3), DOUBLE, DECIMAL(12,2), BOOLEAN, TEXT, JSON, …).</summary>
    public string Type { get; set; } = string.Empty;

    /// <summary>The top-level event field it is read from (default: <see cref="Name"/>).</summary>
    public string? Source { get; set; }

    /// <summary>Whether the column accepts NULL (a missing or null field); key columns never do.</summary>
    public bool Nullable { get; set; } = true;
}

/// <summary>
/// The loader's configuration (section <c>Tributary:SqlSink</c> in the silo): where the table lives, its schema,
/// the mode and the batching. The table always has <c>kafka_partition</c> and <c>kafka_offset</c> besides the
/// configured columns.
/// </summary>
public sealed class SqlLoadOptions
{
    /// <summary>MySqlConnector connection string (server, port, database, user, password).</summary>
    [Redact]
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>The table rows go to (created when absent).</summary>
    public string Table { get; set; } = "pin_events";

    /// <summary>The offsets table: <c>(sink, topic, kafka_partition) → next_offset</c>, written in each batch's transaction.</summary>
    public string OffsetsTable { get; set; } = "tributary_sql_offsets";

    /// <summary>The sink's name in the offsets table (several sinks may share one).</summary>
    public string SinkName { get; set; } = "sql";

    /// <summary>Append (default) or upsert.</summary>
    public SqlLoadMode Mode { get; set; } = SqlLoadMode.Append;

    /// <summary>Upsert only: the columns that identify a row (its primary key).</summary>
    public List<string> Key { get; set; } = [];

    /// <summary>The configured columns, in table order.</summary>
    public List<SqlColumnOptions> Columns { get; set; } = [];

    /// <summary>Insert (default) or bulk copy.</summary>
    public SqlWriteMethod WriteMethod { get; set; } = SqlWriteMethod.Insert;

    /// <summary>Rows per multi-row INSERT statement.</summary>
    public int RowsPerStatement { get; set; } = 1000;

    /// <summary>Attempts of one transaction that hits a deadlock or a lock wait timeout before the failure surfaces.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The session's <c>innodb_lock_wait_timeout</c> in seconds: a write waiting longer on a lock is retried.</summary>
    public int LockWaitTimeoutSeconds { get; set; } = 10;

    /// <summary>Whether the loader creates the table (and the offsets table) when absent.</summary>
    public bool CreateTable { get; set; } = true;
}
