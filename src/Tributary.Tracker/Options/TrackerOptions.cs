namespace Tributary.Tracker;

/// <summary>
/// Tracker's configuration (section <c>Tributary:Tracker</c>): the MySQL topology to snapshot, how to
/// snapshot it and when. Credentials are references (an environment variable or a file), never inline.
/// </summary>
public sealed class TrackerOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Tributary:Tracker";

    /// <summary>MySQL clusters by name (the name is the <c>{cluster}</c> of the output paths).</summary>
    public Dictionary<string, TrackerClusterOptions> Clusters { get; set; } = new(StringComparer.Ordinal);

    /// <summary>UTC time of day (<c>HH:mm</c>) of the daily snapshot of every shard.</summary>
    public string DailyAtUtc { get; set; } = "02:00";

    /// <summary>Whether the silo registers the daily reminders; on-demand snapshots work either way.</summary>
    public bool ScheduleEnabled { get; set; }

    /// <summary>Parallel snapshot sessions (connections) per shard.</summary>
    public int Connections { get; set; } = 4;

    /// <summary>Primary-key rows per chunk (one Parquet part file per chunk).</summary>
    public int ChunkRows { get; set; } = 100_000;

    /// <summary>Rows per Parquet row group inside a part.</summary>
    public int RowGroupRows { get; set; } = 100_000;

    /// <summary>Replicas further behind their primary than this (Seconds_Behind_Master) are skipped.</summary>
    public int MaxLagSeconds { get; set; } = 300;

    /// <summary>Seconds to wait for a TCP connection to a host.</summary>
    public int ConnectTimeoutSeconds { get; set; } = 5;

    /// <summary>
    /// Read chunks with server-side prepared statements (MySQL's binary row protocol: no number/date text
    /// formatting on the server and no parsing on the client). Turn off behind proxies that do not support them.
    /// </summary>
    public bool UseBinaryProtocol { get; set; } = true;

    /// <summary>Parquet compression codec of the parts: <c>Snappy</c>, <c>Lz4Raw</c>, <c>Zstd</c>, <c>Gzip</c> or <c>None</c>.</summary>
    public string Compression { get; set; } = "Snappy";

    /// <summary>Top-level prefix of every object Tracker writes (<c>mysql</c>).</summary>
    public string Prefix { get; set; } = "mysql";
}

/// <summary>One MySQL cluster: its shards, the credentials to use, and which databases and tables to snapshot.</summary>
public sealed class TrackerClusterOptions
{
    /// <summary>How to log in; the password comes from an environment variable or a file.</summary>
    public TrackerCredentialOptions Credentials { get; set; } = new();

    /// <summary>Shards by id; each lists its hosts (primary and replicas, roles are discovered).</summary>
    public List<TrackerShardOptions> Shards { get; set; } = [];

    /// <summary>Database name patterns to snapshot (<c>*</c> and <c>?</c> wildcards); empty means every non-system database.</summary>
    public List<string> IncludeDatabases { get; set; } = [];

    /// <summary>Database name patterns to skip.</summary>
    public List<string> ExcludeDatabases { get; set; } = [];

    /// <summary>Table patterns (<c>table</c> or <c>db.table</c>, wildcards allowed) to snapshot; empty means all.</summary>
    public List<string> IncludeTables { get; set; } = [];

    /// <summary>Table patterns (<c>table</c> or <c>db.table</c>) to skip.</summary>
    public List<string> ExcludeTables { get; set; } = [];
}

/// <summary>One shard: a primary and its replicas, in any order.</summary>
public sealed class TrackerShardOptions
{
    /// <summary>Shard number (the <c>{shard}</c> of the output paths).</summary>
    public int Id { get; set; }

    /// <summary>
    /// Hosts as <c>host:port</c>, or <c>env:NAME</c> to read <c>host:port</c> from an environment
    /// variable (development set-ups whose ports are chosen at start).
    /// </summary>
    public List<string> Hosts { get; set; } = [];
}

/// <summary>Credentials by reference: a user name (inline or from the environment) and a password from the environment or a file.</summary>
public sealed class TrackerCredentialOptions
{
    /// <summary>User name, inline (a user name is not a secret).</summary>
    public string? User { get; set; }

    /// <summary>Environment variable holding the user name (wins over <see cref="User"/>).</summary>
    public string? UserEnv { get; set; }

    /// <summary>Environment variable holding the password.</summary>
    public string? PasswordEnv { get; set; }

    /// <summary>File holding the password (trailing newline ignored), e.g. a mounted secret.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>Never set: present only so that an inline password is rejected at start-up rather than silently used.</summary>
    public string? Password { get; set; }
}
