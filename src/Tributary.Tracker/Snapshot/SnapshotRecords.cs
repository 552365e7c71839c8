using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tributary.Tracker;

/// <summary>Object keys of one shard's snapshot for one date.</summary>
public sealed class SnapshotPaths(string prefix, string cluster, int shard, DateOnly date)
{
    private readonly string _date = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary><c>{prefix}/{cluster}/{db}/{table}/dt={date}/shard={shard}/</c>.</summary>
    public string TableDirectory(string database, string table)
        => string.Create(CultureInfo.InvariantCulture, $"{prefix}/{cluster}/{database}/{table}/dt={_date}/shard={shard}/");

    /// <summary><c>.../part-{n:D5}.parquet</c>.</summary>
    public string Part(string database, string table, int chunk)
        => string.Create(CultureInfo.InvariantCulture, $"{TableDirectory(database, table)}part-{chunk:D5}.parquet");

    /// <summary><c>.../schema.json</c>.</summary>
    public string Schema(string database, string table) => TableDirectory(database, table) + "schema.json";

    /// <summary><c>.../_SUCCESS</c>: the table's manifest, written last.</summary>
    public string Success(string database, string table) => TableDirectory(database, table) + "_SUCCESS";

    /// <summary>The shard's resumable progress: <c>{prefix}/{cluster}/_snapshots/shard={shard}/dt={date}/progress.json</c>.</summary>
    public string Progress => string.Create(CultureInfo.InvariantCulture, $"{prefix}/{cluster}/_snapshots/shard={shard}/dt={_date}/progress.json");

    /// <summary>The shard's summary manifest, written when every table is done.</summary>
    public string ShardSuccess => string.Create(CultureInfo.InvariantCulture, $"{prefix}/{cluster}/_snapshots/shard={shard}/dt={_date}/_SUCCESS");
}

/// <summary>Where the replica stood when the snapshot sessions opened.</summary>
public sealed record SnapshotPosition(string Replica, string GtidSlavePos, string? GtidCurrentPos, string PrimaryLogFile, long PrimaryLogPos);

/// <summary>One dumped chunk: its part file, rows, size and checksum.</summary>
public sealed record ChunkRecord(int Chunk, string Key, long Rows, long Bytes, string XxHash64);

/// <summary>One table's plan: how many chunks and a fingerprint of their key boundaries.</summary>
public sealed record TablePlanRecord(string Table, int Chunks, string PlanFingerprint, string SchemaFingerprint);

/// <summary>
/// The shard's progress within one snapshot (one date): the position, the plan, and every completed chunk.
/// Rewritten after each chunk; a fresh run resumes from it when the replica is at the same position.
/// </summary>
public sealed record SnapshotProgressRecord
{
    /// <summary>Identifies this snapshot attempt.</summary>
    public required string SnapshotId { get; init; }

    /// <summary>The consistent position.</summary>
    public required SnapshotPosition Position { get; init; }

    /// <summary>Tables and their plans.</summary>
    public required List<TablePlanRecord> Tables { get; init; }

    /// <summary>Completed chunks by <c>db.table#chunk</c>.</summary>
    public Dictionary<string, ChunkRecord> Completed { get; init; } = new(StringComparer.Ordinal);

    /// <summary>When the snapshot finished; <see langword="null"/> while it runs.</summary>
    public DateTimeOffset? CompletedAt { get; set; }
}

/// <summary>A table's <c>_SUCCESS</c> manifest.</summary>
public sealed record TableManifest(
    string Cluster,
    int Shard,
    string Database,
    string Table,
    string Date,
    string SnapshotId,
    SnapshotPosition Position,
    string SchemaFingerprint,
    long Rows,
    IReadOnlyList<ChunkRecord> Chunks,
    DateTimeOffset CompletedAt);

/// <summary>A table's <c>schema.json</c>: the MySQL columns, their mapping and the primary key.</summary>
public sealed record SchemaDocument(string Database, string Table, string Fingerprint, IReadOnlyList<ColumnSchema> Columns, IReadOnlyList<string> PrimaryKey, string ZeroDates);

/// <summary>JSON settings of every Tracker document.</summary>
public static class TrackerJson
{
    /// <summary>camelCase, indented, enums as strings.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };
}
