namespace Tributary.Tracker;

/// <summary>Progress of a running shard snapshot, for progress bars and the dashboard.</summary>
public sealed record SnapshotProgress(
    string Cluster,
    int Shard,
    string Phase,
    string? Replica,
    int Tables,
    int ChunksTotal,
    int ChunksDone,
    long RowsDone,
    long RowsEstimated,
    TimeSpan Elapsed,
    TimeSpan? Eta);

/// <summary>The outcome of one shard snapshot.</summary>
public sealed record SnapshotResult(
    string SnapshotId,
    SnapshotPosition Position,
    int Tables,
    int Chunks,
    int ResumedChunks,
    long Rows,
    long Bytes,
    IReadOnlyList<string> FailedReplicas,
    TimeSpan Elapsed)
{
    /// <summary>Where the time went, summed over the sessions (so they can exceed <see cref="Elapsed"/>).</summary>
    public SnapshotTimings Timings { get; init; } = new(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);
}

/// <summary>
/// Time spent opening the consistent sessions and planning (wall clock), and, summed over sessions, reading rows
/// from MySQL into column buffers, encoding Parquet, and writing to the object store.
/// </summary>
public sealed record SnapshotTimings(TimeSpan Open, TimeSpan Plan, TimeSpan Read, TimeSpan Encode, TimeSpan Store);
