using System.Globalization;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Orleans.TestingHost;
using Tributary.Grains.Segments;
using Tributary.Kafka;
using Tributary.Query;
using Tributary.Segments;
using Tributary.TestKit;
using Tributary.TestKit.Cluster;

namespace Tributary.Grains.Tests;

/// <summary>
/// The segment sink end to end: Kafka (mock cluster) to segment grains through the Kafka stream provider, queried
/// through the <see cref="IQueryBrokerGrain"/> and compared with the <see cref="ReferenceEvaluator"/> over the same
/// events; dead letters, silo kills, sealing and pruning.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class SegmentSinkTests
{
    private const int Partitions = 4;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);
    private static readonly string[] Actions = ["click", "save", "view", "hide", "share"];
    private static readonly string[] Devices = ["ios", "android", "web"];

    [Fact]
    public async Task Ingest_ValidMalformedAndLateEvents_QueriesMatchReferenceAndBadOnesAreDeadLettered()
    {
        await using var env = await SegmentEnvironment.StartAsync(silos: 1);
        var events = Generate(0, 3_000);
        env.Produce(events);
        // Malformed and late records, after the valid ones so the watermark has moved past the late window.
        env.ProduceRaw(0, "not json at all");
        env.ProduceRaw(1, "{\"pin_id\":\"p1\",\"action\":\"click\"}");
        env.ProduceRaw(2, Event(Now() - (6 * 3_600_000L), "p2", "click", "ios", 1));

        var counted = await env.WaitForEventsAsync(3_000);
        Assert.Equal(3_000, counted);
        var status = await Eventually.HoldsAsync(env.IngestStatusAsync, s => s.Sum(x => x.Malformed + x.Late) == 3, Deadline, "dead letters counted");
        Assert.Equal(2, status.Sum(s => s.Malformed));
        Assert.Equal(1, status.Sum(s => s.Late));

        var reasons = env.ReadDeadLetters(3);
        Assert.Contains(reasons, r => r.Contains("late window", StringComparison.Ordinal));
        Assert.Equal(3, reasons.Count);

        const string topN = """{"queryType":"topN","dataSource":"DS","intervals":["2000-01-01/2100-01-01"],"granularity":"hour","dimension":"action","metric":"events","threshold":3,"aggregations":[{"type":"longSum","name":"events","fieldName":"count"}]}""";
        await env.AssertMatchesReferenceAsync(topN, events);
        const string timeseries = """{"queryType":"timeseries","dataSource":"DS","intervals":["2000-01-01/2100-01-01"],"granularity":"minute","filter":{"type":"in","dimension":"device","values":["ios","web"]},"aggregations":[{"type":"longSum","name":"events","fieldName":"count"}]}""";
        await env.AssertMatchesReferenceAsync(timeseries, events);
    }

    [Fact]
    public async Task SiloKilledMidStream_SegmentsHoldEveryEventExactlyOnce()
    {
        await using var env = await SegmentEnvironment.StartAsync(silos: 2);
        var first = Generate(0, 8_000);
        env.Produce(first);
        await env.WaitForEventsAsync(8_000);

        await env.Cluster.KillSiloAsync(env.Cluster.SecondarySilos[0], TestContext.Current.CancellationToken);
        var second = Generate(8_000, 4_000);
        env.Produce(second);
        var counted = await env.WaitForEventsAsync(12_000);
        Assert.Equal(12_000, counted);

        // Persist and checkpoint everything; nothing more may appear (no duplicates were applied).
        await env.FlushAsync();
        Assert.Equal(12_000, await env.CountAsync());
        const string byPin = """{"queryType":"topN","dataSource":"DS","intervals":["2000-01-01/2100-01-01"],"granularity":"all","dimension":"pin_id","metric":"events","threshold":50,"aggregations":[{"type":"longSum","name":"events","fieldName":"count"}]}""";
        await env.AssertMatchesReferenceAsync(byPin, [.. first, .. second]);
    }

    [Fact]
    public async Task Append_SenderSentPastWhatTheSegmentApplied_RefusesTheBatchUnappliedUntilTheGapIsReplayed()
    {
        await using var env = await SegmentEnvironment.StartAsync(silos: 1);
        var hour = (Now() / 3_600_000 * 3_600_000) - 3_600_000;
        var segment = env.Cluster.Client.GetGrain<ISegmentGrain>(SegmentKey.Format(env.Datasource, hour, 0));
        SegmentAppendBatch Batch(long first, long last, long previousSent) => new()
        {
            Offsets = [.. Enumerable.Range((int)first, (int)(last - first + 1)).Select(o => (long)o)],
            Events = [.. Enumerable.Range((int)first, (int)(last - first + 1)).Select(o => Encoding.UTF8.GetBytes(Event(hour + (o * 1_000L), "p1", "click", "ios", o)))],
            WatermarkMs = hour,
            PreviousSent = previousSent,
        };

        var first = await segment.AppendAsync(Batch(0, 2, -1));
        Assert.Equal(3, first.Appended);

        // The sender had sent offsets 3-10 to an activation that died unpersisted: offsets 11-12 must not be applied
        // past that gap, or the replay of 3-10 would be dropped as duplicates.
        var refused = await segment.AppendAsync(Batch(11, 12, previousSent: 10));
        Assert.True(refused.Refused);
        Assert.Equal(0, refused.Appended);
        Assert.Equal(2, refused.PreviousMaxOffset);

        var replay = await segment.AppendAsync(Batch(0, 12, previousSent: -1));
        Assert.False(replay.Refused);
        Assert.Equal(10, replay.Appended);
        Assert.Equal(3, replay.Duplicates);
        var status = await segment.GetStatusAsync();
        Assert.Equal(13, status.EventCount);
        Assert.Equal(12, status.MaxOffsetApplied);
    }

    [Fact]
    public async Task IdFilteredQuery_AfterSeal_ScansOnlyThePartitionOfTheKey()
    {
        await using var env = await SegmentEnvironment.StartAsync(silos: 1);
        var events = Generate(0, 4_000);
        env.Produce(events);
        await env.WaitForEventsAsync(4_000);
        await env.SealAllAsync();

        var pin = events[17].Pin;
        var query = $$$"""{"queryType":"timeseries","dataSource":"DS","intervals":["2000-01-01/2100-01-01"],"granularity":"all","filter":{"type":"selector","dimension":"pin_id","value":"{{{pin}}}"},"aggregations":[{"type":"longSum","name":"events","fieldName":"count"}],"context":{"explain":true}}""";
        var response = await env.QueryAsync(query);
        Assert.Equal(200, response.StatusCode);
        var timeline = await env.Cluster.Client.GetGrain<IDatasourceCatalogGrain>(env.Datasource).GetTimelineAsync();
        Assert.All(timeline.Segments, s => Assert.Equal(SegmentState.Sealed, s.State));
        var home = Murmur2Partitioner.Partition(Encoding.UTF8.GetBytes(pin), Partitions);
        var inHome = timeline.Segments.Count(s => s.Partition == home);
        using var doc = JsonDocument.Parse(response.Body);
        var explain = doc.RootElement.GetProperty("explain");
        var considered = explain.GetProperty("segmentsConsidered").GetInt32();
        var scanned = explain.GetProperty("scanned").GetInt32();
        Assert.Equal(timeline.Segments.Length, considered);
        Assert.InRange(scanned, 1, inHome);
        Assert.Equal(considered - inHome, explain.GetProperty("prunedByPartition").GetInt32());
        var expected = events.Count(e => e.Pin == pin);
        Assert.Equal(expected, doc.RootElement.GetProperty("result")[0].GetProperty("result").GetProperty("events").GetInt64());
    }

    [Fact]
    public async Task SearchDataSourceAndSegmentMetadata_OverOpenAndSealedSegments_AnswerThroughTheBroker()
    {
        await using var env = await SegmentEnvironment.StartAsync(silos: 1);
        var events = Generate(0, 1_500);
        env.Produce(events);
        await env.WaitForEventsAsync(1_500);

        const string search = """{"queryType":"search","dataSource":"DS","intervals":["2000-01-01/2100-01-01"],"searchDimensions":["action","device","pin_id"],"query":{"type":"insensitive_contains","value":"I"},"filter":{"type":"not","field":{"type":"selector","dimension":"device","value":"web"}},"sort":{"type":"strlen"},"limit":40}""";
        const string hourly = """{"queryType":"search","dataSource":"DS","intervals":["2000-01-01/2100-01-01"],"granularity":"hour","searchDimensions":["pin_id"],"query":{"type":"fragment","values":["p","1"]}}""";
        const string metadata = """{"queryType":"dataSourceMetadata","dataSource":"DS"}""";
        foreach (var query in new[] { search, hourly, metadata })
        {
            await env.AssertMatchesReferenceAsync(query, events);
        }

        await env.SealAllAsync();
        foreach (var query in new[] { search, hourly, metadata })
        {
            await env.AssertMatchesReferenceAsync(query, events);
        }

        var response = await env.QueryAsync(metadata);
        using var doc = JsonDocument.Parse(response.Body);
        Assert.Equal(IsoTime.Format(events.Max(e => e.Ts) / 60_000 * 60_000), doc.RootElement[0].GetProperty("result").GetProperty("maxIngestedEventTime").GetString());

        // what Turnilo and Superset read to introspect a datasource
        var introspection = await env.QueryAsync("""{"queryType":"segmentMetadata","dataSource":"DS","merge":true,"analysisTypes":["aggregators","rollup","queryGranularity","timestampSpec"]}""");
        Assert.Equal(200, introspection.StatusCode);
        using var analysis = JsonDocument.Parse(introspection.Body);
        var merged = analysis.RootElement.EnumerateArray().Single();
        Assert.Equal("""{"count":{"type":"longSum","name":"count","fieldName":"count"},"unique_users":{"type":"hyperUnique","name":"unique_users","fieldName":"unique_users","isInputHyperUnique":false,"round":false}}""", merged.GetProperty("aggregators").GetRawText());
        Assert.True(merged.GetProperty("rollup").GetBoolean());
        Assert.Equal("MINUTE", merged.GetProperty("queryGranularity").GetString());
        Assert.Equal("""{"column":"ts","format":"iso","missingValue":null}""", merged.GetProperty("timestampSpec").GetRawText());
    }

    [Fact]
    public async Task Query_BadField_Returns400NamingTheField()
    {
        await using var env = await SegmentEnvironment.StartAsync(silos: 1);
        var response = await env.QueryAsync("""{"queryType":"timeseries","dataSource":"DS","intervals":["2000-01-01/2100-01-01"],"granularity":"all","aggregations":[{"type":"longSum","name":"x"}]}""");
        Assert.Equal(400, response.StatusCode);
        var body = Encoding.UTF8.GetString(response.Body);
        Assert.Contains("aggregations[0].fieldName", body, StringComparison.Ordinal);

        var unknown = await env.QueryAsync("""{"queryType":"timeseries","dataSource":"nope","intervals":["2000-01-01/2100-01-01"],"granularity":"all","aggregations":[{"type":"count","name":"n"}]}""");
        Assert.Equal(400, unknown.StatusCode);
        Assert.Contains("dataSource", Encoding.UTF8.GetString(unknown.Body), StringComparison.Ordinal);
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>Events over the last 90 minutes (so within the late window by the wall clock, and not early).</summary>
    private static List<TestEvent> Generate(int first, int count)
    {
        var random = new Random(first + 7);
        var start = Now() - (90 * 60_000L);
        var list = new List<TestEvent>(count);
        for (var i = first; i < first + count; i++)
        {
            var ts = start + random.NextInt64(89 * 60_000L);
            list.Add(new TestEvent($"p{random.Next(200)}", Actions[random.Next(Actions.Length)], Devices[random.Next(Devices.Length)], ts, random.Next(500)));
        }

        // Event time mostly increases in a partition, with jitter inside the late window.
        list.Sort((a, b) => a.Ts.CompareTo(b.Ts));
        return list;
    }

    private static string Event(long ts, string pin, string action, string device, int user) =>
        string.Create(CultureInfo.InvariantCulture, $$"""{"ts":"{{DateTimeOffset.FromUnixTimeMilliseconds(ts).UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff'Z'}}","pin_id":"{{pin}}","action":"{{action}}","device":"{{device}}","app_version":"1.2","user_id":"u{{user}}","ip":"10.0.0.{{user % 250}}"}""");

    internal sealed record TestEvent(string Pin, string Action, string Device, long Ts, int User)
    {
        public string Json => Event(Ts, Pin, Action, Device, User);
    }

    /// <summary>A test cluster with the segment subsystem over a fresh topic, datasource spec and object store.</summary>
    internal sealed class SegmentEnvironment : IAsyncDisposable
    {
        private readonly string _root;

        private SegmentEnvironment(TestCluster cluster, string topic, string deadLetterTopic, string datasource, string root)
        {
            Cluster = cluster;
            Topic = topic;
            DeadLetterTopic = deadLetterTopic;
            Datasource = datasource;
            _root = root;
        }

        public TestCluster Cluster { get; }

        public string Topic { get; }

        public string DeadLetterTopic { get; }

        public string Datasource { get; }

        public static async Task<SegmentEnvironment> StartAsync(short silos, IReadOnlyDictionary<string, string?>? settings = null)
        {
            var topic = KafkaTestCluster.CreateTopic("segments", Partitions);
            var deadLetters = KafkaTestCluster.CreateTopic("segments-dl", 1);
            var datasource = "ds_" + topic.Replace('-', '_').Replace('.', '_');
            var root = Path.Combine(Path.GetTempPath(), "tributary-segments-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(Path.Combine(root, "datasources"));
            var spec = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "silo-config", "datasources", "pin_engagement.json"))
                .Replace("\"name\": \"pin_engagement\"", $"\"name\": \"{datasource}\"", StringComparison.Ordinal)
                .Replace("\"topic\": \"pin_engagement\"", $"\"topic\": \"{topic}\"", StringComparison.Ordinal)
                .Replace("\"partitions\": 16", $"\"partitions\": {Partitions}", StringComparison.Ordinal);
            await File.WriteAllTextAsync(Path.Combine(root, "datasources", datasource + ".json"), spec);

            var cluster = await new TributaryClusterBuilder(silos, TributaryClusterBuilder.NewId('s'))
                .WithStream("segments", topic, SegmentIngestGrain.StreamNamespace, batchSize: 1000)
                .With(new Dictionary<string, string?>
                {
                    ["Tributary:Segments:Enabled"] = "true",
                    ["Tributary:Segments:DatasourcesPath"] = Path.Combine(root, "datasources"),
                    ["Tributary:Segments:DeadLetterTopic"] = deadLetters,
                    ["Tributary:Segments:PersistInterval"] = "00:00:01",
                    ["Tributary:Segments:PersistEveryEvents"] = "500",
                    ["Tributary:Segments:Store:Kind"] = "local",
                    ["Tributary:Segments:Store:LocalPath"] = Path.Combine(root, "store"),
                })
                .With(settings)
                .DeployAsync();
            return new SegmentEnvironment(cluster, topic, deadLetters, datasource, root);
        }

        public void Produce(IEnumerable<TestEvent> events)
        {
            using var producer = KafkaTestCluster.CreateProducer();
            foreach (var e in events)
            {
                var key = Encoding.UTF8.GetBytes(e.Pin);
                producer.Produce(new TopicPartition(Topic, Murmur2Partitioner.Partition(key, Partitions)), new Message<byte[], byte[]> { Key = key, Value = Encoding.UTF8.GetBytes(e.Json) });
            }

            producer.Flush(TimeSpan.FromMinutes(1));
        }

        public void ProduceRaw(int partition, string value)
        {
            using var producer = KafkaTestCluster.CreateProducer();
            producer.Produce(new TopicPartition(Topic, partition), new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes("k"), Value = Encoding.UTF8.GetBytes(value) });
            producer.Flush(TimeSpan.FromMinutes(1));
        }

        public async Task<QueryResponse> QueryAsync(string json) =>
            await Cluster.Client.GetGrain<IQueryBrokerGrain>(0).QueryAsync(Encoding.UTF8.GetBytes(json.Replace("\"DS\"", $"\"{Datasource}\"", StringComparison.Ordinal)));

        public async Task<long> CountAsync()
        {
            var response = await QueryAsync("""{"queryType":"timeseries","dataSource":"DS","intervals":["2000-01-01/2100-01-01"],"granularity":"all","aggregations":[{"type":"longSum","name":"events","fieldName":"count"}]}""");
            Assert.Equal(200, response.StatusCode);
            using var doc = JsonDocument.Parse(response.Body);
            return doc.RootElement[0].GetProperty("result").GetProperty("events").GetInt64();
        }

        public async Task<long> WaitForEventsAsync(long expected)
        {
            try
            {
                return await Eventually.HoldsAsync(CountAsync, n => n >= expected, Deadline, $"{expected} events queryable");
            }
            catch (TimeoutException ex)
            {
                var status = await IngestStatusAsync();
                var timeline = await Cluster.Client.GetGrain<IDatasourceCatalogGrain>(Datasource).GetTimelineAsync();
                var segments = new List<SegmentStatus>();
                foreach (var segment in timeline.Segments)
                {
                    segments.Add(await Cluster.Client.GetGrain<ISegmentGrain>(segment.Key).GetStatusAsync());
                }

                throw new TimeoutException(ex.Message + "; sinks: " + string.Join("; ", status) + "; segments: " + string.Join("; ", segments), ex);
            }
        }

        public async Task<IReadOnlyList<SegmentIngestStatus>> IngestStatusAsync()
        {
            var list = new List<SegmentIngestStatus>();
            for (var p = 0; p < Partitions; p++)
            {
                list.Add(await Cluster.Client.GetGrain<ISegmentIngestGrain>(TopicPartitionKey.Format(Topic, p)).GetStatusAsync());
            }

            return list;
        }

        public async Task FlushAsync()
        {
            for (var p = 0; p < Partitions; p++)
            {
                await Cluster.Client.GetGrain<ISegmentIngestGrain>(TopicPartitionKey.Format(Topic, p)).FlushAsync();
            }
        }

        public async Task SealAllAsync()
        {
            var timeline = await Cluster.Client.GetGrain<IDatasourceCatalogGrain>(Datasource).GetTimelineAsync();
            foreach (var segment in timeline.Segments)
            {
                await Cluster.Client.GetGrain<ISegmentGrain>(segment.Key).SealAsync();
            }
        }

        public List<string> ReadDeadLetters(int count) => DeadLetterReader.ReadReasons(KafkaTestCluster.BootstrapServers, DeadLetterTopic, count, Deadline);

        public async Task AssertMatchesReferenceAsync(string queryJson, IReadOnlyList<TestEvent> events)
        {
            var json = queryJson.Replace("\"DS\"", $"\"{Datasource}\"", StringComparison.Ordinal);
            var response = await QueryAsync(json);
            Assert.Equal(200, response.StatusCode);
            var schema = new RowSchema([
                new ColumnSchema("pin_id", ColumnType.String), new ColumnSchema("action", ColumnType.String),
                new ColumnSchema("device", ColumnType.String), new ColumnSchema("count", ColumnType.Long)]);
            // rolled up as the datasource does (minute granularity): one row per minute and dimension values
            var rows = events.GroupBy(e => (Minute: e.Ts / 60_000 * 60_000, e.Pin, e.Action, e.Device))
                .Select(g => new Row(g.Key.Minute, new Dictionary<string, object?>
                {
                    ["pin_id"] = g.Key.Pin, ["action"] = g.Key.Action, ["device"] = g.Key.Device, ["count"] = (long)g.Count(),
                })).ToList();
            var expected = QueryResultWriter.ToJson(new ReferenceEvaluator(schema).Evaluate(QueryParser.Parse(json), rows));
            Assert.Equal(expected, Encoding.UTF8.GetString(response.Body));
        }

        public async ValueTask DisposeAsync()
        {
            await Cluster.DisposeAsync();
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
                // A silo may still hold a file open on a slow shutdown; the temp directory is reclaimed later.
            }
        }
    }
}
