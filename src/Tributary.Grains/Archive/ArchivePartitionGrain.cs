using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using Tributary.Archive;
using Tributary.Grains.Telemetry;
using Tributary.Storage;
using Tributary.Storage.Archive;

namespace Tributary.Grains.Archive;

/// <summary>
/// Buffers the current file of one output partition of one Kafka partition (key <see cref="ArchiveKey"/>) and
/// uploads it when the ingest grain says the file is cut. It keeps no durable state: the buffer is a cache
/// of Kafka, which the ingest grain replays from its checkpoint when a buffer is lost (this activation
/// reports <see cref="ArchiveWorkResult.BufferLost"/> when asked to continue a file it does not hold).
/// Rows at or below the last buffered offset are dropped, so replays after an ingest restart are harmless.
/// </summary>
/// <remarks>
/// Placed beside its ingest grain, its only caller (<see cref="PreferLocalPlacementAttribute"/>): every row it
/// buffers comes from that grain, so keeping both in one process saves serializing each row between silos.
/// </remarks>
[PreferLocalPlacement]
public sealed class ArchivePartitionGrain(
    [FromKeyedServices(ObjectStoreKeys.Archive)] IObjectStore store,
    IArchiveNotifier notifier,
    IOptions<ArchiveOptions> options,
    ILogger<ArchivePartitionGrain> logger) : Grain, IArchivePartitionGrain
{
    private ArchiveFileBuilder? _builder;
    private string _topic = string.Empty;
    private string _outputPartition = string.Empty;
    private int _partition;
    private GrainLogScope? _logScope;

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_topic, _outputPartition, _partition) = ArchiveKey.Parse(this.GetPrimaryKeyString());
        _logScope = new GrainLogScope(this.GetPrimaryKeyString(), _partition, "archive");
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // The buffer dies with the activation; the ingest grain notices and replays from Kafka.
        await DropBufferAsync();
    }

    /// <inheritdoc />
    public async ValueTask<ArchiveWorkResult> ApplyAsync(ArchiveWork work)
    {
        using var scope = _logScope?.Begin(logger);
        List<ArchiveFileEntry>? sealedFiles = null;
        foreach (var segment in work.Segments)
        {
            if (_builder is not null && _builder.FirstOffset != segment.FileFirstOffset)
            {
                // A file a previous ingest activation started and never finished: the replay rebuilds it.
                await DropBufferAsync();
            }

            foreach (var row in segment.Rows)
            {
                if (_builder is null)
                {
                    if (row.Offset != segment.FileFirstOffset)
                    {
                        return new ArchiveWorkResult { BufferLost = true, Sealed = sealedFiles?.ToArray() ?? [] };
                    }

                    _builder = await ArchiveFileBuilder.CreateAsync(_topic, _outputPartition, _partition, segment.FileFirstOffset, options.Value);
                }

                if (row.Offset <= _builder.LastOffset)
                {
                    continue;
                }

                await _builder.AddAsync(row.ToRouted());
            }

            if (segment.Seal)
            {
                if (_builder is null)
                {
                    return new ArchiveWorkResult { BufferLost = true, Sealed = sealedFiles?.ToArray() ?? [] };
                }

                // upload, then record: a crash in between re-uploads the same object name with the same rows.
                var started = Stopwatch.GetTimestamp();
                var info = (await _builder.CompleteAndUploadAsync(store)).ToEntry();
                ArchiveLog.FileUploaded(logger, info.Key, info.FirstOffset, info.LastOffset, info.Rows, info.DeadLetters, info.Bytes);
                if (ServiceProvider.GetService<IArchiveUploadObserver>() is { } observer)
                {
                    await observer.OnUploadedAsync(info);
                }

                // The manifest object and the announcement are written here, in parallel across output
                // partitions, so the per-topic catalog grain only indexes (it was the bottleneck when it wrote them).
                await store.PutAsync(HivePath.ManifestEntry(info.Topic, info.Partition, info.FirstOffset), info.ToInfo().ToJson());
                CountUploaded(info, Stopwatch.GetElapsedTime(started));
                // Announcement and catalog entry are independent (both follow the manifest object): in parallel.
                await Task.WhenAll(notifier.AnnounceAsync(info), GrainFactory.GetGrain<IArchiveCatalogGrain>(_topic).AddFileAsync(info).AsTask());
                await DropBufferAsync();
                (sealedFiles ??= []).Add(info);
            }
        }

        return new ArchiveWorkResult { Sealed = sealedFiles?.ToArray() ?? [] };
    }

    private void CountUploaded(ArchiveFileEntry file, TimeSpan duration)
    {
        var partition = new KeyValuePair<string, object?>("partition", _partition.ToString(CultureInfo.InvariantCulture));
        var topic = new KeyValuePair<string, object?>("topic", _topic);
        TributaryMetrics.ArchiveFiles.Add(1, topic, partition);
        TributaryMetrics.ArchiveBytes.Add(file.Bytes, topic, partition);
        TributaryMetrics.ArchiveRows.Add(file.Rows, topic, partition);
        TributaryMetrics.ArchiveUploadDuration.Record(duration.TotalMilliseconds, topic);
        if (file.DeadLetters > 0)
        {
            // Kept in the file's dead-letter rows rather than sent to a topic; counted with the sink's other dead letters.
            TributaryMetrics.IngestDeadLetters.Add(file.DeadLetters, TributaryMetrics.SinkTags("archive", _topic, _partition));
        }
    }

    private async Task DropBufferAsync()
    {
        if (_builder is not null)
        {
            await _builder.DisposeAsync();
            _builder = null;
        }
    }
}
