using System.Globalization;
using Tributary.Storage;
using Tributary.Storage.Archive;

namespace Tributary.Unified;

/// <summary>Reads the archive manifest (one JSON object per file under <c>{topic}/_manifest/{partition}/</c>).</summary>
public static class ArchiveManifest
{
    /// <summary>
    /// The files of <paramref name="topic"/>[<paramref name="partition"/>] across every output partition (dt=/hr= folder),
    /// ordered by first offset. A manifest object that does not parse, or names another topic or partition, fails naming
    /// its key: skipping it could hide archived offsets.
    /// </summary>
    public static async Task<List<ArchiveFileInfo>> ListAsync(IObjectStore store, string topic, int partition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var prefix = HivePath.ManifestPrefix(topic) + partition.ToString(CultureInfo.InvariantCulture) + "/";
        var files = new List<ArchiveFileInfo>();
        await foreach (var o in store.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            if (!o.Key.EndsWith(".json", StringComparison.Ordinal))
            {
                continue;
            }

            var stream = await store.OpenReadAsync(o.Key, cancellationToken).ConfigureAwait(false);
            if (stream is null)
            {
                continue; // deleted between the listing and the read
            }

            using var copy = new MemoryStream();
            await using (stream.ConfigureAwait(false))
            {
                await stream.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
            }

            var info = ArchiveFileInfo.FromJson(copy.GetBuffer().AsSpan(0, (int)copy.Length), $"{store.Location}{o.Key}");
            if (info.Topic != topic || info.Partition != partition || info.LastOffset < info.FirstOffset)
            {
                throw new FormatException($"manifest object '{store.Location}{o.Key}' describes {info.Topic}[{info.Partition}] offsets {info.FirstOffset}..{info.LastOffset}, not a file of {topic}[{partition}]");
            }

            files.Add(info);
        }

        files.Sort((a, b) => a.FirstOffset.CompareTo(b.FirstOffset));
        return files;
    }
}
