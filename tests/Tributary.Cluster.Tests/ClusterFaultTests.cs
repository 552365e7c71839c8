using Tributary.TestKit;

namespace Tributary.Cluster.Tests;

/// <summary>
/// Faults from outside the process: three silo processes in the cluster profile over Redis, s3rver and the dev broker,
/// a known number of generated events (with malformed ones), and a fault mid-ingest. Each scenario ends with exact
/// checks: every silo's broker counts exactly the well-formed events, the segment sink's consumer group committed the
/// end offsets, and the dead-letter topic holds the malformed offsets and nothing else.
/// </summary>
[Trait("Category", "Slow")]
[Collection(nameof(ProcessClusterTests))]
public sealed class ClusterFaultTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task KillNine_SiloMidIngestThenASecondWhileTheFirstRecovers_NothingLostOrTwice()
    {
        await using var cluster = await ProcessCluster.StartAsync(silos: 3);
        var traffic = cluster.ProduceSteadilyAsync(0, 20_000, TestContext.Current.CancellationToken);
        await Eventually.HoldsAsync(() => ProcessCluster.CountAsync(cluster.Silos[0]), n => n >= 2_000, Deadline, "ingest under way");

        cluster.Silos[1].Kill();
        await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);
        var recovering = cluster.Silos[1].StartAsync(TimeSpan.FromSeconds(120));
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        cluster.Silos[2].Kill();
        await recovering;
        await cluster.Silos[2].StartAsync(TimeSpan.FromSeconds(120));
        await traffic;

        await AssertExactAsync(cluster);
    }

    [Fact]
    public async Task RedisUnavailable20s_MidIngest_NothingLostOrTwice()
    {
        await using var cluster = await ProcessCluster.StartAsync(silos: 3);
        var traffic = cluster.ProduceSteadilyAsync(0, 20_000, TestContext.Current.CancellationToken);
        await Eventually.HoldsAsync(() => ProcessCluster.CountAsync(cluster.Silos[0]), n => n >= 2_000, Deadline, "ingest under way");

        await cluster.RedisOutageAsync(TimeSpan.FromSeconds(20));
        await traffic;

        await AssertExactAsync(cluster);
        Assert.All(cluster.Silos, s => Assert.True(s.IsRunning, $"silo {s.Index} survived the outage:\n{s.Tail()}"));
    }

    [Fact]
    public async Task RollingRestart_SigtermOneSiloAtATimeUnderLoad_NothingLostOrTwice()
    {
        await using var cluster = await ProcessCluster.StartAsync(silos: 3);
        var traffic = cluster.ProduceSteadilyAsync(0, 20_000, TestContext.Current.CancellationToken);
        await Eventually.HoldsAsync(() => ProcessCluster.CountAsync(cluster.Silos[0]), n => n >= 2_000, Deadline, "ingest under way");

        foreach (var silo in cluster.Silos)
        {
            await silo.StopAsync(TimeSpan.FromSeconds(60));
            await silo.StartAsync(TimeSpan.FromSeconds(120));
        }

        await traffic;
        await AssertExactAsync(cluster);
    }

    [Fact]
    public async Task S3ReturningErrors15s_MidIngest_NothingLostOrTwice()
    {
        await using var cluster = await ProcessCluster.StartAsync(silos: 3, s3Proxy: true);
        var traffic = cluster.ProduceSteadilyAsync(0, 20_000, TestContext.Current.CancellationToken);
        await Eventually.HoldsAsync(() => ProcessCluster.CountAsync(cluster.Silos[0]), n => n >= 2_000, Deadline, "ingest under way");

        cluster.S3Proxy!.Failing = true;
        await Task.Delay(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
        cluster.S3Proxy.Failing = false;
        await traffic;

        await AssertExactAsync(cluster);
        Assert.True(cluster.S3Proxy.Refused > 0, "the silos wrote to S3 during the fault");
    }

    [Fact]
    public async Task KafkaBrokerDown10s_MidIngest_NothingLostOrTwice()
    {
        await using var cluster = await ProcessCluster.StartAsync(silos: 3);
        var traffic = cluster.ProduceSteadilyAsync(0, 20_000, TestContext.Current.CancellationToken);
        await Eventually.HoldsAsync(() => ProcessCluster.CountAsync(cluster.Silos[0]), n => n >= 2_000, Deadline, "ingest under way");

        cluster.Kafka.SetBrokerDown(2);
        await Task.Delay(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        cluster.Kafka.SetBrokerUp(2);
        await traffic;

        await AssertExactAsync(cluster);
    }

    private static async Task AssertExactAsync(ProcessCluster cluster)
    {
        await cluster.WaitForExactCountsAsync(Deadline);
        await cluster.WaitForCommittedAtEndAsync("tributary-segments", Deadline);
        var letters = cluster.ReadDeadLetters();
        Assert.Equal(cluster.Malformed.OrderBy(m => m), letters.Select(l => (l.Partition, l.Offset)).Distinct().OrderBy(m => m));
        Assert.All(letters, l => Assert.Contains("JSON", l.Reason, StringComparison.OrdinalIgnoreCase));
        Assert.Equal(20_000 - cluster.Malformed.Count, cluster.WellFormed);
    }
}

/// <summary>The process-cluster tests run one at a time: each starts three silo processes on a two-core machine.</summary>
[CollectionDefinition(nameof(ProcessClusterTests), DisableParallelization = true)]
public sealed class ProcessClusterTests;
