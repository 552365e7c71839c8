namespace Tributary.Unified;

/// <summary>Where a <see cref="UnifiedRecord"/> was read from.</summary>
public enum UnifiedPhase
{
    /// <summary>An archive file (Parquet rows or the dead-letter file beside it).</summary>
    Archive,
    /// <summary>Live Kafka.</summary>
    Live,
}

/// <summary>
/// One offset of one Kafka partition as <see cref="UnifiedSource"/> yields it. The shape is the same on both sides of
/// the switch: with the archive's <c>Raw</c> format <see cref="Value"/>, <see cref="Key"/> and <see cref="Headers"/> are
/// the original bytes; with its <c>Parquet</c> format <see cref="Fields"/> holds the typed columns of the archive schema
/// (live records are parsed with the same schema) and key and headers are null on both sides, because Parquet files do
/// not keep them. A dead-lettered offset (a record the archive could not store as a row) has
/// <see cref="DeadLetterReason"/> set, its original <see cref="Key"/> and <see cref="Value"/>, and no event time.
/// </summary>
/// <param name="Partition">Kafka partition.</param>
/// <param name="Offset">Kafka offset.</param>
/// <param name="TimestampMs">Kafka timestamp, Unix milliseconds.</param>
/// <param name="EventTimeMs">Event time, Unix milliseconds (null for dead letters).</param>
/// <param name="Key">Key bytes (Raw format and dead letters), or null.</param>
/// <param name="Value">Value bytes (Raw format and dead letters), or null.</param>
/// <param name="Headers">Headers (Raw format), or null when the record had none.</param>
/// <param name="Fields">Typed fields by column name (Parquet format): string, long?, int?, double?, bool? or DateTime? (UTC).</param>
/// <param name="Phase">Archive or live.</param>
/// <param name="DeadLetterReason">Why the offset is a dead letter, or null for a record.</param>
public sealed record UnifiedRecord(
    int Partition,
    long Offset,
    long TimestampMs,
    long? EventTimeMs,
    byte[]? Key,
    byte[]? Value,
    IReadOnlyList<KeyValuePair<string, byte[]?>>? Headers,
    IReadOnlyDictionary<string, object?>? Fields,
    UnifiedPhase Phase,
    string? DeadLetterReason)
{
    /// <summary>Whether the offset is a dead letter.</summary>
    public bool IsDeadLetter => DeadLetterReason is not null;

    /// <summary>The position to checkpoint after this record: resuming from it yields the next offset, no gap and no duplicate.</summary>
    public UnifiedPosition NextPosition => new(Partition, Offset + 1, Phase);
}

/// <summary>
/// Where a reader of one partition stands: the next offset to yield and the phase it last read from. Small and
/// serializable (System.Text.Json): a consumer checkpoints it and resumes with <see cref="UnifiedStart.FromPositions"/>.
/// </summary>
/// <param name="Partition">Kafka partition.</param>
/// <param name="NextOffset">The next offset to yield.</param>
/// <param name="Phase">The phase of the last record yielded (informative: a resume always prefers the archive).</param>
public sealed record UnifiedPosition(int Partition, long NextOffset, UnifiedPhase Phase);
