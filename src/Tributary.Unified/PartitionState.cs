namespace Tributary.Unified;

/// <summary>The reader of one partition: next offset, bounds and seek state. Owned by one task at a time (archive pump, then the live dispatcher).</summary>
internal sealed class PartitionState(int partition)
{
    public int Partition { get; } = partition;

    /// <summary>The next offset to yield; -1 until the beginning is resolved.</summary>
    public long Next { get; set; } = -1;

    public UnifiedPhase Phase { get; set; } = UnifiedPhase.Archive;

    /// <summary>Offset to stop before, or null.</summary>
    public long? UntilOffset { get; set; }

    /// <summary>Stop before the first record with a Kafka timestamp at or after this, or null.</summary>
    public long? UntilTimeMs { get; set; }

    /// <summary>Time seek not resolved yet: records before the first match are passed over.</summary>
    public long? SeekTimeMs { get; set; }

    public bool SeekByEventTime { get; set; }

    public bool Done { get; set; }

    public bool ReachedUntil => UntilOffset is { } until && Next >= until;
}
