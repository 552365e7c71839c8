using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Tributary.Silo.Tests.Dashboards;
using Tributary.TestKit;
using Tributary.Tracker.Tests;

namespace Tributary.Silo.Tests.Tracker;

/// <summary>
/// An embedded-profile silo with Tracker enabled over the real MariaDB primary + replicas (cluster <c>test</c>,
/// shard 0), a local-directory store, and one snapshot of a 3,000-row table run on first request.
/// </summary>
public sealed class TrackerSiloFixture : IAsyncLifetime
{
    public const int Rows = 3000;
    private readonly Lazy<Task<JsonElement>> _snapshot;

    public TrackerSiloFixture() => _snapshot = new(RunSnapshotAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    public MariaDbServers Servers { get; } = MariaDbServers.Instance;

    public string Database { get; } = $"tributary_silo_{Guid.NewGuid():N}"[..40];

    public string StoreRoot { get; } = Directory.CreateTempSubdirectory("tributary-silo-tracker-").FullName;

    public WebApplication App { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    /// <summary>The POST response status, Location, and the finished status JSON of the one snapshot.</summary>
    public HttpStatusCode PostStatus { get; private set; }

    public Uri? Location { get; private set; }

    public async ValueTask InitializeAsync()
    {
        await Servers.ExecutePrimaryAsync($"""
            CREATE DATABASE `{Database}`;
            CREATE TABLE `{Database}`.t (id BIGINT NOT NULL PRIMARY KEY, payload VARCHAR(64) NOT NULL);
            INSERT INTO `{Database}`.t SELECT seq, CONCAT('row-', seq) FROM `{Database}`.seq_1_to_{Rows};
            """);
        await Servers.WaitForReplicasAsync();

        var http = FreePort.Next();
        var overrides = new Dictionary<string, string?>
        {
            ["Tributary:HttpUrls"] = $"http://127.0.0.1:{http}",
            ["Tributary:SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["Tributary:GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["Tributary:Tracker:Enabled"] = "true",
            ["Tributary:Tracker:Connections"] = "2",
            ["Tributary:Tracker:ChunkRows"] = "1000",
            ["Tributary:Tracker:RowGroupRows"] = "1000",
            ["Tributary:Tracker:Store:Kind"] = "local",
            ["Tributary:Tracker:Store:LocalPath"] = StoreRoot,
            ["Tributary:Tracker:Clusters:test:Credentials:UserEnv"] = "TRIBUTARY_MYSQL_USER",
            ["Tributary:Tracker:Clusters:test:Credentials:PasswordEnv"] = "TRIBUTARY_MYSQL_PASSWORD",
            ["Tributary:Tracker:Clusters:test:IncludeDatabases:0"] = Database,
            ["Tributary:Tracker:Clusters:test:Shards:0:Id"] = "0",
            ["Tributary:Tracker:Clusters:test:Shards:0:Hosts:0"] = Servers.Primary.ToString(),
            ["Tributary:Tracker:Clusters:test:Shards:0:Hosts:1"] = Servers.Replica.ToString(),
            ["Tributary:Tracker:Clusters:test:Shards:0:Hosts:2"] = Servers.Replica2.ToString(),
        };
        App = TributarySiloHost.Build(["--profile", "embedded"], c => c.AddInMemoryCollection(overrides));
        await App.StartAsync(CancellationToken.None);
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}") };
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (App is not null)
        {
            await App.StopAsync(CancellationToken.None);
            await App.DisposeAsync();
        }

        await Servers.ExecutePrimaryAsync($"DROP DATABASE IF EXISTS `{Database}`");
        Directory.Delete(StoreRoot, recursive: true);
    }

    /// <summary>POSTs the snapshot of test/0 (once) and waits for GET to report it finished.</summary>
    public Task<JsonElement> SnapshotAsync() => _snapshot.Value;

    private async Task<JsonElement> RunSnapshotAsync()
    {
        using var post = await Http.PostAsync("/tracker/snapshot/test/0", content: null);
        PostStatus = post.StatusCode;
        Location = post.Headers.Location;
        return await Eventually.HoldsAsync(
            () => Http.GetFromJsonAsync<JsonElement>("/tracker/snapshot/test/0"),
            s => s.GetProperty("state").GetString() != "running",
            TimeSpan.FromSeconds(120),
            "GET /tracker/snapshot/test/0 reporting the snapshot finished");
    }
}

[Collection(nameof(MariaDbCollection))]
[Trait("Category", "Slow")]
public sealed class TrackerEndpointsTests(TrackerSiloFixture silo) : IClassFixture<TrackerSiloFixture>
{
    [Fact]
    public async Task PostSnapshot_ConfiguredShard_RunsOnReplicaAndGetReportsRowCounts()
    {
        var status = await silo.SnapshotAsync();

        Assert.Equal(HttpStatusCode.Accepted, silo.PostStatus);
        Assert.Equal("/tracker/snapshot/test/0", silo.Location?.OriginalString);
        Assert.Equal("succeeded", status.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, status.GetProperty("error").ValueKind);
        Assert.Equal(TrackerSiloFixture.Rows, status.GetProperty("rows").GetInt64());
        Assert.Equal(3, status.GetProperty("chunks").GetInt32());
        Assert.Equal(3, status.GetProperty("chunksTotal").GetInt32());
        Assert.Contains(status.GetProperty("replica").GetString(), new[] { silo.Servers.Replica.ToString(), silo.Servers.Replica2.ToString() });
        Assert.NotEqual(silo.Servers.Primary.ToString(), status.GetProperty("replica").GetString());
        Assert.True(Directory.EnumerateFiles(silo.StoreRoot, "part-*.parquet", SearchOption.AllDirectories).Count() >= 3);
    }

    [Fact]
    public async Task PostSnapshot_UnknownCluster_Returns404NamingTheCluster()
    {
        using var response = await silo.Http.PostAsync("/tracker/snapshot/nosuch/0", content: null, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("cluster", body.GetProperty("field").GetString());
        Assert.Contains("unknown cluster 'nosuch'", body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetSnapshot_UnknownShard_Returns404NamingTheShard()
    {
        using var response = await silo.Http.GetAsync("/tracker/snapshot/test/7", TestContext.Current.CancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("shard", body.GetProperty("field").GetString());
        Assert.Contains("unknown shard 7 of cluster 'test'", body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetSnapshot_MalformedShard_Returns400NamingTheShard()
    {
        using var response = await silo.Http.GetAsync("/tracker/snapshot/test/x1", TestContext.Current.CancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("shard", body.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Metrics_AfterSnapshot_ExposesProgressGaugesPerShard()
    {
        await silo.SnapshotAsync();

        var text = await silo.Http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);

        Assert.Contains("# TYPE tributary_tracker_snapshot_rows gauge", text, StringComparison.Ordinal);
        Assert.Contains($"tributary_tracker_snapshot_rows{{otel_scope_name=\"Tributary.Tracker\",cluster=\"test\",shard=\"0\"}} {TrackerSiloFixture.Rows}", text, StringComparison.Ordinal);
        Assert.Contains("tributary_tracker_snapshot_chunks_done{otel_scope_name=\"Tributary.Tracker\",cluster=\"test\",shard=\"0\"} 3", text, StringComparison.Ordinal);
        Assert.Contains("tributary_tracker_snapshot_chunks_total{otel_scope_name=\"Tributary.Tracker\",cluster=\"test\",shard=\"0\"} 3", text, StringComparison.Ordinal);
        Assert.Contains("tributary_tracker_snapshot_eta_seconds{otel_scope_name=\"Tributary.Tracker\",cluster=\"test\",shard=\"0\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("tributary_tracker_snapshot_running{otel_scope_name=\"Tributary.Tracker\",cluster=\"test\",shard=\"0\"} 0", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_AfterSnapshot_ExportEveryMetricTheTrackerDashboardReferences()
    {
        await silo.SnapshotAsync();

        var text = await silo.Http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);

        var expected = DashboardFiles.MetricNames(["tributary-tracker.json"]);
        Assert.NotEmpty(expected);
        Assert.Equal([], expected.Except(DashboardFiles.ScrapedSeries(text)));
    }
}
