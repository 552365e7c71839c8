using System.Text.Json;
using Microsoft.Extensions.Logging;
using Tributary.Storage;

namespace Tributary.Tracker;

/// <summary>
/// The snapshot's progress record (<c>progress.json</c>, one entry per durable chunk) and the clearing of a table's
/// directory before a snapshot that cannot resume.
/// </summary>
internal sealed partial class SnapshotProgressStore(IObjectStore store, ILogger logger)
{
    /// <summary>The recorded progress, or null when there is none or it is unreadable (a full snapshot follows).</summary>
    public async Task<SnapshotProgressRecord?> LoadAsync(SnapshotPaths paths, CancellationToken cancellationToken)
    {
        var stream = await store.OpenReadAsync(paths.Progress, cancellationToken).ConfigureAwait(false);
        if (stream is null)
        {
            return null;
        }

        await using (stream.ConfigureAwait(false))
        {
            try
            {
                return await JsonSerializer.DeserializeAsync<SnapshotProgressRecord>(stream, TrackerJson.Options, cancellationToken).ConfigureAwait(false);
            }
            catch (JsonException ex)
            {
                // Progress is only an optimisation: an unreadable record means a full snapshot, not a failure.
                LogBadProgress(logger, ex, paths.Progress);
                return null;
            }
        }
    }

    public Task SaveAsync(SnapshotPaths paths, SnapshotProgressRecord record, CancellationToken cancellationToken)
        => store.PutAsync(paths.Progress, JsonSerializer.SerializeToUtf8Bytes(record, TrackerJson.Options), cancellationToken);

    /// <summary>Deletes every object of the table's directory, its <c>_SUCCESS</c> manifest first.</summary>
    public async Task ClearTableAsync(SnapshotPaths paths, TableSchema table, CancellationToken cancellationToken)
    {
        var stale = new List<string>();
        await foreach (var item in store.ListAsync(paths.TableDirectory(table.Database, table.Table), cancellationToken).ConfigureAwait(false))
        {
            stale.Add(item.Key);
        }

        // _SUCCESS first: a reader must never see a manifest next to a half-replaced set of parts.
        foreach (var key in stale.OrderBy(k => k.EndsWith("/_SUCCESS", StringComparison.Ordinal) ? 0 : 1))
        {
            await store.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(7, LogLevel.Warning, "Progress record {Key} is unreadable; taking a full snapshot")]
    private static partial void LogBadProgress(ILogger logger, Exception exception, string key);
}
