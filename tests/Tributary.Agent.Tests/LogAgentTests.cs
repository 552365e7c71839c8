using System.Text;
using System.Text.Json;
using Tributary.Agent.Configuration;
using Tributary.Agent.Kubernetes;
using Tributary.Agent.Options;

namespace Tributary.Agent.Tests;

public sealed class LogAgentTests
{
    private static string StreamJson(AgentFixture fx, string topic, string pattern = "app.log")
        => JsonSerializer.Serialize(new { directory = fx.Logs, pattern, topic, batchMaxDelayMs = 1, pollIntervalMs = 20 });

    [Fact]
    public async Task ReconcileNowAsync_ConfDFileAddedChangedRemoved_StartsRestartsAndStopsTheStream()
    {
        using var fx = new AgentFixture("reload");
        await using var agent = new LogAgent(fx.Options());
        await agent.StartAsync(TestContext.Current.CancellationToken);
        Assert.Empty(agent.Streams);

        var file = Path.Combine(fx.ConfD, "web.json");
        await File.WriteAllTextAsync(file, StreamJson(fx, fx.Topic), TestContext.Current.CancellationToken);
        await agent.ReconcileNowAsync(TestContext.Current.CancellationToken);
        Assert.Equal(["web"], agent.Streams);
        await agent.WhenStreamStartedAsync("web");
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("one", 0, 40));
        Assert.Equal(40, TopicReader.ReadAtLeast(fx.Topic, 40).Count);

        // Changed: the stream restarts from its watermark and ships new lines to the new topic.
        var second = Tributary.TestKit.KafkaTestCluster.CreateTopic("reload-second", 2);
        await File.WriteAllTextAsync(file, StreamJson(fx, second), TestContext.Current.CancellationToken);
        await agent.ReconcileNowAsync(TestContext.Current.CancellationToken);
        await agent.WhenStreamStartedAsync("web");
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("two", 0, 30));
        Assert.Equal(AgentFixture.Lines("two", 0, 30).Order(), TopicReader.Values(TopicReader.ReadAtLeast(second, 30)).Order());

        File.Delete(file);
        await agent.ReconcileNowAsync(TestContext.Current.CancellationToken);
        Assert.Empty(agent.Streams);
    }

    [Fact]
    public async Task ReconcileNowAsync_ConfDFileBrokenWhileRunning_KeepsThePreviousStream()
    {
        using var fx = new AgentFixture("reload-broken");
        var file = Path.Combine(fx.ConfD, "web.json");
        await File.WriteAllTextAsync(file, StreamJson(fx, fx.Topic), TestContext.Current.CancellationToken);
        await using var agent = new LogAgent(fx.Options());
        await agent.StartAsync(TestContext.Current.CancellationToken);
        Assert.Equal(["web"], agent.Streams);

        await File.WriteAllTextAsync(file, """{ "directory": "/x", "pattern": "a.log" }""", TestContext.Current.CancellationToken);
        await agent.ReconcileNowAsync(TestContext.Current.CancellationToken);
        Assert.Equal(["web"], agent.Streams);
        await agent.WhenStreamStartedAsync("web");
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("kept", 0, 10));
        Assert.Equal(10, TopicReader.ReadAtLeast(fx.Topic, 10).Count);
    }

    [Fact]
    public async Task StartAsync_InvalidConfDFile_FailsNamingTheFileAndKey()
    {
        using var fx = new AgentFixture("startup-invalid");
        var file = Path.Combine(fx.ConfD, "bad.json");
        await File.WriteAllTextAsync(file, $$"""{ "directory": "{{fx.Logs}}", "pattern": "a.log", "topic": "t", "batchMaxBytes": -1 }""", TestContext.Current.CancellationToken);
        await using var agent = new LogAgent(fx.Options());
        var ex = await Assert.ThrowsAsync<AgentConfigException>(() => agent.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("bad.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("batchMaxBytes: must be positive", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_KubernetesRoot_ShipsEachContainerLogWithNamespacePodAndContainerHeaders()
    {
        using var fx = new AgentFixture("k8s");
        var root = Directory.CreateDirectory(Path.Combine(fx.Root, "pods")).FullName;
        var web = Directory.CreateDirectory(Path.Combine(root, "shop_web-7d9f_0f1e2d3c-aaaa-bbbb-cccc-123456789abc", "nginx")).FullName;
        var worker = Directory.CreateDirectory(Path.Combine(root, "batch_worker-1_11111111-2222-3333-4444-555555555555", "main")).FullName;
        Directory.CreateDirectory(Path.Combine(root, "not-a-pod-directory", "c"));
        AgentFixture.Append(Path.Combine(web, "0.log"), AgentFixture.Lines("web", 0, 10));
        AgentFixture.Append(Path.Combine(worker, "2.log"), AgentFixture.Lines("worker", 0, 5));
        var options = fx.Options();
        options.Kubernetes = new KubernetesOptions
        {
            Enabled = true,
            Root = root,
            Stream = new LogStreamOptions { Topic = fx.Topic, BatchMaxDelayMs = 1, PollIntervalMs = 20 },
        };

        await using var agent = new LogAgent(options);
        await agent.StartAsync(TestContext.Current.CancellationToken);
        Assert.Equal(2, agent.Streams.Count);
        var results = TopicReader.ReadAtLeast(fx.Topic, 15);
        string Header(Confluent.Kafka.ConsumeResult<byte[]?, byte[]> r, string name) => Encoding.UTF8.GetString(r.Message.Headers.GetLastBytes(name));
        var byContainer = results.GroupBy(r => (Header(r, PodLogDiscovery.NamespaceHeader), Header(r, PodLogDiscovery.PodHeader), Header(r, PodLogDiscovery.ContainerHeader))).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(10, byContainer[("shop", "web-7d9f", "nginx")]);
        Assert.Equal(5, byContainer[("batch", "worker-1", "main")]);

        // A pod that goes away takes its stream with it.
        Directory.Delete(Path.Combine(root, "batch_worker-1_11111111-2222-3333-4444-555555555555"), recursive: true);
        await agent.ReconcileNowAsync(TestContext.Current.CancellationToken);
        Assert.Equal(["k8s/shop/web-7d9f/0f1e2d3c-aaaa-bbbb-cccc-123456789abc/nginx/0.log"], agent.Streams);
    }

    [Fact]
    public async Task StartAsync_HeartbeatTopic_ReceivesHostVersionStreamsAndLag()
    {
        using var fx = new AgentFixture("heartbeat");
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("h", 0, 10));
        await using var agent = new LogAgent(fx.Options(fx.Stream()));
        await agent.StartAsync(TestContext.Current.CancellationToken);
        var beat = JsonDocument.Parse(TopicReader.ReadAtLeast(fx.HeartbeatTopic, 1)[0].Message.Value).RootElement;
        Assert.Equal("test-host", beat.GetProperty("host").GetString());
        Assert.False(string.IsNullOrEmpty(beat.GetProperty("version").GetString()));
        Assert.True(beat.GetProperty("lagBytes").GetInt64() >= 0);
        Assert.Equal("app", beat.GetProperty("streams")[0].GetProperty("name").GetString());
    }
}
