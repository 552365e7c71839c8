using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tributary.Archive;
using Tributary.Storage;
using Tributary.Storage.Archive;

namespace Tributary.Grains.Archive;

/// <summary>
/// The manifest of one topic's archive (key: the topic): per Kafka partition the ordered files with their
/// offsets, row counts and event-time ranges. The durable manifest is the store itself, one JSON object per
/// file under <c>{topic}/_manifest/{partition}/{firstOffset:D20}.json</c> (written and announced by the
/// archive partition before it calls <see cref="AddFileAsync"/>), so the grain keeps no Orleans state and
/// rebuilds itself by listing on activation.
/// </summary>
public sealed class ArchiveCatalogGrain(
    [FromKeyedServices(ObjectStoreKeys.Archive)] IObjectStore store,
    IOptions<ArchiveOptions> options,
    ILogger<ArchiveCatalogGrain> logger) : Grain, IArchiveCatalogGrain
{
    private readonly Dictionary<int, SortedList<long, ArchiveFileEntry>> _files = [];
    private readonly Dictionary<int, ArchiveProgress> _progress = [];
    private readonly HashSet<string> _complete = new(StringComparer.Ordinal);
    private string _topic = string.Empty;

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _topic = this.GetPrimaryKeyString();
        await foreach (var o in store.ListAsync(HivePath.ManifestPrefix(_topic), cancellationToken))
        {
            if (!o.Key.EndsWith(".json", StringComparison.Ordinal))
            {
                continue;
            }

            try
            {
                await using var stream = await store.OpenReadAsync(o.Key, cancellationToken);
                if (stream is null)
                {
                    continue;
                }

                using var copy = new MemoryStream();
                await stream.CopyToAsync(copy, cancellationToken);
                Add(ArchiveFileInfo.FromJson(copy.ToArray(), o.Key).ToEntry());
            }
            catch (FormatException ex)
            {
                ArchiveLog.BadManifestObject(logger, o.Key, ex);
            }
        }
    }

    /// <inheritdoc />
    public ValueTask AddFileAsync(ArchiveFileEntry file)
    {
        Add(file);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<ArchiveFileEntry[]> GetFilesAsync(int partition)
        => ValueTask.FromResult(_files.TryGetValue(partition, out var files) ? files.Values.ToArray() : []);

    /// <inheritdoc />
    public ValueTask<Dictionary<string, long>> GetUploadedThroughAsync(int partition, long fromOffset)
    {
        var marks = new Dictionary<string, long>(StringComparer.Ordinal);
        if (_files.TryGetValue(partition, out var files))
        {
            foreach (var f in files.Values)
            {
                if (f.LastOffset >= fromOffset && (!marks.TryGetValue(f.OutputPartition, out var m) || m < f.LastOffset))
                {
                    marks[f.OutputPartition] = f.LastOffset;
                }
            }
        }

        return ValueTask.FromResult(marks);
    }

    /// <inheritdoc />
    public async ValueTask ReportProgressAsync(ArchiveProgress progress)
    {
        if (_progress.TryGetValue(progress.Partition, out var old) && old.WatermarkMs > progress.WatermarkMs)
        {
            progress = progress with { WatermarkMs = old.WatermarkMs };
        }

        _progress[progress.Partition] = progress;
        if (_files.Keys.Any(p => !_progress.ContainsKey(p)))
        {
            // A partition that has files but has not reported since this activation may still hold one open.
            return;
        }

        var late = (long)options.Value.LateWindow.TotalMilliseconds;
        var watermark = _progress.Values.Min(p => p.WatermarkMs);
        var open = _progress.Values.SelectMany(p => p.OpenOutputPartitions).ToHashSet(StringComparer.Ordinal);
        var candidates = _files.Values.SelectMany(f => f.Values).Select(f => f.OutputPartition).Distinct(StringComparer.Ordinal)
            .Where(op => !_complete.Contains(op) && !open.Contains(op)).ToList();
        foreach (var outputPartition in candidates)
        {
            var (_, end) = HivePath.Interval(outputPartition);
            if (watermark >= end + late)
            {
                // Event-time driven: every partition's archive has moved past the end plus the late window.
                var key = HivePath.SuccessMarker(_topic, outputPartition);
                await store.PutAsync(key, ReadOnlyMemory<byte>.Empty);
                _complete.Add(outputPartition);
                ArchiveLog.SuccessWritten(logger, _topic, outputPartition, key);
            }
        }
    }

    private void Add(ArchiveFileEntry file)
    {
        if (!_files.TryGetValue(file.Partition, out var files))
        {
            _files[file.Partition] = files = [];
        }

        // a re-upload of the same first offset replaces the entry (same name, same or longer content)
        files[file.FirstOffset] = file;
    }
}
