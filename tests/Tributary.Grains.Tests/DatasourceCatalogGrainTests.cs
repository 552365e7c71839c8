using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.Storage;
using Orleans.TestingHost;
using Tributary.Bitmaps.Bloom;
using Tributary.Grains.Segments;
using Tributary.Kafka;
using Tributary.Segments;
using Tributary.TestKit;
using static Tributary.Grains.Tests.SegmentSinkTests;

namespace Tributary.Grains.Tests;

/// <summary>
/// The catalog's storage under Redis grain storage (as in production): chunk rows of 64 segments, Bloom filters as
/// objects next to their segments (never in the catalog), migration of the old single-row format, and the broker's
/// lazy Bloom loads (a missing filter means scan, never a wrong answer).
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class DatasourceCatalogGrainTests
{
    private const long Hour = 3_600_000;
    private static readonly long Base = DateTimeOffset.Parse("2026-11-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();

    [Fact]
    public async Task Register_PastOneChunk_RewritesOnlyTheChunkOfTheSegmentAndSurvivesReactivation()
    {
        await using var env = await SegmentEnvironment.StartAsync(silos: 1);
        var catalog = env.Cluster.Client.GetGrain<IDatasourceCatalogGrain>(env.Datasource);
        var entries = Enumerable.Range(0, 150).Select(i => Entry(env.Datasource, i)).ToList();
        foreach (var entry in entries)
        {
            await catalog.RegisterAsync(entry);
        }

        var storage = Storage(env.Cluster);
        var id = catalog.GetGrainId();
        var before = new List<string?>();
        for (var n = 0; n < 3; n++)
        {
            var row = await ReadChunkAsync(storage, id, n);
            Assert.True(row.RecordExists, $"chunk {n} written");
            before.Add(row.ETag);
            Assert.Equal(n < 2 ? 64 : 22, CatalogChunkCodec.Decode(row.State!.Entries, "test").Count);
        }

        Assert.False((await ReadChunkAsync(storage, id, 3)).RecordExists);

        // Sealing a segment of the last chunk rewrites that chunk only.
        var last = entries[140] with { State = SegmentState.Sealed, SizeBytes = 999, BloomObjectKey = $"segments/{entries[140].Key}/bloom.tbf" };
        await catalog.RegisterAsync(last);
        Assert.Equal(before[0], (await ReadChunkAsync(storage, id, 0)).ETag);
        Assert.Equal(before[1], (await ReadChunkAsync(storage, id, 1)).ETag);
        Assert.NotEqual(before[2], (await ReadChunkAsync(storage, id, 2)).ETag);

        // No segment lives in the head row.
        var head = new GrainState<DatasourceCatalogState>(new DatasourceCatalogState());
        await storage.ReadStateAsync("segment-catalog", id, head);
        Assert.Empty(head.State!.Segments);

        // A row count reported without a state change is kept in memory only: after a reload it is the persisted one.
        var timeline = await catalog.GetTimelineAsync();
        await catalog.RegisterAsync(entries[0] with { RowCount = 12_345 });
        Assert.Contains((await catalog.GetTimelineAsync()).Segments, s => s.RowCount == 12_345);
        await catalog.AsReference<IGrainManagementExtension>().DeactivateOnIdle(TestContext.Current.CancellationToken);
        var reloaded = await Eventually.HoldsAsync(
            async () => await catalog.GetTimelineAsync(), t => t.Segments.All(s => s.RowCount != 12_345), TimeSpan.FromSeconds(30), "catalog reactivated from storage");
        Assert.Equal(150, reloaded.Segments.Length);
        Assert.Equal(timeline.Version, reloaded.Version);
        Assert.Equal(Json(timeline.Segments), Json(reloaded.Segments));
        var sealedEntry = Assert.Single(reloaded.Segments, s => s.State == SegmentState.Sealed);
        Assert.Equal(last, sealedEntry);
    }

    [Fact]
    public async Task Activate_OldFormatState_MigratesEntriesIntoChunksAndInlineBloomFiltersIntoObjects()
    {
        await using var env = await SegmentEnvironment.StartAsync(silos: 1);
        var catalog = env.Cluster.Client.GetGrain<IDatasourceCatalogGrain>(env.Datasource);
        var storage = Storage(env.Cluster);
        var id = catalog.GetGrainId();

        // The old format: one head row holding every entry, each sealed one with its Bloom filter inline.
        var old = new DatasourceCatalogState { Version = 141, HourVersions = { [Base + Hour] = 5 } };
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < 70; i++)
        {
            index[Key(env.Datasource, i)] = i;
            var entry = Entry(env.Datasource, i) with { State = SegmentState.Sealed, ObjectKey = $"segments/{Key(env.Datasource, i)}/segment.tseg", SizeBytes = 1000 + i };
            old.Segments[entry.Key] = entry with { BloomFilter = Bloom($"pin-{i}") };
        }

        await storage.WriteStateAsync("segment-catalog", id, new GrainState<DatasourceCatalogState>(old));

        var timeline = await catalog.GetTimelineAsync();

        // Served as before: 70 entries minus those of the hour that serves version 5 (none are version 5).
        var served = old.Segments.Values.Where(e => e.StartMs != Base + Hour).ToList();
        Assert.Equal(served.Count, timeline.Segments.Length);
        Assert.True(timeline.Version > 141, $"timeline version {timeline.Version} moved on from the old 141");
        Assert.All(timeline.Segments, s => Assert.Null(s.BloomFilter));
        var root = env.StorePath;
        foreach (var s in timeline.Segments)
        {
            Assert.Equal($"segments/{s.Key}/bloom.tbf", s.BloomObjectKey);
            var bytes = await File.ReadAllBytesAsync(Path.Combine(root, s.BloomObjectKey!), TestContext.Current.CancellationToken);
            var filter = BlockedBloomFilter.Read(bytes);
            var i = index[s.Key];
            Assert.True(filter.MayContain($"pin-{i}"), s.Key);
            Assert.Equal(1000 + i, s.SizeBytes);
        }

        var head = new GrainState<DatasourceCatalogState>(new DatasourceCatalogState());
        await storage.ReadStateAsync("segment-catalog", id, head);
        Assert.Empty(head.State!.Segments);
        Assert.Equal(5, head.State.HourVersions[Base + Hour]);
        Assert.Equal(64, CatalogChunkCodec.Decode((await ReadChunkAsync(storage, id, 0)).State!.Entries, "test").Count);
        Assert.Equal(6, CatalogChunkCodec.Decode((await ReadChunkAsync(storage, id, 1)).State!.Entries, "test").Count);

        // After migration the catalog goes on registering incrementally.
        await catalog.RegisterAsync(Entry(env.Datasource, 70));
        Assert.Equal(7, CatalogChunkCodec.Decode((await ReadChunkAsync(storage, id, 1)).State!.Entries, "test").Count);
    }

    [Fact]
    public async Task IdFilteredQuery_BloomObjectsLoadedLazily_MissingOneIsScannedNotPruned()
    {
        await using var env = await SegmentEnvironment.StartAsync(silos: 1);
        var (pinA, pinB) = TwoPinsOfDifferentPartitions();
        var events = Generate(0, 2_000);
        var start = events.Min(e => e.Ts);
        // Each solo pin only in the first hour: its home partition's later-hour segments do not hold it.
        var solo = Enumerable.Range(0, 5).SelectMany(i => new[] { new TestEvent(pinA, "click", "ios", start + i, i), new TestEvent(pinB, "save", "web", start + i, i) }).ToList();
        env.Produce([.. solo, .. events]);
        await env.WaitForEventsAsync(2_010);
        await env.SealAllAsync();

        var timeline = await env.Cluster.Client.GetGrain<IDatasourceCatalogGrain>(env.Datasource).GetTimelineAsync();
        Assert.All(timeline.Segments, s =>
        {
            Assert.Equal(SegmentState.Sealed, s.State);
            Assert.Equal(SegmentObjectKey.Bloom("segments", s.Key), s.BloomObjectKey);
            Assert.True(File.Exists(Path.Combine(env.StorePath, s.BloomObjectKey!)), s.BloomObjectKey);
        });

        var firstHour = start / Hour * Hour;
        var homeA = timeline.Segments.Where(s => s.Partition == Partition(pinA)).ToList();
        var homeB = timeline.Segments.Where(s => s.Partition == Partition(pinB)).ToList();
        Assert.Contains(homeB, s => s.StartMs != firstHour);

        // pin B's later-hour filters are gone before any query loaded them.
        foreach (var s in homeB.Where(s => s.StartMs != firstHour))
        {
            File.Delete(Path.Combine(env.StorePath, s.BloomObjectKey!));
        }

        var expectedPrunedA = homeA.Count(s => !BlockedBloomFilter.Read(File.ReadAllBytes(Path.Combine(env.StorePath, s.BloomObjectKey!))).MayContain(pinA));
        var a = await ExplainAsync(env, pinA);
        Assert.Equal(5, a.Events);
        Assert.Equal(expectedPrunedA, a.PrunedByBloom);
        Assert.Equal(homeA.Count - expectedPrunedA, a.Scanned);

        var b = await ExplainAsync(env, pinB);
        Assert.Equal(5, b.Events);
        Assert.Equal(0, b.PrunedByBloom);
        Assert.Equal(homeB.Count, b.Scanned);
    }

    [Fact]
    public async Task ApplyRetention_SegmentsPastThePeriod_DroppedFromTimelineAndStoreAndNeverListedAgain()
    {
        var clock = ShiftedClock.Instance;
        clock.Shift = TimeSpan.Zero;
        await using var env = await SegmentEnvironment.StartAsync(
            silos: 1,
            new Dictionary<string, string?> { ["Tributary:Segments:Retention"] = "2.00:00:00" },
            b => b.Builder.AddSiloBuilderConfigurator<ShiftedClock.Configurator>());
        var grains = env.Cluster.Client;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / Hour * Hour;
        var old = SegmentKey.Format(env.Datasource, now - (10 * Hour), 0);
        var kept = SegmentKey.Format(env.Datasource, now - Hour, 1);
        var open = SegmentKey.Format(env.Datasource, now, 2);
        await AppendAsync(grains.GetGrain<ISegmentGrain>(old), now - (10 * Hour), 30);
        await AppendAsync(grains.GetGrain<ISegmentGrain>(kept), now - Hour, 20);
        await AppendAsync(grains.GetGrain<ISegmentGrain>(open), now, 10);
        await grains.GetGrain<ISegmentGrain>(old).SealAsync();
        await grains.GetGrain<ISegmentGrain>(kept).SealAsync();
        var oldFiles = new[] { SegmentObjectKey.Sealed("segments", old), SegmentObjectKey.Bloom("segments", old) }.Select(k => Path.Combine(env.StorePath, k)).ToList();
        Assert.All(oldFiles, f => Assert.True(File.Exists(f), f));
        var catalog = grains.GetGrain<IDatasourceCatalogGrain>(env.Datasource);
        Assert.Equal(0, (await catalog.ApplyRetentionAsync()).Dropped);
        Assert.Equal(60, await env.CountAsync());

        // Two days less three hours later: the segment of ten hours ago is past the two days, the one of an hour ago not.
        clock.Shift = TimeSpan.FromDays(2) - TimeSpan.FromHours(3);
        var applied = await catalog.ApplyRetentionAsync();
        Assert.Equal(1, applied.Dropped);
        Assert.Equal(2, applied.Remaining);
        var timeline = await catalog.GetTimelineAsync();
        Assert.Equal([kept, open], timeline.Segments.Select(s => s.Key).Order(StringComparer.Ordinal));
        Assert.All(oldFiles, f => Assert.False(File.Exists(f), f));
        var segmentState = new GrainState<SegmentGrainState>(new SegmentGrainState());
        await Storage(env.Cluster).ReadStateAsync("segment", grains.GetGrain<ISegmentGrain>(old).GetGrainId(), segmentState);
        Assert.False(segmentState.RecordExists);
        Assert.Equal(30, await env.CountAsync());

        // Activated again, the dropped segment holds nothing, refuses events and does not come back; nor does a registration.
        var refused = await grains.GetGrain<ISegmentGrain>(old).AppendAsync(Batch(now - (10 * Hour), 100, 1));
        Assert.Contains("retention", Assert.Single(refused.Rejected).Reason, StringComparison.Ordinal);
        await catalog.RegisterAsync(Entry(env.Datasource, 0) with { Key = old, StartMs = now - (10 * Hour), EndMs = now - (9 * Hour), State = SegmentState.Sealed });
        Assert.DoesNotContain((await catalog.GetTimelineAsync()).Segments, s => s.Key == old);
        Assert.Equal(0, (await catalog.ApplyRetentionAsync()).Dropped);
        Assert.Equal(30, await env.CountAsync());
    }

    [Fact]
    public async Task Activate_SegmentSealedBeforeBloomObjects_WritesItsBloomObjectAndRegistersItsLocation()
    {
        await using var env = await SegmentEnvironment.StartAsync(silos: 1);
        var grains = env.Cluster.Client;
        var hour = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / Hour * Hour) - Hour;
        var key = SegmentKey.Format(env.Datasource, hour, 3);
        var segment = grains.GetGrain<ISegmentGrain>(key);
        await AppendAsync(segment, hour, 25);
        await segment.SealAsync();
        var catalog = grains.GetGrain<IDatasourceCatalogGrain>(env.Datasource);
        var entry = Assert.Single((await catalog.GetTimelineAsync()).Segments);

        // What a segment sealed by the old code left: no Bloom object, no Bloom key in its state or the catalog.
        await segment.AsReference<IGrainManagementExtension>().DeactivateOnIdle(TestContext.Current.CancellationToken);
        var bloomFile = Path.Combine(env.StorePath, SegmentObjectKey.Bloom("segments", key));
        File.Delete(bloomFile);
        var storage = Storage(env.Cluster);
        var row = new GrainState<SegmentGrainState>(new SegmentGrainState());
        await storage.ReadStateAsync("segment", segment.GetGrainId(), row);
        Assert.Equal(SegmentObjectKey.Bloom("segments", key), row.State!.BloomKey);
        row.State.BloomKey = null;
        await storage.WriteStateAsync("segment", segment.GetGrainId(), row);
        await catalog.RegisterAsync(entry with { BloomObjectKey = null });
        Assert.Null(Assert.Single((await catalog.GetTimelineAsync()).Segments).BloomObjectKey);

        Assert.Equal(SegmentState.Sealed, (await segment.GetStatusAsync()).State);

        Assert.True(File.Exists(bloomFile));
        Assert.True(BlockedBloomFilter.Read(await File.ReadAllBytesAsync(bloomFile, TestContext.Current.CancellationToken)).MayContain("p7"));
        Assert.Equal(SegmentObjectKey.Bloom("segments", key), Assert.Single((await catalog.GetTimelineAsync()).Segments).BloomObjectKey);
        await storage.ReadStateAsync("segment", segment.GetGrainId(), row);
        Assert.Equal(SegmentObjectKey.Bloom("segments", key), row.State!.BloomKey);
    }

    private static SegmentAppendBatch Batch(long hour, int first, int count) => new()
    {
        Offsets = [.. Enumerable.Range(first, count).Select(o => (long)o)],
        Events = [.. Enumerable.Range(first, count).Select(o => Encoding.UTF8.GetBytes(Event(hour + (o * 1_000L), $"p{o}", "click", "ios", o)))],
        WatermarkMs = hour,
    };

    private static async Task AppendAsync(ISegmentGrain segment, long hour, int count)
    {
        var result = await segment.AppendAsync(Batch(hour, 0, count));
        Assert.Equal(count, result.Appended);
    }

    private static async Task<(long Events, int PrunedByBloom, int Scanned)> ExplainAsync(SegmentEnvironment env, string pin)
    {
        var query = $$$"""{"queryType":"timeseries","dataSource":"DS","intervals":["2000-01-01/2100-01-01"],"granularity":"all","filter":{"type":"selector","dimension":"pin_id","value":"{{{pin}}}"},"aggregations":[{"type":"longSum","name":"events","fieldName":"count"}],"context":{"explain":true}}""";
        var response = await env.QueryAsync(query);
        Assert.Equal(200, response.StatusCode);
        using var doc = JsonDocument.Parse(response.Body);
        var explain = doc.RootElement.GetProperty("explain");
        return (doc.RootElement.GetProperty("result")[0].GetProperty("result").GetProperty("events").GetInt64(),
            explain.GetProperty("prunedByBloomFilter").GetInt32(), explain.GetProperty("scanned").GetInt32());
    }

    private static (string A, string B) TwoPinsOfDifferentPartitions()
    {
        var a = "solo-a";
        var b = Enumerable.Range(0, 100).Select(i => $"solo-b{i}").First(p => Partition(p) != Partition(a));
        return (a, b);
    }

    private static int Partition(string pin) => Murmur2Partitioner.Partition(Encoding.UTF8.GetBytes(pin), SegmentEnvironment.PartitionCount);

    private static IGrainStorage Storage(TestCluster cluster) =>
        (cluster.Primary as InProcessSiloHandle ?? throw new InvalidOperationException("the test cluster runs its silos in process")).ServiceProvider.GetRequiredKeyedService<IGrainStorage>("tributary");

    private static async Task<GrainState<DatasourceCatalogChunk>> ReadChunkAsync(IGrainStorage storage, GrainId id, int n)
    {
        var row = new GrainState<DatasourceCatalogChunk>(new DatasourceCatalogChunk());
        await storage.ReadStateAsync(DatasourceCatalogGrain.ChunkStateName(n), id, row);
        return row;
    }

    private static string Key(string datasource, int i) => SegmentKey.Format(datasource, Base + (i / 4 * Hour), i % 4);

    private static SegmentTimelineEntry Entry(string datasource, int i) => new()
    {
        Key = Key(datasource, i),
        StartMs = Base + (i / 4 * Hour),
        EndMs = Base + (i / 4 * Hour) + Hour,
        Partition = i % 4,
        State = SegmentState.Open,
        RowCount = 10 + i,
        EventCount = 20 + i,
    };

    private static byte[] Bloom(string member)
    {
        var filter = new BlockedBloomFilter(BloomFilterParameters.ForFalsePositiveRate(100, 0.01));
        filter.Add(member);
        return filter.ToArray();
    }

    private static string Json(SegmentTimelineEntry[] entries) => JsonSerializer.Serialize(entries);

    /// <summary>
    /// The silo's wall clock moved by <see cref="Shift"/> (timers and timestamps keep real time), so a test can be
    /// "two days later" for retention without waiting. One instance: the cluster tests run one at a time.
    /// </summary>
    private sealed class ShiftedClock : TimeProvider
    {
        public static readonly ShiftedClock Instance = new();

        public TimeSpan Shift { get; set; }

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Shift;

        public sealed class Configurator : ISiloConfigurator
        {
            public void Configure(ISiloBuilder siloBuilder) => siloBuilder.Services.AddSingleton<TimeProvider>(Instance);
        }
    }
}
