using Tributary.Segments;

namespace Tributary.Grains.Segments;

/// <summary>Durable state of <see cref="DatasourceCatalogGrain"/>.</summary>
[GenerateSerializer, Alias("tributary.DatasourceCatalogState")]
public sealed class DatasourceCatalogState
{
    /// <summary>Segments by key.</summary>
    [Id(0)] public Dictionary<string, SegmentTimelineEntry> Segments { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Bumped on every added or sealed segment and on every published version.</summary>
    [Id(1)] public long Version { get; set; }

    /// <summary>Per hour (start, Unix ms) the segment version it serves; an hour not listed serves version 0 (live).</summary>
    [Id(2)] public Dictionary<long, long> HourVersions { get; set; } = [];
}

/// <summary>
/// A datasource's segment timeline (key: datasource): interval, partition, state, row counts, and the Bloom filter
/// of each sealed segment. Segments register themselves when they first take events and again when sealed; the
/// state is written only when a segment is added or changes state, so row counts of open segments are as of then.
/// </summary>
/// <remarks>
/// Versioned overshadowing (Druid's): every entry has a version (0 for live segments, the backfill's version for rebuilt
/// ones) and every hour serves one version. Backfilled segments register while they are built, but stay unserved until
/// <see cref="PublishVersionAsync"/> makes their version the hours' version; lower versions are then overshadowed (kept
/// in state, never served), and a segment of a lower version registering later stays unserved.
/// </remarks>
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
            Segments = [.. state.State.Segments.Values.Where(Served).OrderBy(e => e.StartMs).ThenBy(e => e.Partition)],
        };
        return ValueTask.FromResult(_snapshot);
    }

    /// <inheritdoc />
    public async ValueTask<SegmentVersionPublished> PublishVersionAsync(SegmentVersionPublish publish)
    {
        ArgumentNullException.ThrowIfNull(publish);
        var name = this.GetPrimaryKeyString();
        if (publish.StartMs % HourMillis != 0 || publish.EndMs % HourMillis != 0 || publish.EndMs <= publish.StartMs)
        {
            throw new InvalidOperationException($"{name}: publish interval {Iso(publish.StartMs)}/{Iso(publish.EndMs)} must be whole UTC hours, end after start.");
        }

        if (publish.Version <= 0)
        {
            throw new InvalidOperationException($"{name}: publish version must be positive (was {publish.Version}).");
        }

        var segments = state.State.Segments;
        var versions = state.State.HourVersions;
        for (var hour = publish.StartMs; hour < publish.EndMs; hour += HourMillis)
        {
            var serving = versions.GetValueOrDefault(hour);
            if (serving >= publish.Version)
            {
                throw new InvalidOperationException($"{name}: hour {Iso(hour)} already serves version {serving}, not below {publish.Version}: a newer backfill was published.");
            }
        }

        foreach (var key in publish.Keys)
        {
            if (!segments.TryGetValue(key, out var entry))
            {
                throw new InvalidOperationException($"{name}: segment {key} of version {publish.Version} is not registered.");
            }

            if (entry.Version != publish.Version || entry.StartMs < publish.StartMs || entry.EndMs > publish.EndMs)
            {
                throw new InvalidOperationException($"{name}: segment {key} is version {entry.Version} at {Iso(entry.StartMs)}, not version {publish.Version} inside {Iso(publish.StartMs)}/{Iso(publish.EndMs)}.");
            }

            if (entry.State != SegmentState.Sealed)
            {
                throw new InvalidOperationException($"{name}: segment {key} is still open; seal it before publishing.");
            }
        }

        var overshadowed = segments.Values.Where(e => Served(e) && e.StartMs >= publish.StartMs && e.EndMs <= publish.EndMs).ToList();
        if (overshadowed.FirstOrDefault(e => e.State == SegmentState.Open) is { } open)
        {
            // An open segment still takes events; overshadowing it would hide the ones it takes from now on.
            throw new InvalidOperationException($"{name}: segment {open.Key} served in the interval is still open (its hour plus the late window has not passed); backfill it once it is sealed.");
        }

        var before = new Dictionary<long, long>(versions);
        for (var hour = publish.StartMs; hour < publish.EndMs; hour += HourMillis)
        {
            versions[hour] = publish.Version;
        }

        state.State.Version++;
        _snapshot = null;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Not published unless durable: the timeline keeps serving what it served.
            state.State.HourVersions = before;
            state.State.Version--;
            throw;
        }
        return new SegmentVersionPublished { Published = publish.Keys.Length, Overshadowed = overshadowed.Count, TimelineVersion = state.State.Version };
    }

    private const long HourMillis = 3_600_000;

    private bool Served(SegmentTimelineEntry entry) => entry.Version == state.State.HourVersions.GetValueOrDefault(entry.StartMs);

    private static string Iso(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
