using Tributary.Segments;

namespace Tributary.Grains.Segments;

/// <summary>Durable state of <see cref="DatasourceCatalogGrain"/>.</summary>
[GenerateSerializer, Alias("tributary.DatasourceCatalogState")]
public sealed class DatasourceCatalogState
{
    /// <summary>Segments by key.</summary>
    [Id(0)] public Dictionary<string, SegmentTimelineEntry> Segments { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Bumped on every added or sealed segment.</summary>
    [Id(1)] public long Version { get; set; }
}

/// <summary>
/// A datasource's segment timeline (key: datasource): interval, partition, state, row counts, and the Bloom filter
/// of each sealed segment. Segments register themselves when they first take events and again when sealed; the
/// state is written only when a segment is added or changes state, so row counts of open segments are as of then.
/// </summary>
public sealed class DatasourceCatalogGrain(
    [PersistentState("segment-catalog", "tributary")] IPersistentState<DatasourceCatalogState> state)
    : Grain, IDatasourceCatalogGrain
{
    private DatasourceTimeline? _snapshot;

    /// <inheritdoc />
    public async ValueTask RegisterAsync(SegmentTimelineEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var segments = state.State.Segments;
        var known = segments.GetValueOrDefault(entry.Key);
        if (known is { State: SegmentState.Sealed } && entry.State == SegmentState.Open)
        {
            // A late registration of the open state never undoes a seal.
            return;
        }

        segments[entry.Key] = entry;
        _snapshot = null;
        if (known is null || known.State != entry.State)
        {
            state.State.Version++;
            await state.WriteStateAsync();
        }
    }

    /// <inheritdoc />
    public ValueTask<DatasourceTimeline> GetTimelineAsync()
    {
        _snapshot ??= new DatasourceTimeline
        {
            Datasource = this.GetPrimaryKeyString(),
            Version = state.State.Version,
            Segments = [.. state.State.Segments.Values.OrderBy(e => e.StartMs).ThenBy(e => e.Partition)],
        };
        return ValueTask.FromResult(_snapshot);
    }
}
