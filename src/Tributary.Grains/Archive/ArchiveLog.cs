using Microsoft.Extensions.Logging;

namespace Tributary.Grains.Archive;

internal static partial class ArchiveLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Archived {Key}: offsets {FirstOffset}-{LastOffset}, {Rows} rows, {DeadLetters} dead letters, {Bytes} bytes")]
    public static partial void FileUploaded(ILogger logger, string key, long firstOffset, long lastOffset, long rows, long deadLetters, long bytes);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Archive of {Topic}[{Partition}] lost buffered rows or failed mid-delivery; replaying from checkpoint {Checkpoint}")]
    public static partial void Resetting(ILogger logger, string topic, int partition, long checkpoint, Exception? exception);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Archive of {Topic}[{Partition}] re-read offsets {From}-{To} from Kafka ({Records} records) to rebuild buffers lost with a previous activation")]
    public static partial void Replayed(ILogger logger, string topic, int partition, long from, long to, long records);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Archive of {Topic}[{Partition}] could not flush on deactivation; the next owner replays from checkpoint {Checkpoint}")]
    public static partial void FlushOnDeactivateFailed(ILogger logger, string topic, int partition, long checkpoint, Exception exception);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Warning, Message = "Archive of {Topic}[{Partition}] did not flush on a non-graceful deactivation ({Reason}); the next owner replays from checkpoint {Checkpoint}")]
    public static partial void FlushSkipped(ILogger logger, string topic, int partition, long checkpoint, string reason);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Information, Message = "Archive of {Topic}[{Partition}] does not flush while the silo shuts down; the next owner replays from checkpoint {Checkpoint}")]
    public static partial void FlushSkippedOnShutdown(ILogger logger, string topic, int partition, long checkpoint);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Information, Message = "Archive of {Topic}[{Partition}] cut its open files at offset {Offset} after {IdleTimeout} without records (recorded for replays)")]
    public static partial void IdleCut(ILogger logger, string topic, int partition, long offset, TimeSpan idleTimeout);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Warning, Message = "Archive of {Topic}[{Partition}] could not make its idle cut; the next tick replays from checkpoint {Checkpoint} and tries again")]
    public static partial void IdleCutFailed(ILogger logger, string topic, int partition, long checkpoint, Exception exception);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Information, Message = "Output partition {Topic}/{OutputPartition} is complete: wrote {Key}")]
    public static partial void SuccessWritten(ILogger logger, string topic, string outputPartition, string key);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "Archive manifest object {Key} is unreadable and was skipped")]
    public static partial void BadManifestObject(ILogger logger, string key, Exception exception);
}
