namespace Tributary.Storage.Archive;

/// <summary>One Kafka record as the archive sink sees it (its partition is implied by the sink).</summary>
/// <param name="Offset">Kafka offset.</param>
/// <param name="TimestampMs">Kafka timestamp, Unix milliseconds.</param>
/// <param name="Key">Key bytes, or null.</param>
/// <param name="Value">Value bytes, or null.</param>
/// <param name="Headers">Headers, or null.</param>
public sealed record ArchiveRecord(long Offset, long TimestampMs, byte[]? Key, byte[]? Value, IReadOnlyList<KeyValuePair<string, byte[]?>>? Headers);

/// <summary>A record routed to an output partition: its event time, or why it cannot be archived as a row.</summary>
/// <param name="Record">The record.</param>
/// <param name="EventTimeMs">Event time, Unix milliseconds (the Kafka timestamp when the event time did not parse).</param>
/// <param name="DeadLetterReason">Why the record goes to the dead-letter file instead of a row; null for good records.</param>
public sealed record RoutedRecord(ArchiveRecord Record, long EventTimeMs, string? DeadLetterReason);
