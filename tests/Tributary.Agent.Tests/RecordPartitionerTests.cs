using System.Diagnostics.Metrics;
using System.Text;
using Tributary.Agent.Options;
using Tributary.Agent.Producing;
using Tributary.Kafka;
using Tributary.TestKit;

namespace Tributary.Agent.Tests;

public sealed class RecordPartitionerTests
{
    private static readonly TopicLayout FourPartitions = new("t", [1, 2, 3, 1], new Dictionary<int, string>());

    private static async Task<List<Confluent.Kafka.ConsumeResult<byte[]?, byte[]>>> ShipAsync(AgentFixture fx, LogStreamOptions stream, IReadOnlyList<string> lines, string? zone = null)
    {
        var options = fx.Options(stream);
        options.Zone = zone;
        await using var agent = new LogAgent(options);
        await agent.StartAsync(TestContext.Current.CancellationToken);
        await agent.WhenStreamStartedAsync(stream.Name!);
        AgentFixture.Append(fx.LogPath(), lines);
        return TopicReader.ReadAtLeast(stream.Topic!, lines.Count);
    }

    [Fact]
    public void ExtractKey_StringNumberAndMissingFields_ReturnsTheKeyBytesOrNull()
    {
        var field = "pin_id"u8.ToArray();
        Assert.Equal("p-42"u8.ToArray(), Murmur2JsonFieldPartitioner.ExtractKey("""{"a":{"pin_id":"nested"},"pin_id":"p-42"}"""u8, field));
        Assert.Equal("42"u8.ToArray(), Murmur2JsonFieldPartitioner.ExtractKey("""{"pin_id":42}"""u8, field));
        Assert.Null(Murmur2JsonFieldPartitioner.ExtractKey("""{"other":1}"""u8, field));
        Assert.Null(Murmur2JsonFieldPartitioner.ExtractKey("not json"u8, field));
    }

    [Fact]
    public void Partition_Murmur2_EqualsTributarysMurmur2PartitionerOfTheKeyField()
    {
        var partitioner = new Murmur2JsonFieldPartitioner("pin_id");
        for (var i = 0; i < 200; i++)
        {
            var p = partitioner.Partition(Encoding.UTF8.GetBytes($$"""{"pin_id":"pin-{{i}}","x":1}"""), FourPartitions, out var key);
            Assert.Equal(Murmur2Partitioner.Partition($"pin-{i}", 4), p);
            Assert.Equal($"pin-{i}", Encoding.UTF8.GetString(key!));
        }
    }

    [Fact]
    public void Partition_Murmur2WithoutKey_GoesRoundRobinUnkeyed()
    {
        var partitioner = new Murmur2JsonFieldPartitioner("pin_id");
        var partitions = Enumerable.Range(0, 8).Select(_ => partitioner.Partition("plain text"u8, FourPartitions, out var key) + (key is null ? 0 : 100)).ToList();
        Assert.Equal([0, 1, 2, 3, 0, 1, 2, 3], partitions);
        Assert.Equal(8, partitioner.Keyless);
    }

    [Fact]
    public void Check_FixedListWithMissingPartition_NamesThePartition()
    {
        var partitioner = RecordPartitioner.Create(new PartitionerOptions { Type = PartitionerKind.Fixed, Partitions = [1, 7] }, null);
        var ex = Assert.Throws<InvalidOperationException>(() => partitioner.Check(FourPartitions));
        Assert.Contains("partitioner.partitions: 7", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ship_Murmur2Partitioner_PutsEachRecordInItsKeysPartitionWithTheKey()
    {
        using var fx = new AgentFixture("murmur2");
        var stream = fx.Stream();
        stream.Partitioner = new PartitionerOptions { Type = PartitionerKind.Murmur2, KeyField = "pin_id" };
        var lines = Enumerable.Range(0, 200).Select(i => $$"""{"ts":{{i}},"pin_id":"pin-{{i % 37}}"}""").ToList();
        var results = await ShipAsync(fx, stream, lines);
        Assert.Equal(200, results.Count);
        foreach (var r in results)
        {
            var key = Encoding.UTF8.GetString(r.Message.Key!);
            Assert.Equal(Murmur2Partitioner.Partition(key, 4), r.Partition.Value);
        }
    }

    [Fact]
    public async Task Ship_RoundRobinPartitioner_SpreadsEvenlyOverAllPartitions()
    {
        using var fx = new AgentFixture("roundrobin");
        var results = await ShipAsync(fx, fx.Stream(), [.. AgentFixture.Lines("rr", 0, 200)]);
        Assert.All(results.GroupBy(r => r.Partition.Value), g => Assert.Equal(50, g.Count()));
        Assert.Equal(4, results.Select(r => r.Partition.Value).Distinct().Count());
    }

    [Fact]
    public async Task Ship_SinglePartitioner_PutsEverythingInThatPartition()
    {
        using var fx = new AgentFixture("single");
        var stream = fx.Stream();
        stream.Partitioner = new PartitionerOptions { Type = PartitionerKind.Single, Partition = 3 };
        var results = await ShipAsync(fx, stream, [.. AgentFixture.Lines("s", 0, 100)]);
        Assert.All(results, r => Assert.Equal(3, r.Partition.Value));
    }

    [Fact]
    public async Task Ship_FixedListPartitioner_UsesOnlyTheListedPartitions()
    {
        using var fx = new AgentFixture("fixed");
        var stream = fx.Stream();
        stream.Partitioner = new PartitionerOptions { Type = PartitionerKind.Fixed, Partitions = [0, 2] };
        var results = await ShipAsync(fx, stream, [.. AgentFixture.Lines("f", 0, 100)]);
        Assert.Equal([0, 2], results.Select(r => r.Partition.Value).Distinct().Order());
    }

    [Fact]
    public async Task Ship_LocalityPartitioner_UsesOnlyPartitionsLedFromTheAgentsZone()
    {
        using var fx = new AgentFixture("locality");
        SetRacks();
        var topic = KafkaTestCluster.CreateTopic("locality6", 6);
        var leaders = LeadersOf(topic);
        var stream = fx.Stream();
        stream.Topic = topic;
        stream.Partitioner = new PartitionerOptions { Type = PartitionerKind.Locality };
        var results = await ShipAsync(fx, stream, [.. AgentFixture.Lines("z", 0, 120)], zone: "az-b");
        var expected = Enumerable.Range(0, 6).Where(p => leaders[p] == 2).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, results.Select(r => r.Partition.Value).Distinct().Order());
    }

    [Fact]
    public async Task Ship_LocalityPartitionerWithNoLeaderInZone_FallsBackToAllPartitionsAndCountsIt()
    {
        using var fx = new AgentFixture("locality-fallback");
        SetRacks();
        long fallbacks = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == AgentMetrics.MeterName && instrument.Name == "tributary.agent.locality.fallbacks")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "topic" && (string?)tag.Value == fx.Topic)
                {
                    Interlocked.Add(ref fallbacks, value);
                }
            }
        });
        listener.Start();
        var stream = fx.Stream();
        stream.Partitioner = new PartitionerOptions { Type = PartitionerKind.Locality };
        var results = await ShipAsync(fx, stream, [.. AgentFixture.Lines("x", 0, 100)], zone: "az-nowhere");
        Assert.Equal(4, results.Select(r => r.Partition.Value).Distinct().Count());
        Assert.True(Interlocked.Read(ref fallbacks) >= 1);
    }

    private static void SetRacks()
    {
        KafkaTestCluster.Instance.SetBrokerRack(1, "az-a");
        KafkaTestCluster.Instance.SetBrokerRack(2, "az-b");
        KafkaTestCluster.Instance.SetBrokerRack(3, "az-a");
    }

    private static int[] LeadersOf(string topic)
    {
        using var admin = new Confluent.Kafka.AdminClientBuilder(new Confluent.Kafka.AdminClientConfig { BootstrapServers = KafkaTestCluster.BootstrapServers }).Build();
        var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single();
        return [.. metadata.Partitions.OrderBy(p => p.PartitionId).Select(p => p.Leader)];
    }
}
