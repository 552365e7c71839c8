using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Tributary.Kafka;
using Tributary.Storage;
using Tributary.Storage.Archive;
using Tributary.TestKit;

namespace Tributary.Unified.Tests;

/// <summary>One produced record as Kafka acknowledged it: the truth a unified read is compared with.</summary>
public sealed record Produced(int Partition, long Offset, long TimestampMs, byte[] Key, byte[] Value, IReadOnlyList<KeyValuePair<string, byte[]?>>? Headers);

/// <summary>
/// A topic on the mock cluster with the records Kafka acknowledged, and an archive of any prefix of each partition written
/// by the archive's own pure parts (<see cref="ArchiveSink"/>: router, file builder, deterministic names) plus the manifest
/// objects the archive partition grain writes after each upload.
/// </summary>
public sealed class UnifiedTopic
{
    private UnifiedTopic(string topic, int partitions, List<Produced> records)
    {
        Topic = topic;
        Partitions = partitions;
        Records = records;
    }

    public string Topic { get; }

    public int Partitions { get; }

    /// <summary>Every acknowledged record, by partition then offset.</summary>
    public List<Produced> Records { get; }

    public IEnumerable<Produced> Of(int partition) => Records.Where(r => r.Partition == partition);

    /// <summary>
    /// Produces <paramref name="count"/> keyed JSON events: Kafka timestamps one second apart from <paramref name="startMs"/>, event
    /// times mostly equal to them but every <paramref name="lateEvery"/>-th one <c>lateBy</c> earlier (so files of one partition
    /// overlap), every <paramref name="badEvery"/>-th one malformed (a dead letter), and <paramref name="padding"/> bytes of filler.
    /// </summary>
    public static UnifiedTopic Produce(int partitions, int count, long startMs, int lateEvery = 7, int badEvery = 53, int padding = 0, TimeSpan? lateBy = null)
    {
        var topic = KafkaTestCluster.CreateTopic("unified", partitions);
        var late = (long)(lateBy ?? TimeSpan.FromHours(2)).TotalMilliseconds;
        var filler = new string('x', padding);
        var acked = new List<Produced>(count);
        var failures = 0;
        using (var producer = KafkaTestCluster.CreateProducer())
        {
            for (var i = 0; i < count; i++)
            {
                var ts = startMs + (i * 1000L);
                var eventTime = i % lateEvery == lateEvery - 1 ? ts - late : ts;
                var key = Encoding.UTF8.GetBytes($"pin-{i % 997}");
                var value = i % badEvery == badEvery - 1
                    ? Encoding.UTF8.GetBytes($"not json {i}")
                    : Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{{\"i\":{i},\"pin_id\":\"pin-{i % 997}\",\"ts\":\"{DateTimeOffset.FromUnixTimeMilliseconds(eventTime):yyyy-MM-ddTHH:mm:ss.fffZ}\",\"score\":{i * 0.5},\"pad\":\"{filler}\"}}"));
                var headers = i % 3 == 0 ? new Headers { { "h", Encoding.UTF8.GetBytes($"v{i}") } } : null;
                var message = new Message<byte[], byte[]> { Key = key, Value = value, Timestamp = new Timestamp(ts, TimestampType.CreateTime), Headers = headers };
                while (true)
                {
                    try
                    {
                        producer.Produce(topic, message, r =>
                        {
                            if (r.Error.IsError)
                            {
                                Interlocked.Increment(ref failures);
                                return;
                            }

                            lock (acked)
                            {
                                acked.Add(new Produced(r.Partition.Value, r.Offset.Value, ts, r.Message.Key, r.Message.Value,
                                    r.Message.Headers is { Count: > 0 } h ? h.Select(x => new KeyValuePair<string, byte[]?>(x.Key, x.GetValueBytes())).ToList() : null));
                            }
                        });
                        break;
                    }
                    catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == Confluent.Kafka.ErrorCode.Local_QueueFull)
                    {
                        producer.Poll(TimeSpan.FromMilliseconds(20));
                    }
                }
            }

            producer.Flush(TimeSpan.FromMinutes(2));
        }

        Assert.Equal(0, failures);
        Assert.Equal(count, acked.Count);
        acked.Sort((a, b) => a.Partition != b.Partition ? a.Partition.CompareTo(b.Partition) : a.Offset.CompareTo(b.Offset));
        return new UnifiedTopic(topic, partitions, acked);
    }

    /// <summary>The archive layout the tests use: hourly folders, small files, ts as event time.</summary>
    public static ArchiveOptions ArchiveOptions(ArchiveFormat format, int maxFileRecords = 40) => new()
    {
        Format = format,
        Fields = format == ArchiveFormat.Parquet
            ? [new() { Name = "i", Type = ArchiveFieldType.Long, Required = true }, new() { Name = "pin_id", Type = ArchiveFieldType.String }, new() { Name = "ts", Type = ArchiveFieldType.Timestamp }, new() { Name = "score", Type = ArchiveFieldType.Double }]
            : [],
        Granularity = ArchiveGranularity.Hour,
        MaxFileRecords = maxFileRecords,
        MaxFileAge = TimeSpan.FromHours(6),
        RowGroupRows = 16,
    };

    /// <summary>Archives each partition's offsets below <paramref name="cut"/>(partition) and writes the manifest objects; returns the files.</summary>
    public async Task<List<ArchiveFileInfo>> ArchiveAsync(IObjectStore store, ArchiveOptions options, Func<int, long> cut, Func<Produced, bool>? skip = null)
    {
        var files = new List<ArchiveFileInfo>();
        for (var p = 0; p < Partitions; p++)
        {
            var below = cut(p);
            await using var sink = new ArchiveSink(store, Topic, p, options);
            await sink.AppendAsync(Of(p).Where(r => r.Offset < below && !(skip?.Invoke(r) ?? false)).Select(r => new ArchiveRecord(r.Offset, r.TimestampMs, r.Key, r.Value, r.Headers)));
            await sink.FlushAsync();
            foreach (var info in sink.Sealed)
            {
                await store.PutAsync(HivePath.ManifestEntry(info.Topic, info.Partition, info.FirstOffset), info.ToJson());
                files.Add(info);
            }
        }

        return files;
    }

    /// <summary>Commits <paramref name="offsets"/> for <paramref name="group"/>, as the archiver does once files are durable.</summary>
    public void CommitArchiveGroup(string group, IReadOnlyDictionary<int, long> offsets)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = KafkaTestCluster.BootstrapServers, GroupId = group }).SetLogHandler((_, _) => { }).Build();
        consumer.Commit(offsets.Select(o => new TopicPartitionOffset(Topic, o.Key, o.Value)));
    }

    public UnifiedSourceOptions Options(ArchiveOptions archive) => new()
    {
        Topic = Topic,
        Kafka = new KafkaClientOptions { BootstrapServers = KafkaTestCluster.BootstrapServers, Settings = { ["fetch.wait.max.ms"] = "10" } },
        Archive = archive,
        Until = UnifiedUntil.LatestAtOpen,
        ManifestPollInterval = TimeSpan.FromMilliseconds(50),
    };

    public static async Task<List<UnifiedRecord>> ReadAllAsync(UnifiedSource source, int? stopAfter = null)
    {
        var records = new List<UnifiedRecord>();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await foreach (var r in source.ReadAsync(cts.Token))
        {
            records.Add(r);
            if (records.Count == stopAfter)
            {
                break;
            }
        }

        return records;
    }
}
