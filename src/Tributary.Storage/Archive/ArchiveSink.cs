namespace Tributary.Storage.Archive;

/// <summary>
/// The archive of one Kafka partition in one process: an <see cref="ArchiveRouter"/> driving
/// <see cref="ArchiveFileBuilder"/>s and uploading sealed files to an <see cref="IObjectStore"/>. The grains
/// split the same pieces across activations; this class is the reference composition (tests, tools).
/// </summary>
public sealed class ArchiveSink : IAsyncDisposable
{
    private readonly IObjectStore _store;
    private readonly ArchiveOptions _options;
    private readonly ArchiveRouter _router;
    private readonly Dictionary<string, ArchiveFileBuilder> _builders = new(StringComparer.Ordinal);
    private readonly List<ArchiveAction> _actions = [];
    private readonly List<ArchiveFileInfo> _sealed = [];

    /// <summary>Creates the sink; <paramref name="uploadedThrough"/> are the durable marks of a previous run.</summary>
    public ArchiveSink(IObjectStore store, string topic, int partition, ArchiveOptions options, IReadOnlyDictionary<string, long>? uploadedThrough = null, long nextOffset = 0)
    {
        _store = store;
        _options = options;
        _router = new ArchiveRouter(topic, partition, options, uploadedThrough, nextOffset);
    }

    /// <summary>The router (checkpoint, marks, open files).</summary>
    public ArchiveRouter Router => _router;

    /// <summary>Files uploaded so far, in upload order.</summary>
    public IReadOnlyList<ArchiveFileInfo> Sealed => _sealed;

    /// <summary>Archives <paramref name="records"/> (offset order), uploading every file that gets cut.</summary>
    public async Task AppendAsync(IEnumerable<ArchiveRecord> records, CancellationToken cancellationToken = default)
    {
        foreach (var record in records)
        {
            _router.Route(record, _actions);
            if (_actions.Count >= 1024)
            {
                await ApplyAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        await ApplyAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Seals and uploads every open file.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        _router.SealAll(_actions);
        await ApplyAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var builder in _builders.Values)
        {
            await builder.DisposeAsync().ConfigureAwait(false);
        }

        _builders.Clear();
    }

    private async Task ApplyAsync(CancellationToken cancellationToken)
    {
        foreach (var action in _actions)
        {
            if (action.Kind == ArchiveActionKind.Append)
            {
                if (!_builders.TryGetValue(action.OutputPartition, out var builder))
                {
                    builder = await ArchiveFileBuilder.CreateAsync(_router.Topic, action.OutputPartition, _router.Partition, action.FileFirstOffset, _options, cancellationToken).ConfigureAwait(false);
                    _builders[action.OutputPartition] = builder;
                }

                await builder.AddAsync(action.Record!, cancellationToken).ConfigureAwait(false);
            }
            else if (_builders.Remove(action.OutputPartition, out var builder))
            {
                await using (builder.ConfigureAwait(false))
                {
                    _sealed.Add(await builder.CompleteAndUploadAsync(_store, cancellationToken).ConfigureAwait(false));
                }
            }
        }

        _actions.Clear();
    }
}
