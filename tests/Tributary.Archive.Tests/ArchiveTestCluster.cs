using System.Globalization;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Orleans.TestingHost;
using Tributary.Grains.Archive;
using Tributary.Storage;
using Tributary.Storage.Parquet;
using Tributary.TestKit;
using Tributary.TestKit.Cluster;

namespace Tributary.Archive.Tests;

/// <summary>
/// A test cluster composed like production silos (<see cref="TributarySiloBuilderExtensions.AddTributary"/>):
/// Redis grain storage, a Kafka stream provider <c>archive</c> over one topic of the mock cluster, and the
/// archive sink writing Parquet to s3rver (directly or through a fault-injecting proxy).
/// </summary>
internal static class ArchiveTestCluster
{
    public const int Partitions = 4;
    public static readonly DateTimeOffset Start = new(2026, 11, 22, 9, 30, 0, TimeSpan.Zero);
    private static readonly Lazy<string> NotificationTopic = new(() => KafkaTestCluster.CreateTopic("archive-files", 1));

    public static async Task<TestCluster> StartAsync(string topic, string bucket, string s3Endpoint, short silos = 2, IDictionary<string, string?>? extra = null, string? serviceId = null)
    {
        var id = serviceId ?? TributaryClusterBuilder.NewId('a');
        var builder = new TributaryClusterBuilder(silos, id, clusterId: TributaryClusterBuilder.NewId('c'))
            .WithStream("archive", topic, ArchiveIngestGrain.StreamNamespace, batchSize: 500)
            .With(new Dictionary<string, string?>
            {
                ["Tributary:Streams:archive:CommitInterval"] = "00:00:00.200",
                ["Tributary:Archive:Enabled"] = "true",
                ["Tributary:Archive:Format"] = "Parquet",
                ["Tributary:Archive:Fields:0:Name"] = "ts",
                ["Tributary:Archive:Fields:0:Type"] = "Timestamp",
                ["Tributary:Archive:Fields:0:Required"] = "true",
                ["Tributary:Archive:Fields:1:Name"] = "pin_id",
                ["Tributary:Archive:Fields:1:Type"] = "Long",
                ["Tributary:Archive:Fields:1:Required"] = "true",
                ["Tributary:Archive:Fields:2:Name"] = "action",
                ["Tributary:Archive:Compression"] = "Zstd",
                ["Tributary:Archive:MaxFileRecords"] = "700",
                ["Tributary:Archive:MaxFileOffsetSpan"] = "3000",
                ["Tributary:Archive:RowGroupRows"] = "256",
                ["Tributary:Archive:LateWindow"] = "00:10:00",
                ["Tributary:Archive:NotificationTopic"] = NotificationTopic.Value,
                ["Tributary:Archive:Store:Kind"] = "s3",
                ["Tributary:Archive:Store:S3:Bucket"] = bucket,
                ["Tributary:Archive:Store:S3:ServiceUrl"] = s3Endpoint,
                ["Tributary:Archive:Store:S3:ForcePathStyle"] = "true",
                ["Tributary:Archive:Store:S3:AccessKeyId"] = "S3RVER",
                ["Tributary:Archive:Store:S3:SecretAccessKey"] = "S3RVER",
                ["Tributary:Archive:Store:S3:DisableChunkEncoding"] = "true",
                ["Tributary:Archive:Store:S3:RequestTimeout"] = "00:00:05",
            })
            .With(extra);
        builder.Builder.AddSiloBuilderConfigurator<ArchiveSiloConfigurator>();
        return await builder.DeployAsync();
    }

    /// <summary>Produces events i in [first, first+count): one second apart from <see cref="Start"/>, keyed, every 97th malformed.</summary>
    public static void Produce(string topic, int first, int count)
    {
        using var producer = KafkaTestCluster.CreateProducer();
        for (var i = first; i < first + count; i++)
        {
            var ts = Start.AddSeconds(i).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            var value = i % 97 == 13
                ? $"{{\"ts\":\"{ts}\",\"pin_id\":\"not-a-number\",\"i\":{i}}}"
                : string.Create(CultureInfo.InvariantCulture, $"{{\"ts\":\"{ts}\",\"pin_id\":{i},\"action\":\"view\",\"i\":{i}}}");
            while (true)
            {
                try
                {
                    producer.Produce(topic, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes($"key-{i}"), Value = Encoding.UTF8.GetBytes(value) });
                    break;
                }
                catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == Confluent.Kafka.ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(20));
                }
            }
        }

        producer.Flush(TimeSpan.FromMinutes(1));
    }

    /// <summary>Object keys announced on the notification topic for <paramref name="topic"/>.</summary>
    public static List<string> Announcements(string topic)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = KafkaTestCluster.BootstrapServers, GroupId = $"announcements-{Guid.NewGuid():N}", EnableAutoCommit = false }).Build();
        var tp = new TopicPartition(NotificationTopic.Value, 0);
        var high = consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10)).High.Value;
        consumer.Assign(new TopicPartitionOffset(tp, Offset.Beginning));
        var keys = new List<string>();
        while (high > 0)
        {
            var result = consumer.Consume(TimeSpan.FromSeconds(10)) ?? throw new TimeoutException($"announcements: nothing after {keys.Count} within 10 s");
            if (Encoding.UTF8.GetString(result.Message.Key) == topic)
            {
                using var doc = JsonDocument.Parse(result.Message.Value);
                keys.Add(doc.RootElement.GetProperty("key").GetString()!);
            }

            if (result.Offset.Value >= high - 1)
            {
                break;
            }
        }

        return keys;
    }

    /// <summary>The high watermark (next offset) of each partition.</summary>
    public static long[] HighWatermarks(string topic)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = KafkaTestCluster.BootstrapServers, GroupId = "watermarks" }).Build();
        return Enumerable.Range(0, Partitions).Select(p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value).ToArray();
    }

    /// <summary>
    /// Activates every partition's ingest grain from <paramref name="silo"/> (through its own grain factory), so that
    /// with their local placement they and their archive partitions live there; returns their statuses.
    /// </summary>
    public static Task<ArchiveIngestStatus[]> ActivateIngestGrainsAsync(SiloHandle silo, string topic)
    {
        var grains = ((InProcessSiloHandle)silo).ServiceProvider.GetRequiredService<IGrainFactory>();
        return Task.WhenAll(Enumerable.Range(0, Partitions).Select(p => grains.GetGrain<IArchiveIngestGrain>(TopicPartitionKey.Format(topic, p)).GetStatusAsync().AsTask()));
    }

    /// <summary>The offset the archive's consumer group committed to Kafka for <paramref name="topic"/>[<paramref name="partition"/>]; -1 when none.</summary>
    public static long CommittedOffset(TestCluster cluster, string topic, int partition)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = KafkaTestCluster.BootstrapServers, GroupId = $"group-{cluster.Options.ServiceId}" }).Build();
        var committed = consumer.Committed([new TopicPartition(topic, partition)], TimeSpan.FromSeconds(10));
        return committed[0].Offset.IsSpecial ? -1 : committed[0].Offset.Value;
    }

    /// <summary>Waits until every ingest grain has routed its partition to the end, then seals all open files.</summary>
    public static async Task DrainAndFlushAsync(TestCluster cluster, string topic, TimeSpan deadline)
    {
        var high = HighWatermarks(topic);
        var grains = Enumerable.Range(0, Partitions).Select(p => cluster.Client.GetGrain<IArchiveIngestGrain>(TopicPartitionKey.Format(topic, p))).ToArray();
        await Eventually.HoldsAsync(
            async () => new StatusView(await Task.WhenAll(grains.Select(g => g.GetStatusAsync().AsTask()))),
            v => v.Statuses.All(s => s.NextOffset >= high[s.Partition]),
            deadline, $"archive of {topic} routed to the end");
        var flushed = await Task.WhenAll(grains.Select(g => g.FlushAsync().AsTask()));
        Assert.All(flushed, s => Assert.Equal(high[s.Partition], s.Checkpoint));
    }

    /// <summary>Every (partition, offset) found in the topic's Parquet and dead-letter files, with the file it was in.</summary>
    public static async Task<List<(int Partition, long Offset, string Key)>> ReadBackAsync(IObjectStore store, string topic)
    {
        var found = new List<(int, long, string)>();
        var ct = TestContext.Current.CancellationToken;
        await foreach (var o in store.ListAsync(topic + "/dt=", ct))
        {
            if (o.Key.EndsWith(".parquet", StringComparison.Ordinal))
            {
                await foreach (var group in ParquetArchiveReader.ReadAsync(store, o.Key, ct))
                {
                    for (var i = 0; i < group.Offsets.Length; i++)
                    {
                        found.Add((group.Partitions[i], group.Offsets[i], o.Key));
                    }
                }
            }
            else if (o.Key.EndsWith(".deadletter.jsonl", StringComparison.Ordinal))
            {
                await using var stream = await store.OpenReadAsync(o.Key, ct);
                using var reader = new StreamReader(stream!);
                while (await reader.ReadLineAsync(ct) is { } line)
                {
                    using var doc = JsonDocument.Parse(line);
                    found.Add((doc.RootElement.GetProperty("partition").GetInt32(), doc.RootElement.GetProperty("offset").GetInt64(), o.Key));
                }
            }
        }

        return found;
    }

    /// <summary>Asserts each produced offset of each partition appears exactly once in the archive.</summary>
    public static async Task AssertExactlyOnceAsync(IObjectStore store, string topic)
    {
        var high = HighWatermarks(topic);
        var found = await ReadBackAsync(store, topic);
        var duplicates = found.GroupBy(f => (f.Partition, f.Offset)).Where(g => g.Count() > 1).Take(5)
            .Select(g => $"{g.Key.Partition}@{g.Key.Offset} in {string.Join(", ", g.Select(x => x.Key))}").ToList();
        Assert.True(duplicates.Count == 0, "offsets archived more than once: " + string.Join("; ", duplicates));
        for (var p = 0; p < Partitions; p++)
        {
            var offsets = found.Where(f => f.Partition == p).Select(f => f.Offset).Order().ToList();
            Assert.True(offsets.Count == high[p] && (offsets.Count == 0 || offsets[^1] == high[p] - 1),
                $"partition {p}: {offsets.Count} offsets archived, {high[p]} produced; first missing: {Enumerable.Range(0, (int)high[p]).Select(i => (long)i).Except(offsets).FirstOrDefault()}");
        }
    }

    public static S3ObjectStore Store(string bucket) => new(S3rver.Options(bucket));

    public static async Task<string> CreateBucketAsync()
    {
        using var store = await S3rver.CreateStoreAsync();
        return store.Location["s3://".Length..].TrimEnd('/');
    }

    /// <summary>The archive tests' fault hook, on top of the silo <see cref="TributaryClusterBuilder"/> composes.</summary>
    private sealed class ArchiveSiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) => siloBuilder.Services.AddSingleton<IArchiveUploadObserver, KillSwitch>();
    }
}

internal sealed record StatusView(ArchiveIngestStatus[] Statuses)
{
    public override string ToString() => string.Join(", ", Statuses.Select(s => $"p{s.Partition}: next {s.NextOffset}, checkpoint {s.Checkpoint}, open {s.OpenFiles}, replayed {s.RecordsReplayed}@{s.Silo}"));
}

/// <summary>
/// Fault hook for the kill test: once armed for a silo, the N-th upload on that silo signals the test and then
/// hangs forever, so the silo dies between the upload and the checkpoint.
/// </summary>
internal sealed class KillSwitch(ILocalSiloDetails silo) : IArchiveUploadObserver
{
    private static readonly Lock Gate = new();
    private static SiloAddress? _victim;
    private static int _countdown;
    private static TaskCompletionSource<ArchiveFileEntry>? _reached;

    public static Task<ArchiveFileEntry> Arm(SiloAddress victim, int afterUploads)
    {
        lock (Gate)
        {
            _victim = victim;
            _countdown = afterUploads;
            _reached = new TaskCompletionSource<ArchiveFileEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
            return _reached.Task;
        }
    }

    public static void Disarm()
    {
        lock (Gate)
        {
            _victim = null;
        }
    }

    public Task OnUploadedAsync(ArchiveFileEntry file)
    {
        TaskCompletionSource<ArchiveFileEntry>? reached = null;
        lock (Gate)
        {
            if (_victim is not null && _victim.Equals(silo.SiloAddress) && --_countdown == 0)
            {
                reached = _reached;
                _victim = null;
            }
        }

        if (reached is null)
        {
            return Task.CompletedTask;
        }

        reached.TrySetResult(file);
        // never completes: the silo is killed while this upload is neither catalogued nor checkpointed
        return new TaskCompletionSource().Task;
    }
}
