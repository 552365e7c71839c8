namespace Tributary.Tracker.Tests;

[Collection(nameof(MariaDbCollection))]
public sealed class ReplicaSelectorTests
{
    private static readonly MariaDbServers Servers = MariaDbServers.Instance;

    [Fact]
    public async Task ProbeAsync_PrimaryAndReplicas_FindsEachRole()
    {
        var topology = ShardTopology.Resolve(Servers.Options("tributary_none"), "test", 0);

        var probes = await ReplicaSelector.ProbeAsync(topology, TestContext.Current.CancellationToken);

        Assert.Equal([HostRole.Primary, HostRole.Replica, HostRole.Replica], probes.Select(p => p.Role));
        Assert.Equal([Servers.Replica, Servers.Replica2], ReplicaSelector.Eligible(probes));
        Assert.Equal([Servers.Replica2], ReplicaSelector.Eligible(probes, [Servers.Replica]));
    }

    [Fact]
    public async Task ProbeAsync_ReplicationStoppedOrHostDown_NotEligible()
    {
        var options = Servers.Options("tributary_none");
        options.Clusters["test"].Shards[0].Hosts.Add("127.0.0.1:1");
        options.ConnectTimeoutSeconds = 2;
        var topology = ShardTopology.Resolve(options, "test", 0);
        await Servers.AdminQueryAsync(Servers.Replica2, "STOP SLAVE SQL_THREAD");
        IReadOnlyList<HostProbe> probes;
        try
        {
            probes = await ReplicaSelector.ProbeAsync(topology, TestContext.Current.CancellationToken);
        }
        finally
        {
            await Servers.AdminQueryAsync(Servers.Replica2, "START SLAVE SQL_THREAD");
        }

        Assert.Equal([HostRole.Primary, HostRole.Replica, HostRole.Lagging, HostRole.Unreachable], probes.Select(p => p.Role));
        Assert.Equal([Servers.Replica], ReplicaSelector.Eligible(probes));
    }

    [Fact]
    public async Task RunAsync_NoEligibleReplica_ThrowsListingEveryHost()
    {
        var options = Servers.Options("tributary_none");
        options.Clusters["test"].Shards[0].Hosts = [Servers.Primary.ToString()];
        var snapshotter = new ShardSnapshotter(ShardTopology.Resolve(options, "test", 0), SnapshotTestKit.NewStore());

        var ex = await Assert.ThrowsAsync<NoReplicaAvailableException>(() => snapshotter.RunAsync(SnapshotTestKit.Date, null, TestContext.Current.CancellationToken));

        Assert.Contains($"{Servers.Primary} Primary", ex.Message, StringComparison.Ordinal);
    }
}
