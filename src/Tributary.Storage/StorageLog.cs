using Microsoft.Extensions.Logging;

namespace Tributary.Storage;

internal static partial class StorageLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Object store {Location}: {Options}")]
    public static partial void S3StoreCreated(ILogger logger, string location, string options);
}
