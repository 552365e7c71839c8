using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Tributary.Kafka.DevBroker;
using Tributary.TestKit;

namespace Tributary.Cluster.Tests;

/// <summary>
/// A cluster of real silo processes in the cluster profile, with what production gives them: Redis (its own server, so
/// a test can take it away), s3rver (a bucket per cluster for segments and the archive) and a Kafka-protocol dev broker
/// (librdkafka's mock cluster, hosted by the test process, reached by the silos over loopback). Events go to
/// <c>pin_engagement</c> (16 partitions) as the generator writes them; malformed ones are recorded by offset.
/// </summary>
internal sealed partial class ProcessCluster : IAsyncDisposable
{
    public const string Topic = "pin_engagement";
    public const string DeadLetterTopic = "pin_engagement.deadletter";
    public const int Partitions = 16;
    private const int SigStop = 19;
    private const int SigCont = 18;
    private readonly ServiceProcess _redis;
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly HashSet<(int Partition, long Offset)> _malformed = [];
    private readonly List<SiloProcess> _silos = [];
    private readonly string _logs;
    private readonly long _baseTimeMs = DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds();

    private ProcessCluster(MockKafkaCluster kafka, ServiceProcess redis, string bucket)
    {
        Kafka = kafka;
        _redis = redis;
        Bucket = bucket;
        _logs = Directory.CreateTempSubdirectory("tributary-cluster-test-").FullName;
        _producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers, LingerMs = 5 }).Build();
    }

    public MockKafkaCluster Kafka { get; }

    public string Bucket { get; }

    public IReadOnlyList<SiloProcess> Silos => _silos;

    /// <summary>Well-formed events produced so far.</summary>
    public long WellFormed { get; private set; }

    /// <summary>Where the silo logs are (printed by a failing test).</summary>
    public string Logs => _logs;

    /// <summary>The fault proxy the silos reach s3rver through, when started with one.</summary>
    public S3FaultProxy? S3Proxy { get; private set; }

    public static async Task<ProcessCluster> StartAsync(int silos, IReadOnlyDictionary<string, string>? settings = null, bool s3Proxy = false)
    {
        var kafka = MockKafkaCluster.Start(3);
        kafka.CreateTopic(Topic, Partitions);
        kafka.CreateTopic(DeadLetterTopic, 1);
        kafka.CreateTopic("_tributary.archive.files", 1);
        var redis = ServiceProcess.Start("redis");
        var bucket = "cluster-" + Guid.NewGuid().ToString("N")[..12];
        var cluster = new ProcessCluster(kafka, redis, bucket) { S3Proxy = s3Proxy ? new S3FaultProxy(S3rver.Endpoint) : null };
        var id = Guid.NewGuid().ToString("N")[..8];
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["TRIBUTARY_PROFILE"] = "cluster",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Tributary"] = "Information",
            ["Tributary__ClusterId"] = "c" + id,
            ["Tributary__ServiceId"] = "s" + id,
            ["Tributary__RedisConnectionString"] = redis.Variables["TRIBUTARY_REDIS"],
            ["Tributary__Kafka__BootstrapServers"] = kafka.BootstrapServers,
            ["Tributary__Kafka__Settings__fetch.wait.max.ms"] = "10",
            ["Tributary__Streams__stats__Enabled"] = "false",
        };
        foreach (var store in new[] { "Segments", "Archive" })
        {
            var prefix = $"Tributary__{store}__Store__S3__";
            environment[prefix + "Bucket"] = bucket;
            environment[prefix + "Prefix"] = store.ToLowerInvariant();
            environment[prefix + "ServiceUrl"] = cluster.S3Proxy?.Endpoint ?? S3rver.Endpoint;
            environment[prefix + "ForcePathStyle"] = "true";
            environment[prefix + "DisableChunkEncoding"] = "true";
            environment[prefix + "CreateBucketIfMissing"] = "true";
            environment[prefix + "AccessKeyId"] = "S3RVER";
            environment[prefix + "SecretAccessKey"] = "S3RVER";
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        for (var i = 0; i < silos; i++)
        {
            cluster._silos.Add(new SiloProcess(i, environment, cluster._logs));
        }

        try
        {
            // One at a time, as an operator would: the first creates the membership, each next one joins it.
            foreach (var silo in cluster._silos)
            {
                await silo.StartAsync(TimeSpan.FromSeconds(120));
            }
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>
    /// Produces events <paramref name="first"/> .. <paramref name="first"/> + <paramref name="count"/> - 1 keyed by pin id;
    /// every 500th one (index % 500 == 7) is malformed and its offset is recorded.
    /// </summary>
    public async Task ProduceAsync(int first, int count)
    {
        var malformed = new List<Task<DeliveryResult<byte[], byte[]>>>();
        for (var i = first; i < first + count; i++)
        {
            var pin = (i * 7919L % 100_003).ToString(CultureInfo.InvariantCulture);
            var value = i % 500 == 7
                ? $"not json {i}"
                : Event(i, pin);
            var message = new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(pin), Value = Encoding.UTF8.GetBytes(value) };
            if (i % 500 == 7)
            {
                malformed.Add(_producer.ProduceAsync(Topic, message));
            }
            else
            {
                _producer.Produce(Topic, message);
                WellFormed++;
            }
        }

        _producer.Flush(TimeSpan.FromSeconds(60));
        foreach (var result in await Task.WhenAll(malformed))
        {
            _malformed.Add((result.Partition.Value, result.Offset.Value));
        }
    }

    /// <summary>Produces <paramref name="count"/> events in chunks of 500, 0.7 s apart (about 30 s of traffic for 20,000: it lasts while the faults happen).</summary>
    public async Task ProduceSteadilyAsync(int first, int count, CancellationToken cancellationToken)
    {
        for (var i = first; i < first + count; i += 500)
        {
            await ProduceAsync(i, Math.Min(500, first + count - i));
            await Task.Delay(700, cancellationToken);
        }
    }

    /// <summary>The events a silo's broker counts (sum of the rollup's <c>count</c> over all time); -1 when it does not answer.</summary>
    public static async Task<long> CountAsync(SiloProcess silo)
    {
        const string query = """{"queryType":"timeseries","dataSource":"pin_engagement","intervals":["2000-01-01/2100-01-01"],"granularity":"all","aggregations":[{"type":"longSum","name":"n","fieldName":"count"}]}""";
        try
        {
            using var response = await silo.Http.PostAsync("/druid/v2", new StringContent(query, Encoding.UTF8, "application/json"));
            if (!response.IsSuccessStatusCode)
            {
                return -1;
            }

            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return body.RootElement.GetArrayLength() == 0 ? 0 : body.RootElement[0].GetProperty("result").GetProperty("n").GetInt64();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
        {
            return -1;
        }
    }

    /// <summary>Waits until every running silo counts exactly the well-formed events produced.</summary>
    public async Task WaitForExactCountsAsync(TimeSpan deadline)
    {
        var counts = await Eventually.HoldsAsync(
            async () => Observed.Of(await Task.WhenAll(_silos.Where(s => s.IsRunning).Select(CountAsync)), c => string.Join(", ", c)),
            c => c.Value.All(n => n == WellFormed),
            deadline,
            $"every silo counts {WellFormed} events (logs in {_logs})");
        Assert.All(counts.Value, n => Assert.Equal(WellFormed, n));
    }

    /// <summary>Waits until <paramref name="group"/>'s committed offsets equal the end offsets of every partition.</summary>
    public async Task WaitForCommittedAtEndAsync(string group, TimeSpan deadline)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = Kafka.BootstrapServers, GroupId = group, EnableAutoCommit = false }).Build();
        var partitions = Enumerable.Range(0, Partitions).Select(p => new TopicPartition(Topic, p)).ToList();
        var ends = partitions.ToDictionary(p => p.Partition.Value, p => consumer.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(10)).High.Value);
        await Eventually.HoldsAsync(
            () => Task.FromResult(Observed.Of(
                consumer.Committed(partitions, TimeSpan.FromSeconds(10)).ToDictionary(c => c.Partition.Value, c => c.Offset.Value),
                c => string.Join(", ", ends.Where(e => c.GetValueOrDefault(e.Key) != e.Value).Select(e => $"[{e.Key}] {c.GetValueOrDefault(e.Key)} of {e.Value}")))),
            committed => ends.All(e => committed.Value.GetValueOrDefault(e.Key) == e.Value),
            deadline,
            $"group {group} committed the end offsets (logs in {_logs})");
    }

    /// <summary>The source offsets of every record in the dead-letter topic, with the reason of each.</summary>
    public List<(int Partition, long Offset, string Reason)> ReadDeadLetters()
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = Kafka.BootstrapServers,
            GroupId = "dl-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
        }).Build();
        var end = consumer.QueryWatermarkOffsets(new TopicPartition(DeadLetterTopic, 0), TimeSpan.FromSeconds(10)).High.Value;
        consumer.Assign(new TopicPartitionOffset(DeadLetterTopic, 0, Offset.Beginning));
        var letters = new List<(int, long, string)>();
        var until = DateTime.UtcNow.AddSeconds(60);
        while (letters.Count < end && DateTime.UtcNow < until)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is not { Message: { } message })
            {
                continue;
            }

            var source = Encoding.UTF8.GetString(message.Headers.GetLastBytes("tributary.source")); // {topic}/{partition}@{offset}
            var at = source.LastIndexOf('@');
            var slash = source.LastIndexOf('/', at);
            letters.Add((
                int.Parse(source.AsSpan(slash + 1, at - slash - 1), CultureInfo.InvariantCulture),
                long.Parse(source.AsSpan(at + 1), CultureInfo.InvariantCulture),
                Encoding.UTF8.GetString(message.Headers.GetLastBytes("tributary.reason"))));
        }

        return letters;
    }

    /// <summary>The (partition, offset) of every malformed event produced.</summary>
    public IReadOnlySet<(int Partition, long Offset)> Malformed => _malformed;

    /// <summary>Takes Redis away (SIGSTOP: connections hang, as in a network partition) for <paramref name="outage"/>, then brings it back.</summary>
    public async Task RedisOutageAsync(TimeSpan outage)
    {
        var pid = int.Parse(File.ReadAllText(Path.Combine(_redis.Directory, "redis.pid")).Trim(), CultureInfo.InvariantCulture);
        _ = SendSignal(pid, SigStop);
        try
        {
            await Task.Delay(outage);
        }
        finally
        {
            _ = SendSignal(pid, SigCont);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }

        _producer.Dispose();
        if (S3Proxy is not null)
        {
            await S3Proxy.DisposeAsync();
        }

        _redis.Dispose();
        Kafka.Dispose();
    }

    private string Event(int i, string pin)
    {
        var ts = DateTimeOffset.FromUnixTimeMilliseconds(_baseTimeMs + (i % 240_000)).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        string[] actions = ["view", "click", "save", "hide"];
        string[] devices = ["ios", "android", "web"];
        return $$"""{"ts":"{{ts}}","pin_id":"{{pin}}","user_id":"{{i}}","action":"{{actions[i % 4]}}","device":"{{devices[i % 3]}}","app_version":"1.{{i % 5}}"}""";
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}

/// <summary>A probed value with the text a timed-out wait prints for it.</summary>
internal sealed record Observed<T>(T Value, string Text)
{
    public override string ToString() => Text;
}

internal static class Observed
{
    public static Observed<T> Of<T>(T value, Func<T, string> text) => new(value, text(value));
}
