namespace Tributary;

/// <summary>
/// Snapshots one MySQL shard from a replica into Parquet (Tracker): daily at the configured UTC time
/// (a reminder) and on demand. Key: <see cref="ShardKey"/> (<c>{cluster}/{shard}</c>).
/// </summary>
[Alias("tributary.IShardSnapshotGrain")]
public interface IShardSnapshotGrain : IGrainWithStringKey
{
    /// <summary>
    /// Starts a snapshot for <paramref name="date"/> (UTC today when null) and returns at once; when one is
    /// already running, returns its status instead of starting another.
    /// </summary>
    [Alias("StartSnapshot")]
    Task<ShardSnapshotStatus> StartSnapshotAsync(DateOnly? date = null);

    /// <summary>Current progress (rows, chunks, ETA) and the outcome of the last snapshot.</summary>
    [Alias("GetStatus")]
    Task<ShardSnapshotStatus> GetStatusAsync();
}

/// <summary>Where a shard's snapshot stands.</summary>
[GenerateSerializer, Alias("tributary.ShardSnapshotState")]
public enum ShardSnapshotState
{
    /// <summary>Never ran on this activation's durable state.</summary>
    Idle,

    /// <summary>Running now.</summary>
    Running,

    /// <summary>The last snapshot completed.</summary>
    Succeeded,

    /// <summary>The last snapshot failed (see <see cref="ShardSnapshotStatus.LastError"/>).</summary>
    Failed,
}

/// <summary>Progress and last outcome of one shard's snapshots.</summary>
[GenerateSerializer, Immutable, Alias("tributary.ShardSnapshotStatus")]
public sealed record ShardSnapshotStatus
{
    [Id(0)] public required string Cluster { get; init; }
    [Id(1)] public required int Shard { get; init; }
    [Id(2)] public ShardSnapshotState State { get; init; }
    /// <summary>probing, opening, planning, dumping, done.</summary>
    [Id(3)] public string? Phase { get; init; }
    /// <summary>Replica being read (or last read).</summary>
    [Id(4)] public string? Replica { get; init; }
    [Id(5)] public int ChunksTotal { get; init; }
    [Id(6)] public int ChunksDone { get; init; }
    [Id(7)] public long RowsDone { get; init; }
    [Id(8)] public long RowsEstimated { get; init; }
    /// <summary>Estimated time left while dumping.</summary>
    [Id(9)] public TimeSpan? Eta { get; init; }
    /// <summary>Date (dt=) of the running or last snapshot.</summary>
    [Id(10)] public DateOnly? Date { get; init; }
    [Id(11)] public DateTimeOffset? StartedAt { get; init; }
    [Id(12)] public DateTimeOffset? FinishedAt { get; init; }
    [Id(13)] public string? LastSnapshotId { get; init; }
    /// <summary>GTID position (gtid_slave_pos) of the last completed snapshot.</summary>
    [Id(14)] public string? LastGtid { get; init; }
    [Id(15)] public string? LastError { get; init; }
    /// <summary>When the daily reminder fires next; null when scheduling is off.</summary>
    [Id(16)] public DateTimeOffset? NextScheduledAt { get; init; }
}
