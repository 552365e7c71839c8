using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Tributary.Grains.Tracker;
using Tributary.Storage;
using Tributary.TestKit;
using static Tributary.Tracker.Tests.SnapshotTestKit;

namespace Tributary.Tracker.Tests;

[Collection(nameof(MariaDbCollection))]
public sealed class ShardSnapshotGrainTests : IAsyncLifetime
{
    private static readonly MariaDbServers Servers = MariaDbServers.Instance;
    private readonly string _database = NewDatabase("grain");
    private readonly LocalDirectoryObjectStore _store = NewStore();
    private InProcessTestCluster? _cluster;

    public async ValueTask InitializeAsync()
    {
        await CreateNumberedTableAsync(Servers, _database, 5000);
        var options = Servers.Options(_database, chunkRows: 1000, connections: 2);
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage("tributary");
            silo.UseInMemoryReminderService();
            silo.AddTributaryTracker();
            silo.Services.Configure<TrackerOptions>(o =>
            {
                o.Clusters = options.Clusters;
                o.ChunkRows = options.ChunkRows;
                o.RowGroupRows = options.RowGroupRows;
                o.Connections = options.Connections;
                o.ScheduleEnabled = true;
                o.DailyAtUtc = "03:30";
            });
            silo.Services.AddKeyedSingleton<IObjectStore>(Tributary.Grains.ObjectStoreKeys.Tracker, _store);
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task StartSnapshotAsync_OnDemand_RunsInBackgroundAndReportsOutcome()
    {
        var grain = _cluster!.Client.GetGrain<IShardSnapshotGrain>(ShardKey.Format("test", 0));

        var started = await grain.StartSnapshotAsync(Date);
        var again = await grain.StartSnapshotAsync(Date);
        var done = await Eventually.HoldsAsync(grain.GetStatusAsync, s => s.State != ShardSnapshotState.Running, TimeSpan.FromSeconds(90), "snapshot finishing");

        Assert.Equal(ShardSnapshotState.Running, started.State);
        Assert.Equal(started.StartedAt, again.StartedAt);
        Assert.Equal(ShardSnapshotState.Succeeded, done.State);
        Assert.Null(done.LastError);
        Assert.Equal(5000, done.RowsDone);
        Assert.Equal(5, done.ChunksDone);
        Assert.Equal(Date, done.Date);
        Assert.False(string.IsNullOrEmpty(done.LastGtid));
        Assert.NotNull(await _store.GetInfoAsync(new SnapshotPaths("mysql", "test", 0, Date).Success(_database, "t"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task GetStatusAsync_ScheduleEnabled_RegistersDailyReminder()
    {
        var grain = _cluster!.Client.GetGrain<IShardSnapshotGrain>(ShardKey.Format("test", 0));

        var status = await grain.GetStatusAsync();

        Assert.Equal(ShardSnapshotState.Idle, status.State);
        Assert.Equal(new TimeOnly(3, 30), TimeOnly.FromTimeSpan(status.NextScheduledAt!.Value.TimeOfDay));
        Assert.InRange(status.NextScheduledAt!.Value - DateTimeOffset.UtcNow, TimeSpan.Zero, TimeSpan.FromDays(1));
    }
}

public sealed class ShardSnapshotScheduleTests
{
    [Theory]
    [InlineData("2026-11-23T01:00:00Z", "02:00", "2026-11-23T02:00:00Z")]
    [InlineData("2026-11-23T02:00:00Z", "02:00", "2026-11-24T02:00:00Z")]
    [InlineData("2026-11-23T23:59:00+05:00", "02:00", "2026-11-24T02:00:00Z")]
    public void NextRun_TimeOfDay_IsNextUtcOccurrence(string now, string at, string expected)
        => Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture),
            ShardSnapshotGrain.NextRun(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture), TimeOnly.Parse(at, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void Format_Parse_RoundTrips()
    {
        Assert.Equal("main/12", ShardKey.Format("main", 12));
        Assert.Equal(("main", 12), ShardKey.Parse("main/12"));
        Assert.False(ShardKey.TryParse("main/x", out _, out _));
        Assert.Throws<FormatException>(() => ShardKey.Parse("a/b/1"));
    }
}
