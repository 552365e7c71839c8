using Tributary.Archive;
using Tributary.Storage.Archive;

namespace Tributary.Grains.Archive;

/// <summary>Maps between the grain contracts and the storage library's types.</summary>
internal static class ArchiveConversions
{
    public static ArchiveRecord ToArchiveRecord(this KafkaRecord r)
        => new(r.Offset, r.TimestampMs, r.Key, r.Value, r.Headers?.Select(h => new KeyValuePair<string, byte[]?>(h.Key, h.Value)).ToArray());

    public static ArchiveRow ToRow(this RoutedRecord routed) => new()
    {
        Offset = routed.Record.Offset,
        TimestampMs = routed.Record.TimestampMs,
        Key = routed.Record.Key,
        Value = routed.Record.Value,
        Headers = routed.Record.Headers?.Select(h => new KafkaHeader(h.Key, h.Value)).ToArray(),
        EventTimeMs = routed.EventTimeMs,
        DeadLetterReason = routed.DeadLetterReason,
    };

    public static RoutedRecord ToRouted(this ArchiveRow row)
        => new(new ArchiveRecord(row.Offset, row.TimestampMs, row.Key, row.Value, row.Headers?.Select(h => new KeyValuePair<string, byte[]?>(h.Key, h.Value)).ToArray()), row.EventTimeMs, row.DeadLetterReason);

    public static ArchiveFileEntry ToEntry(this ArchiveFileInfo f) => new()
    {
        Topic = f.Topic,
        OutputPartition = f.OutputPartition,
        Partition = f.Partition,
        FirstOffset = f.FirstOffset,
        LastOffset = f.LastOffset,
        Rows = f.Rows,
        DeadLetters = f.DeadLetters,
        MinEventTimeMs = f.MinEventTimeMs,
        MaxEventTimeMs = f.MaxEventTimeMs,
        Bytes = f.Bytes,
        Key = f.Key,
        DeadLetterKey = f.DeadLetterKey,
    };

    public static ArchiveFileInfo ToInfo(this ArchiveFileEntry f) => new()
    {
        Topic = f.Topic,
        OutputPartition = f.OutputPartition,
        Partition = f.Partition,
        FirstOffset = f.FirstOffset,
        LastOffset = f.LastOffset,
        Rows = f.Rows,
        DeadLetters = f.DeadLetters,
        MinEventTimeMs = f.MinEventTimeMs,
        MaxEventTimeMs = f.MaxEventTimeMs,
        Bytes = f.Bytes,
        Key = f.Key,
        DeadLetterKey = f.DeadLetterKey,
    };
}
