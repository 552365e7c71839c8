using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using Tributary.Segments;
using Tributary.Storage;

namespace Tributary.Grains.Segments;

/// <summary>
/// The head row of <see cref="DatasourceCatalogGrain"/>'s durable state (<c>segment-catalog</c>): the published versions
/// and the version publishes bump. The segments themselves live in chunk rows (<see cref="DatasourceCatalogChunk"/>).
/// </summary>
[GenerateSerializer, Alias("tributary.DatasourceCatalogState")]
public sealed class DatasourceCatalogState
{
    /// <summary>
    /// Legacy: every segment by key, Bloom filters inline, as catalogs stored them before chunks. An activation that
    /// finds entries here migrates them into chunks (and their Bloom filters into objects), then empties it.
    /// </summary>
    [Id(0)] public Dictionary<string, SegmentTimelineEntry> Segments { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Bumped on every published version (before chunks: on every added or sealed segment too).</summary>
    [Id(1)] public long Version { get; set; }

    /// <summary>Per hour (start, Unix ms) the segment version it serves; an hour not listed serves version 0 (live).</summary>
    [Id(2)] public Dictionary<long, long> HourVersions { get; set; } = [];

    /// <summary>Number of the first chunk row in use: retention empties the oldest chunks and moves this past them.</summary>
    [Id(3)] public int FirstChunk { get; set; }
}

/// <summary>
/// One chunk row of <see cref="DatasourceCatalogGrain"/>'s durable state (<c>segment-catalog-{n}</c>): up to
/// <see cref="DatasourceCatalogGrain.ChunkSize"/> segments in registration order, so registering a segment rewrites
/// one small row, not the whole timeline.
/// </summary>
[GenerateSerializer, Alias("tributary.DatasourceCatalogChunk")]
public sealed class DatasourceCatalogChunk
{
    /// <summary>Bumped on every write of this chunk (a segment added or changing state).</summary>
    [Id(0)] public long Version { get; set; }

    /// <summary>The chunk's entries in <see cref="CatalogChunkCodec"/>'s binary form (no Bloom filter bytes: their locations).</summary>
    [Id(1)] public byte[] Entries { get; set; } = [];
}

/// <summary>
/// A datasource's segment timeline (key: datasource): interval, partition, state, row counts, size, version and the
/// object locations (segment and Bloom filter) of each segment. Segments register themselves when they first take
/// events and again when sealed; a chunk is written only when one of its segments is added or changes, so row counts
/// of open segments are as of then.
/// </summary>
/// <remarks>
/// <para>
/// Storage: a head row (<c>segment-catalog</c>: published versions) and chunk rows <c>segment-catalog-{n}</c> of
/// <see cref="ChunkSize"/> segments each, in registration order; a registration rewrites one chunk, so its cost does not
/// grow with the timeline. Bloom filters are objects next to their segments (<see cref="SegmentTimelineEntry.BloomObjectKey"/>),
/// which brokers load on demand through <see cref="BloomFilterCache"/>. A catalog stored the old way (every entry in
/// the head row, Bloom filters inline) is migrated when it activates: filters written as objects, entries into chunks,
/// then the head row emptied of them; a crash midway migrates again from the untouched head row.
/// </para>
/// <para>
/// Versioned overshadowing (Druid's): every entry has a version (0 for live segments, the backfill's version for rebuilt
/// ones) and every hour serves one version. Backfilled segments register while they are built, but stay unserved until
/// <see cref="PublishVersionAsync"/> makes their version the hours' version; lower versions are then overshadowed (kept
/// in state, never served), and a segment of a lower version registering later stays unserved.
/// </para>
/// </remarks>
public sealed class DatasourceCatalogGrain(
    [PersistentState("segment-catalog", "tributary")] IPersistentState<DatasourceCatalogState> state,
    ILogger<DatasourceCatalogGrain> logger)
    : Grain, IDatasourceCatalogGrain, IRemindable
{
    private const string RetentionReminder = "retention";
    private static readonly TimeSpan RetentionPeriod = TimeSpan.FromHours(1);
    private static readonly TimeSpan RetentionSlack = TimeSpan.FromMinutes(1);

    /// <summary>Segments per chunk row.</summary>
    public const int ChunkSize = 64;

    /// <summary>The name of chunk row <paramref name="index"/> (the head row is <c>segment-catalog</c>).</summary>
    public static string ChunkStateName(int index) => string.Create(CultureInfo.InvariantCulture, $"segment-catalog-{index}");

    private readonly Dictionary<string, (int Chunk, int Index)> _where = new(StringComparer.Ordinal);
    private readonly List<Chunk> _chunks = [];
    private IGrainStorage? _storage;
    private TimeSpan? _retention;
    private TimeProvider _time = TimeProvider.System;
    private DatasourceTimeline? _snapshot;

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _storage = ServiceProvider.GetRequiredKeyedService<IGrainStorage>("tributary");
        _retention = ServiceProvider.GetService<IOptions<SegmentsOptions>>()?.Value.Retention;
        _time = ServiceProvider.GetService<TimeProvider>() ?? TimeProvider.System;
        for (var n = state.State.FirstChunk; ; n++)
        {
            var row = new GrainState<DatasourceCatalogChunk>(new DatasourceCatalogChunk());
            await _storage.ReadStateAsync(ChunkStateName(n), this.GetGrainId(), row);
            if (!row.RecordExists)
            {
                break;
            }

            var chunk = new Chunk(n, row, CatalogChunkCodec.Decode(row.State?.Entries ?? [], $"{this.GetPrimaryKeyString()}/{ChunkStateName(n)}"));
            _chunks.Add(chunk);
        }

        if (state.State.Segments.Count > 0)
        {
            await MigrateAsync(cancellationToken);
        }

        Index();
        if (_retention is not null)
        {
            // A reminder, not a timer: retention must run for datasources nobody queries or feeds any more.
            await this.RegisterOrUpdateReminder(RetentionReminder, RetentionPeriod, RetentionPeriod);
        }
    }

    /// <inheritdoc />
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != RetentionReminder)
        {
            return;
        }

        if (_retention is null)
        {
            // Retention was configured when the reminder was registered and is not any more.
            if (await this.GetReminder(RetentionReminder) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }

            return;
        }

        await ApplyRetentionAsync();
    }

    /// <inheritdoc />
    public async ValueTask<SegmentRetentionApplied> ApplyRetentionAsync()
    {
        var remaining = _chunks.Sum(c => c.Entries.Count);
        if (_retention is not { } retention)
        {
            return new SegmentRetentionApplied { Remaining = remaining };
        }

        // A minute of slack for clocks that differ between silos: a segment asked to drop must find itself past retention
        // on its own silo too (else it would activate normally and call back into this catalog).
        var cutoff = Cutoff(retention) - (long)RetentionSlack.TotalMilliseconds;
        var expired = _chunks.SelectMany(c => c.Entries).Where(e => e.EndMs <= cutoff).Select(e => e.Key).ToList();
        var dropped = new HashSet<string>(StringComparer.Ordinal);
        foreach (var batch in expired.Chunk(16))
        {
            // Objects first, the timeline after: a segment whose drop failed stays listed and is dropped next time.
            var drops = batch.Select(async key =>
            {
                try
                {
                    await GrainFactory.GetGrain<ISegmentGrain>(key).DropAsync();
                    return key;
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    SegmentLog.RetentionDropFailed(logger, this.GetPrimaryKeyString(), key, ex);
                    return null;
                }
            });
            foreach (var key in await Task.WhenAll(drops))
            {
                if (key is not null)
                {
                    dropped.Add(key);
                }
            }
        }

        if (dropped.Count > 0)
        {
            _snapshot = null;
            for (var c = 0; c < _chunks.Count; c++)
            {
                if (_chunks[c].Entries.RemoveAll(e => dropped.Contains(e.Key)) > 0)
                {
                    await WriteChunkAsync(c);
                }
            }
        }

        // The oldest chunks empty out first (segments register roughly in time order): move the head past them before
        // deleting their rows, so an activation never starts reading at a row that is gone.
        var empty = 0;
        while (empty < _chunks.Count - 1 && _chunks[empty].Entries.Count == 0)
        {
            empty++;
        }

        // An hour's published version is forgotten only once none of its segments is left (a failed drop keeps it
        // served as before).
        var listedHours = _chunks.SelectMany(c => c.Entries).Select(e => e.StartMs).ToHashSet();
        var staleHours = state.State.HourVersions.Keys.Where(h => h + HourMillis <= cutoff && !listedHours.Contains(h)).ToList();
        if (empty > 0 || staleHours.Count > 0)
        {
            var before = (state.State.FirstChunk, new Dictionary<long, long>(state.State.HourVersions));
            state.State.FirstChunk = _chunks[empty].Number;
            foreach (var hour in staleHours)
            {
                state.State.HourVersions.Remove(hour);
            }

            try
            {
                await state.WriteStateAsync();
            }
            catch
            {
                (state.State.FirstChunk, state.State.HourVersions) = before;
                throw;
            }

            for (var c = 0; c < empty; c++)
            {
                await _storage!.ClearStateAsync(ChunkStateName(_chunks[c].Number), this.GetGrainId(), _chunks[c].Row);
            }

            _chunks.RemoveRange(0, empty);
        }

        Index();
        remaining = _chunks.Sum(c => c.Entries.Count);
        SegmentLog.RetentionApplied(logger, this.GetPrimaryKeyString(), dropped.Count, DateTimeOffset.FromUnixTimeMilliseconds(cutoff), remaining);
        return new SegmentRetentionApplied { Dropped = dropped.Count, Remaining = remaining, CutoffMs = cutoff };
    }

    /// <inheritdoc />
    public async ValueTask RegisterAsync(SegmentTimelineEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        // Bloom filter bytes never enter the catalog (an old sender's inline filter is dropped: its segment writes the object).
        entry = entry.BloomFilter is null ? entry : entry with { BloomFilter = null };
        if (_retention is { } retention && entry.EndMs <= Cutoff(retention))
        {
            // Past retention (a segment activated after its drop): never listed again.
            return;
        }

        if (!_where.TryGetValue(entry.Key, out var at))
        {
            if (_chunks.Count == 0 || _chunks[^1].Entries.Count >= ChunkSize)
            {
                _chunks.Add(NewChunk(_chunks.Count == 0 ? state.State.FirstChunk : _chunks[^1].Number + 1));
            }

            var chunk = _chunks[^1];
            chunk.Entries.Add(entry);
            _snapshot = null;
            try
            {
                await WriteChunkAsync(_chunks.Count - 1);
            }
            catch
            {
                chunk.Entries.RemoveAt(chunk.Entries.Count - 1);
                throw;
            }

            _where[entry.Key] = (_chunks.Count - 1, chunk.Entries.Count - 1);
            return;
        }

        var entries = _chunks[at.Chunk].Entries;
        var known = entries[at.Index];
        if (known is { State: SegmentState.Sealed } && entry.State == SegmentState.Open)
        {
            // A late registration of the open state never undoes a seal.
            return;
        }

        entries[at.Index] = entry;
        _snapshot = null;
        if (known.State != entry.State || known.ObjectKey != entry.ObjectKey || known.BloomObjectKey != entry.BloomObjectKey
            || known.Version != entry.Version || (entry.State == SegmentState.Sealed && (known.SizeBytes != entry.SizeBytes || known.RowCount != entry.RowCount)))
        {
            try
            {
                await WriteChunkAsync(at.Chunk);
            }
            catch
            {
                entries[at.Index] = known;
                throw;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<DatasourceTimeline> GetTimelineAsync()
    {
        _snapshot ??= new DatasourceTimeline
        {
            Datasource = this.GetPrimaryKeyString(),
            Version = state.State.Version + _chunks.Sum(c => c.Data.Version),
            Segments = [.. _chunks.SelectMany(c => c.Entries).Where(Served).OrderBy(e => e.StartMs).ThenBy(e => e.Partition)],
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
            if (!_where.TryGetValue(key, out var at))
            {
                throw new InvalidOperationException($"{name}: segment {key} of version {publish.Version} is not registered.");
            }

            var entry = _chunks[at.Chunk].Entries[at.Index];

            if (entry.Version != publish.Version || entry.StartMs < publish.StartMs || entry.EndMs > publish.EndMs)
            {
                throw new InvalidOperationException($"{name}: segment {key} is version {entry.Version} at {Iso(entry.StartMs)}, not version {publish.Version} inside {Iso(publish.StartMs)}/{Iso(publish.EndMs)}.");
            }

            if (entry.State != SegmentState.Sealed)
            {
                throw new InvalidOperationException($"{name}: segment {key} is still open; seal it before publishing.");
            }
        }

        var overshadowed = _chunks.SelectMany(c => c.Entries).Where(e => Served(e) && e.StartMs >= publish.StartMs && e.EndMs <= publish.EndMs).ToList();
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
        return new SegmentVersionPublished { Published = publish.Keys.Length, Overshadowed = overshadowed.Count, TimelineVersion = state.State.Version + _chunks.Sum(c => c.Data.Version) };
    }

    private const long HourMillis = 3_600_000;

    private async Task WriteChunkAsync(int index)
    {
        var row = _chunks[index].Row;
        var data = _chunks[index].Data;
        var before = (data.Version, data.Entries);
        data.Version++;
        data.Entries = CatalogChunkCodec.Encode(_chunks[index].Entries);
        try
        {
            await _storage!.WriteStateAsync(ChunkStateName(_chunks[index].Number), this.GetGrainId(), row);
        }
        catch
        {
            (data.Version, data.Entries) = before;
            throw;
        }
    }

    /// <summary>
    /// Moves an old-format catalog (every entry in the head row, Bloom filters inline) into chunks: each inline filter
    /// is written as its segment's Bloom object, the entries fill chunks in timeline order, and only then is the head
    /// row emptied of them. Deterministic, so a migration interrupted by a crash runs again to the same chunks.
    /// </summary>
    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var datasource = this.GetPrimaryKeyString();
        var store = ServiceProvider.GetKeyedService<IObjectStore>(ObjectStoreKeys.Segments);
        var prefix = ServiceProvider.GetService<IOptions<SegmentsOptions>>()?.Value.KeyPrefix ?? new SegmentsOptions().KeyPrefix;
        var migrated = new List<SegmentTimelineEntry>(state.State.Segments.Count);
        var blooms = 0;
        foreach (var legacy in state.State.Segments.Values.OrderBy(e => e.StartMs).ThenBy(e => e.Partition).ThenBy(e => e.Version).ThenBy(e => e.Key, StringComparer.Ordinal))
        {
            var entry = legacy with { BloomFilter = null };
            if (legacy is { State: SegmentState.Sealed, BloomFilter: { Length: > 0 } bytes } && store is not null)
            {
                // Without a segments store on this silo the entry stays without a location: its segment writes the
                // object when it next activates, and until then it is scanned, not pruned.
                var bloomKey = SegmentObjectKey.Bloom(prefix, legacy.Key);
                await store.PutAsync(bloomKey, bytes, cancellationToken);
                entry = entry with { BloomObjectKey = bloomKey };
                blooms++;
            }

            migrated.Add(entry);
        }

        var count = (migrated.Count + ChunkSize - 1) / ChunkSize;
        for (var n = 0; n < count; n++)
        {
            if (n == _chunks.Count)
            {
                _chunks.Add(NewChunk(state.State.FirstChunk + n));
            }

            _chunks[n].Entries.Clear();
            _chunks[n].Entries.AddRange(migrated.Skip(n * ChunkSize).Take(ChunkSize));
            await WriteChunkAsync(n);
        }

        // Rows past the migrated ones (none unless written by something else) would be read back as stale entries.
        for (var n = _chunks.Count - 1; n >= count; n--)
        {
            await _storage!.ClearStateAsync(ChunkStateName(_chunks[n].Number), this.GetGrainId(), _chunks[n].Row);
            _chunks.RemoveAt(n);
        }

        state.State.Segments = new(StringComparer.Ordinal);
        await state.WriteStateAsync(cancellationToken);
        SegmentLog.CatalogMigrated(logger, datasource, migrated.Count, count, blooms);
    }

    private bool Served(SegmentTimelineEntry entry) => entry.Version == state.State.HourVersions.GetValueOrDefault(entry.StartMs);

    private long Cutoff(TimeSpan retention) => _time.GetUtcNow().ToUnixTimeMilliseconds() - (long)retention.TotalMilliseconds;

    private static Chunk NewChunk(int number) => new(number, new GrainState<DatasourceCatalogChunk>(new DatasourceCatalogChunk()), []);

    private void Index()
    {
        _where.Clear();
        for (var c = 0; c < _chunks.Count; c++)
        {
            for (var i = 0; i < _chunks[c].Entries.Count; i++)
            {
                _where[_chunks[c].Entries[i].Key] = (c, i);
            }
        }
    }

    /// <summary>One chunk row: its number (row <c>segment-catalog-{Number}</c>), the stored row, and its entries.</summary>
    private sealed record Chunk(int Number, GrainState<DatasourceCatalogChunk> Row, List<SegmentTimelineEntry> Entries)
    {
        public DatasourceCatalogChunk Data => Row.State ??= new DatasourceCatalogChunk();
    }

    private static string Iso(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
