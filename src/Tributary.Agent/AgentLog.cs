using ErrorCode = Confluent.Kafka.ErrorCode;
using Microsoft.Extensions.Logging;

namespace Tributary.Agent;

internal static partial class AgentLog
{
    [LoggerMessage(5001, LogLevel.Debug, "librdkafka {Level} {Facility}: {Message}")]
    public static partial void Librdkafka(ILogger logger, string level, string facility, string message);

    [LoggerMessage(5002, LogLevel.Warning, "Kafka client error {Code}: {Reason}")]
    public static partial void ClientError(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(5003, LogLevel.Information, "Stream {Stream}: reading {Path} ({FileId}) from offset {Offset}")]
    public static partial void Opened(ILogger logger, string stream, string path, string fileId, long offset);

    [LoggerMessage(5004, LogLevel.Information, "Stream {Stream}: {Kind} rotation; finished {FileId} at offset {Offset}, next {Next}")]
    public static partial void Rotated(ILogger logger, string stream, string kind, string fileId, long offset, string next);

    [LoggerMessage(5005, LogLevel.Warning, "Stream {Stream}: {Path} ({FileId}) was truncated below offset {Offset} (copy-truncate); {Outcome}")]
    public static partial void Truncated(ILogger logger, string stream, string path, string fileId, long offset, string outcome);

    [LoggerMessage(5006, LogLevel.Warning, "Stream {Stream}: delivery of {Count} records to {Topic} failed ({Code}: {Reason}); retrying")]
    public static partial void DeliveryFailed(ILogger logger, string stream, int count, string topic, ErrorCode code, string reason);

    [LoggerMessage(5007, LogLevel.Warning, "Stream {Stream}: quarantined {Length} bytes of {Path} at offset {Offset}: {Reason}")]
    public static partial void Quarantined(ILogger logger, string stream, int length, string path, long offset, string reason);

    [LoggerMessage(5008, LogLevel.Warning, "Stream {Stream}: the watermark's file {FileId} is gone; continuing with {Next}")]
    public static partial void WatermarkFileGone(ILogger logger, string stream, string fileId, string next);

    [LoggerMessage(5009, LogLevel.Error, "Stream {Stream} failed; it restarts from its watermark")]
    public static partial void StreamFailed(ILogger logger, string stream, Exception exception);

    [LoggerMessage(5010, LogLevel.Information, "Stream {Stream} started: {Directory}/{Pattern} to {Topic} ({Partitioner})")]
    public static partial void StreamStarted(ILogger logger, string stream, string directory, string pattern, string topic, string partitioner);

    [LoggerMessage(5011, LogLevel.Information, "Stream {Stream} stopped at {FileId} offset {Offset}")]
    public static partial void StreamStopped(ILogger logger, string stream, string fileId, long offset);

    [LoggerMessage(5012, LogLevel.Error, "Configuration {Source} rejected; the streams it defined keep their previous configuration")]
    public static partial void ConfigRejected(ILogger logger, string source, Exception exception);

    [LoggerMessage(5013, LogLevel.Information, "Configuration: stream {Stream} {Change}")]
    public static partial void StreamChanged(ILogger logger, string stream, string change);

    [LoggerMessage(5014, LogLevel.Warning, "Stream {Stream}: record of {Length} bytes at offset {Offset} was rejected by Kafka ({Reason}) and quarantined")]
    public static partial void Rejected(ILogger logger, string stream, int length, long offset, string reason);

    [LoggerMessage(5015, LogLevel.Warning, "Heartbeat or audit record could not be sent: {Reason}")]
    public static partial void SideChannelFailed(ILogger logger, string reason);

    [LoggerMessage(5017, LogLevel.Information, "Stream {Stream}: keeps reading renamed {Path} ({FileId}) from offset {Offset} until it has not grown for {RotateWaitMs} ms")]
    public static partial void RotateWaitStarted(ILogger logger, string stream, string path, string fileId, long offset, int rotateWaitMs);

    [LoggerMessage(5018, LogLevel.Information, "Stream {Stream}: finished renamed {Path} ({FileId}) at offset {Offset}: {Reason}")]
    public static partial void RotateWaitFinished(ILogger logger, string stream, string path, string fileId, long offset, string reason);

    [LoggerMessage(5019, LogLevel.Warning, "Stream {Stream}: renamed {Path} ({FileId}) the watermark was still reading is gone or holds other bytes; what was appended to it after offset {Offset} is lost")]
    public static partial void RotateWaitGone(ILogger logger, string stream, string path, string fileId, long offset);

    [LoggerMessage(5016, LogLevel.Information, "Agent {Host} (zone {Zone}) started with {Streams} streams; data in {DataDirectory}")]
    public static partial void AgentStarted(ILogger logger, string host, string zone, int streams, string dataDirectory);
}
