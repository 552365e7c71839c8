using Orleans.TestingHost;
using Tributary.Client.Unified;
using Tributary.Grains.Unified;
using Tributary.Storage;
using Tributary.Storage.Archive;
using Tributary.TestKit;
using Tributary.TestKit.Cluster;
using Tributary.Unified;
using Tributary.Watermarks;

namespace Tributary.Grains.Tests;

/// <summary>The watermark grain of a job in a test cluster composed like production (Redis grain storage).</summary>
[Collection(nameof(ClusterTests))]
public sealed class WatermarkGrainTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Report_ReadersOfAJob_GlobalMinimumOverTheReadersNotIdle()
    {
        await using var cluster = await DeployAsync(silos: 1, persistInterval: TimeSpan.FromHours(1));
        var job = cluster.Client.GetGrain<IWatermarkGrain>(TributaryClusterBuilder.NewId('j'));

        Assert.Equal(5_000, await job.ReportAsync("live", 5_000));
        Assert.Equal(1_000, await job.ReportAsync("history", 1_000));
        Assert.Equal(1_000, await job.ReportAsync("idle", null));
        Assert.Equal(5_000, await job.ReportAsync("history", null)); // idle now
        Assert.Equal(long.MinValue, await job.ReportAsync("fresh", long.MinValue)); // no event time yet: holds everyone back
        await job.LeaveAsync("fresh");

        var view = await job.GetAsync();
        Assert.Equal(5_000, view.GlobalMinimumMs);
        Assert.Equal(["history", "idle", "live"], view.Readers.Select(r => r.ReaderId));
        Assert.Null(await cluster.Client.GetGrain<IWatermarkGrain>(TributaryClusterBuilder.NewId('j')).ReportAsync("only", null));
    }

    [Fact]
    public async Task Report_ManyReports_NoWritePerReport_StateSurvivesDeactivation()
    {
        await using var cluster = await DeployAsync(silos: 1, persistInterval: TimeSpan.FromHours(1));
        var key = TributaryClusterBuilder.NewId('j');
        var job = cluster.Client.GetGrain<IWatermarkGrain>(key);
        for (var i = 0; i < 500; i++)
        {
            await job.ReportAsync($"reader-{i % 5}", 10_000 + i);
        }

        await job.ReportAsync("gone", 1);
        await job.LeaveAsync("gone"); // written at once: a reader that left never comes back
        var before = await job.GetAsync();
        Assert.Equal(501, before.Reports);
        Assert.Equal(1, before.Writes); // the leave only: reports are coalesced

        await cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero, TestContext.Current.CancellationToken);

        var after = await Eventually.HoldsAsync(() => job.GetAsync().AsTask(), v => v.Reports == 0 && v.Writes == 0, Deadline, "a new activation");
        Assert.Equal(before.Readers.Select(r => (r.ReaderId, r.WatermarkMs)), after.Readers.Select(r => (r.ReaderId, r.WatermarkMs)));
        Assert.Equal(10_495, after.GlobalMinimumMs); // reader-0's last report: 10,000 + 495
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Timer_WritesTheState_ItSurvivesTheSiloBeingKilled()
    {
        await using var cluster = await DeployAsync(silos: 2, persistInterval: TimeSpan.FromMilliseconds(200));
        var victim = cluster.SecondarySilos[0];
        IWatermarkGrain? job = null;
        for (var attempt = 0; attempt < 64 && job is null; attempt++)
        {
            var candidate = cluster.Client.GetGrain<IWatermarkGrain>(TributaryClusterBuilder.NewId('j'));
            await candidate.ReportAsync("history", 1_000);
            if ((await candidate.GetAsync()).Silo == victim.SiloAddress.ToString())
            {
                job = candidate;
            }
        }

        Assert.NotNull(job);
        await job.ReportAsync("live", 9_000);
        await Eventually.HoldsAsync(() => job.GetAsync().AsTask(), v => v.Writes >= 1 && v.Readers.Length == 2, Deadline, "the timer wrote the state");

        await cluster.KillSiloAsync(victim, TestContext.Current.CancellationToken);

        var moved = await Eventually.HoldsAsync(
            async () =>
            {
                try
                {
                    return await job.GetAsync();
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    return null; // the dead silo is not declared dead yet
                }
            },
            v => v is not null && v.Silo != victim.SiloAddress.ToString(), Deadline, "the grain on the surviving silo");
        Assert.Equal([("history", (long?)1_000), ("live", 9_000)], moved!.Readers.Select(r => (r.ReaderId, r.WatermarkMs)));
        Assert.Equal(1_000, moved.GlobalMinimumMs);
    }

    [Fact]
    public async Task GrainAlignment_ReaderAheadOfAnotherReaderOfItsJob_PausesUntilTheOtherCatchesUp()
    {
        await using var cluster = await DeployAsync(silos: 1, persistInterval: TimeSpan.FromSeconds(5));
        var topic = KafkaTestCluster.CreateTopic("aligned", 2);
        KafkaTestCluster.ProduceKeyed(topic, 2, 0, 200);
        var key = TributaryClusterBuilder.NewId('j');
        var job = cluster.Client.GetGrain<IWatermarkGrain>(key);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await job.ReportAsync("history", now - (long)TimeSpan.FromHours(1).TotalMilliseconds);
        var dir = Path.Combine(Path.GetTempPath(), "watermark-grain-" + Guid.NewGuid().ToString("N"));
        var source = new UnifiedSource(new LocalDirectoryObjectStore(dir), new UnifiedSourceOptions
        {
            Topic = topic,
            Kafka = new() { BootstrapServers = KafkaTestCluster.BootstrapServers },
            Archive = new ArchiveOptions { Format = ArchiveFormat.Raw, EventTime = new() { Source = EventTimeSource.KafkaTimestamp } },
            Until = UnifiedUntil.LatestAtOpen,
            Alignment = new() { ReaderId = "live", MaxDrift = TimeSpan.FromMinutes(1), ReportInterval = TimeSpan.FromMilliseconds(50) },
        }, new GrainWatermarkAlignment(cluster.Client, key));
        var read = 0;
        var reading = Task.Run(async () =>
        {
            await foreach (var _ in source.ReadAsync(TestContext.Current.CancellationToken))
            {
                Interlocked.Increment(ref read);
            }
        }, TestContext.Current.CancellationToken);

        await Eventually.HoldsAsync(() => Task.FromResult(source.IsAlignmentPaused), p => p, Deadline, "the live reader paused");
        var paused = await job.GetAsync();
        Assert.Contains(paused.Readers, r => r.ReaderId == "live" && r.WatermarkMs > now - 60_000);
        Assert.True(Volatile.Read(ref read) < 200, "the reader paused before its end");
        Assert.False(reading.IsCompleted);

        await job.ReportAsync("history", now + (long)TimeSpan.FromHours(1).TotalMilliseconds);
        await reading.WaitAsync(Deadline, TestContext.Current.CancellationToken);

        Assert.Equal(200, read);
        Assert.Equal(["history"], (await job.GetAsync()).Readers.Select(r => r.ReaderId)); // the ended reader left
    }

    private static Task<TestCluster> DeployAsync(short silos, TimeSpan persistInterval) =>
        new TributaryClusterBuilder(silos, TributaryClusterBuilder.NewId('w'))
            .With(new Dictionary<string, string?> { ["Tributary:Watermarks:PersistInterval"] = persistInterval.ToString() })
            .DeployAsync();
}

public sealed class WatermarkGrainOptionsValidatorTests
{
    [Fact]
    public void Collect_NonPositiveIntervals_NameEachKey()
    {
        var failures = WatermarkGrainOptionsValidator.Collect(
            new WatermarkGrainOptions { PersistInterval = TimeSpan.Zero, ReaderTimeout = TimeSpan.FromSeconds(-1) }, "Tributary:Watermarks").ToList();

        Assert.Equal(2, failures.Count);
        Assert.Contains(failures, f => f.StartsWith("Tributary:Watermarks:PersistInterval must be positive", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Tributary:Watermarks:ReaderTimeout must be positive", StringComparison.Ordinal));
        Assert.Empty(WatermarkGrainOptionsValidator.Collect(new WatermarkGrainOptions(), "Tributary:Watermarks"));
    }
}
