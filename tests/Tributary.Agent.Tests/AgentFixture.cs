using System.Text;
using Confluent.Kafka;
using Tributary.Agent.Options;
using Tributary.TestKit;

namespace Tributary.Agent.Tests;

/// <summary>A throwaway agent directory (logs, data, conf.d) and options pointing at the shared mock cluster.</summary>
internal sealed class AgentFixture : IDisposable
{
    public AgentFixture(string name)
    {
        Root = Directory.CreateTempSubdirectory($"tributary-agent-{name}-").FullName;
        Logs = Directory.CreateDirectory(Path.Combine(Root, "logs")).FullName;
        Data = Path.Combine(Root, "data");
        ConfD = Directory.CreateDirectory(Path.Combine(Root, "conf.d")).FullName;
        Topic = KafkaTestCluster.CreateTopic(name, 4);
        HeartbeatTopic = KafkaTestCluster.CreateTopic(name + "-hb", 1);
        AuditTopic = KafkaTestCluster.CreateTopic(name + "-audit", 1);
    }

    public string Root { get; }

    public string Logs { get; }

    public string Data { get; }

    public string ConfD { get; }

    public string Topic { get; }

    public string HeartbeatTopic { get; }

    public string AuditTopic { get; }

    public string LogPath(string file = "app.log") => Path.Combine(Logs, file);

    public AgentOptions Options(params LogStreamOptions[] streams) => new()
    {
        Host = "test-host",
        DataDirectory = Data,
        ConfDirectory = ConfD,
        ConfPollIntervalMs = 100,
        Kafka = new Dictionary<string, string> { ["bootstrap.servers"] = KafkaTestCluster.BootstrapServers },
        Heartbeat = new HeartbeatOptions { Topic = HeartbeatTopic, IntervalSeconds = 0.2 },
        Audit = new AuditOptions { Topic = AuditTopic },
        Streams = [.. streams],
    };

    public LogStreamOptions Stream(string name = "app", string pattern = "app.log", ReaderKind reader = ReaderKind.Text) => new()
    {
        Name = name,
        Directory = Logs,
        Pattern = pattern,
        Reader = reader,
        Topic = Topic,
        BatchMaxRecords = 100,
        BatchMaxDelayMs = 1,
        PollIntervalMs = 20,
    };

    public static void Append(string path, IEnumerable<string> lines)
    {
        using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        foreach (var line in lines)
        {
            file.Write(Encoding.UTF8.GetBytes(line + "\n"));
        }
    }

    public static IEnumerable<string> Lines(string prefix, int from, int count) => Enumerable.Range(from, count).Select(i => $"{prefix}-{i:D6}");

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // a process still holds a file: the temp directory is cleaned by the OS
        }
    }
}

/// <summary>Reads topics of the mock cluster from the beginning with a plain Confluent consumer.</summary>
internal static class TopicReader
{
    /// <summary>Consumes until at least <paramref name="count"/> records arrived (deadline 30 s), then returns everything read so far plus what follows within a short quiet period.</summary>
    public static List<ConsumeResult<byte[]?, byte[]>> ReadAtLeast(string topic, int count, TimeSpan? timeout = null)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]>(new ConsumerConfig
        {
            BootstrapServers = KafkaTestCluster.BootstrapServers,
            GroupId = "reader-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            FetchWaitMaxMs = 10,
        }).SetLogHandler((_, _) => { }).Build();
        var metadata = KafkaTestCluster.Instance.PartitionCount(topic);
        consumer.Assign(Enumerable.Range(0, metadata).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var results = new List<ConsumeResult<byte[]?, byte[]>>();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (results.Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{topic}: {results.Count} of {count} records arrived within the deadline");
            }

            if (consumer.Consume(100) is { IsPartitionEOF: false } r)
            {
                results.Add(r);
            }
        }

        // Anything else already there (duplicates) arrives within a few fetches.
        while (consumer.Consume(300) is { IsPartitionEOF: false } more)
        {
            results.Add(more);
        }

        return results;
    }

    public static List<string> Values(IEnumerable<ConsumeResult<byte[]?, byte[]>> results) => [.. results.Select(r => Encoding.UTF8.GetString(r.Message.Value))];
}
