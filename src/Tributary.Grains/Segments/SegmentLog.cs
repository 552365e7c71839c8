using Microsoft.Extensions.Logging;

namespace Tributary.Grains.Segments;

internal static partial class SegmentLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Sealed segment {Key}: {Rows} rows, {Events} events, {Bytes} bytes at {ObjectKey}")]
    public static partial void Sealed(ILogger logger, string key, long rows, long events, long bytes, string objectKey);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Segment {Key} reloaded {Events} events from {Chunks} persisted chunks (through offset {Offset})")]
    public static partial void Reloaded(ILogger logger, string key, long events, int chunks, long offset);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Segment {Key} could not persist on deactivation; the sink replays from its checkpoint")]
    public static partial void PersistOnDeactivateFailed(ILogger logger, string key, Exception exception);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "Segment sink of {Topic}[{Partition}] lost events with a dead activation or failed mid-batch; replaying from checkpoint {Checkpoint}")]
    public static partial void Resetting(ILogger logger, string topic, int partition, long checkpoint, Exception? exception);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "Segment sink of {Topic}[{Partition}] re-read offsets {From}-{To} from Kafka ({Records} records)")]
    public static partial void Replayed(ILogger logger, string topic, int partition, long from, long to, long records);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "Segment sink of {Topic}[{Partition}] has no datasource spec for its topic; records are dead-lettered")]
    public static partial void NoDatasource(ILogger logger, string topic, int partition);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Warning, Message = "Segment sink periodic persist of {Topic}[{Partition}] failed; retrying at the next tick")]
    public static partial void PersistTickFailed(ILogger logger, string topic, int partition, Exception exception);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Debug, Message = "Segment {Key} activated: persisted offset {Offset}, {Chunks} chunks")]
    public static partial void Activated(ILogger logger, string key, long offset, int chunks);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Debug, Message = "Segment {Key} append {First}-{Last} ({Count}): previous max {Previous}, appended {Appended}, duplicates {Duplicates}")]
    public static partial void Appended(ILogger logger, string key, long first, long last, int count, long previous, int appended, int duplicates);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Debug, Message = "Segment {Key} persisted through offset {Offset} ({Pending} events, chunk {Chunk})")]
    public static partial void Persisted(ILogger logger, string key, long offset, int pending, string chunk);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Debug, Message = "Segment sink of {Topic}[{Partition}] loaded checkpoint {Checkpoint}; first delivered {First}")]
    public static partial void SinkLoaded(ILogger logger, string topic, int partition, long checkpoint, long first);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Debug, Message = "Segment sink of {Topic}[{Partition}] checkpoint {Checkpoint} (next {Next})")]
    public static partial void SinkCheckpoint(ILogger logger, string topic, int partition, long checkpoint, long next);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Debug, Message = "Segment sink of {Topic}[{Partition}] delivered {First}-{Last} ({Count}); next {Next}")]
    public static partial void SinkDelivered(ILogger logger, string topic, int partition, long first, long last, int count, long next);

    [LoggerMessage(EventId = 5014, Level = LogLevel.Warning, Message = "Segment {Key} refused a batch: its sender had sent through offset {Sent} but only {Applied} is applied here (events lost with a dead activation); the sender replays")]
    public static partial void Refused(ILogger logger, string key, long sent, long applied);

    [LoggerMessage(EventId = 5015, Level = LogLevel.Warning, Message = "Bloom filter of sealed segment {Key} is missing at {ObjectKey}; its segment is scanned, not pruned")]
    public static partial void BloomMissing(ILogger logger, string key, string objectKey);

    [LoggerMessage(EventId = 5016, Level = LogLevel.Warning, Message = "Bloom filter of sealed segment {Key} at {ObjectKey} is unreadable; its segment is scanned, not pruned")]
    public static partial void BloomUnreadable(ILogger logger, string key, string objectKey, Exception exception);

    [LoggerMessage(EventId = 5017, Level = LogLevel.Information, Message = "Catalog of {Datasource} migrated {Segments} segments from its old single-row state into {Chunks} chunks ({Blooms} Bloom filters written as objects)")]
    public static partial void CatalogMigrated(ILogger logger, string datasource, int segments, int chunks, int blooms);

    [LoggerMessage(EventId = 5018, Level = LogLevel.Information, Message = "Segment {Key} dropped by retention: its objects ({Objects} keys) and grain state deleted")]
    public static partial void Dropped(ILogger logger, string key, int objects);

    [LoggerMessage(EventId = 5019, Level = LogLevel.Information, Message = "Catalog of {Datasource} applied retention: {Dropped} segments ending at or before {Cutoff} dropped, {Remaining} left")]
    public static partial void RetentionApplied(ILogger logger, string datasource, int dropped, DateTimeOffset cutoff, int remaining);

    [LoggerMessage(EventId = 5020, Level = LogLevel.Warning, Message = "Catalog of {Datasource} could not drop segment {Key} by retention; it stays listed and is retried at the next pass")]
    public static partial void RetentionDropFailed(ILogger logger, string datasource, string key, Exception exception);

    [LoggerMessage(EventId = 5021, Level = LogLevel.Debug, Message = "Segment {Key} unloaded its sealed segment ({Bytes} bytes) to stay within the silo's memory budget; it reloads on its next query")]
    public static partial void Unloaded(ILogger logger, string key, long bytes);
}
