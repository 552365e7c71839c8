using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Confluent.Kafka;
using Tributary.Archive;
using Tributary.Cli.Generate;
using Tributary.Grains.Archive;
using Tributary.Storage;
using Tributary.Kafka.DevBroker;

namespace Tributary.Cli.Bench;

/// <summary>
/// <c>bench archive</c>: events/s and MB/s from Kafka to Parquet files on S3 (s3rver) through the archive sink
/// of an embedded silo, against a plain Confluent consumer reading the same topic in the same run, and the
/// size of the Parquet output against the JSON it came from. Both rates are measured from the first record
/// delivered to the end (for the archive: until every file is uploaded and catalogued), the archive's start as
/// stamped by its grains (<see cref="ArchiveIngestStatus.FirstRecordAt"/>). A window from 10% of the events,
/// found by polling, was unreliable: polls answer late while the thread pool is busy with the archive, so the
/// first poll past 10% could come at 60-95% and the window was mostly the final flush.
/// </summary>
internal static class ArchiveBench
{
    internal const string Topic = "bench_archive";
    internal const int Partitions = 16;
    private static readonly string[] Fields = ["ts:Timestamp", "pin_id:Long", "user_id:Long", "action:String", "ip:String", "device:String", "app_version:String"];

    public static async Task<string> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        // The mock broker keeps about 5 MB per partition (and pin popularity is skewed): 200k events
        // (~30 MB) fit whole; whatever it does truncate is measured from the watermarks, not assumed.
        var produced = settings.Events ?? 200_000;
        using var s3 = await S3Endpoint.StartAsync();
        var bucket = $"bench-archive-{DateTime.UtcNow:yyyyMMddHHmmss}";
        using (var admin = new S3ObjectStore(StoreOptions(s3.Url, bucket)))
        {
            await admin.EnsureBucketAsync(cancellationToken);
        }

        using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic(Topic, Partitions);
        cluster.CreateTopic("_tributary.archive.files", 1);
        var produceWatch = Stopwatch.StartNew();
        long jsonBytes = 0;
        using (var writer = new KafkaEventWriter(cluster.BootstrapServers, Topic))
        {
            var generator = new PinEngagementGenerator(new GeneratorOptions { Seed = 7 });
            for (long i = 0; i < produced; i++)
            {
                var e = generator.Next();
                jsonBytes += e.Value.Length;
                writer.Write(e.Key, e.Value);
            }

            writer.Flush(TimeSpan.FromMinutes(2));
            if (writer.Delivered != produced)
            {
                throw new InvalidOperationException($"produced {writer.Delivered} of {produced} events: {writer.LastError}");
            }
        }

        var (low, high) = Watermarks(cluster.BootstrapServers);
        var events = Enumerable.Range(0, Partitions).Sum(p => high[p] - low[p]);
        if (events < produced)
        {
            // only retained records are archived and consumed: scale the JSON bytes to them
            jsonBytes = (long)(jsonBytes * (events / (double)produced));
        }

        await Console.Error.WriteLineAsync($"archive: produced {produced:N0} events, {events:N0} retained by the mock broker ({jsonBytes / 1e6:0.0} MB JSON) in {produceWatch.Elapsed.TotalSeconds:0.0} s; s3 at {s3.Url}");
        var consumed = new List<(int Partition, Tributary.Storage.Archive.ArchiveRecord Record)>((int)events);
        var raw = RawConsumerRate(cluster.BootstrapServers, events, consumed);
        await Console.Error.WriteLineAsync($"archive: raw consumer {raw:N0} events/s");
        var core = await SinkCoreRateAsync(consumed, s3.Url, bucket, cancellationToken);
        await Console.Error.WriteLineAsync($"archive: sink core alone (parse, Parquet, upload; one thread, no Kafka, no Orleans) {core:N0} events/s");
        var (archived, parquetBytes, files) = await ArchiveRateAsync(cluster.BootstrapServers, s3.Url, bucket, events, high, settings.BatchSize, cancellationToken);
        await Console.Error.WriteLineAsync($"archive: Kafka to Parquet on S3 {archived:N0} events/s, {files} files, {parquetBytes / 1e6:0.00} MB Parquet");
        var mbPerS = archived * (jsonBytes / (double)events) / 1e6;
        return JsonSerializer.Serialize(new
        {
            scenario = "archive",
            events,
            partitions = Partitions,
            files,
            json_bytes = jsonBytes,
            parquet_bytes = parquetBytes,
            events_per_s = Math.Round(archived),
            mb_per_s = Math.Round(mbPerS, 2),
            raw_events_per_s = Math.Round(raw),
            sink_core_events_per_s = Math.Round(core),
            ratio = Math.Round(archived / raw, 3),
            parquet_to_json_bytes = Math.Round(parquetBytes / (double)jsonBytes, 4),
        });
    }

    internal static S3ObjectStoreOptions StoreOptions(string url, string bucket) => new()
    {
        Bucket = bucket,
        ServiceUrl = url,
        ForcePathStyle = true,
        AccessKeyId = "S3RVER",
        SecretAccessKey = "S3RVER",
        DisableChunkEncoding = true,
    };

    /// <summary>
    /// The archive core (router, Parquet encoding, upload to the same s3rver) over the consumed records on one
    /// thread: shows how much of the end-to-end time is the sink's own work.
    /// </summary>
    private static async Task<double> SinkCoreRateAsync(List<(int Partition, Tributary.Storage.Archive.ArchiveRecord Record)> consumed, string s3, string bucket, CancellationToken cancellationToken)
    {
        var storeOptions = StoreOptions(s3, bucket);
        storeOptions.Prefix = "core";
        using var store = new S3ObjectStore(storeOptions);
        var options = CoreOptions();
        var clock = Stopwatch.StartNew();
        foreach (var group in consumed.GroupBy(c => c.Partition))
        {
            await using var sink = new Tributary.Storage.Archive.ArchiveSink(store, Topic, group.Key, options);
            await sink.AppendAsync(group.Select(g => g.Record).OrderBy(r => r.Offset), cancellationToken);
            await sink.FlushAsync(cancellationToken);
        }

        return consumed.Count / clock.Elapsed.TotalSeconds;
    }

    internal static Tributary.Storage.Archive.ArchiveOptions CoreOptions()
    {
        var options = new Tributary.Storage.Archive.ArchiveOptions { Compression = Tributary.Storage.Archive.ArchiveCompression.Zstd };
        foreach (var field in Fields)
        {
            var (name, type) = (field.Split(':')[0], field.Split(':')[1]);
            options.Fields.Add(new Tributary.Storage.Archive.ArchiveFieldSpec { Name = name, Type = Enum.Parse<Tributary.Storage.Archive.ArchiveFieldType>(type) });
        }

        return options;
    }

    internal static double RawConsumerRate(string bootstrap, long events, List<(int Partition, Tributary.Storage.Archive.ArchiveRecord Record)> consumed)
    {
        var config = new ConsumerConfig(BenchFetch.Copy())
        {
            BootstrapServers = bootstrap,
            GroupId = "bench-archive-raw",
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        };
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config).SetLogHandler((_, _) => { }).Build();
        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(Topic, p, Offset.Beginning)));
        var clock = new Stopwatch();
        long seen = 0;
        var stall = Stopwatch.StartNew();
        while (seen < events)
        {
            if (stall.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"the raw consumer stalled at {seen:N0} of {events:N0} events");
            }

            if (consumer.Consume(1000) is { } result)
            {
                _ = result.Message.Value?.Length;
                if (seen++ == 0)
                {
                    clock.Start();
                }

                consumed.Add((result.Partition.Value, new Tributary.Storage.Archive.ArchiveRecord(result.Offset.Value, result.Message.Timestamp.UnixTimestampMs, result.Message.Key, result.Message.Value, null)));
                stall.Restart();
            }
        }

        return events / clock.Elapsed.TotalSeconds;
    }

    internal static (long[] Low, long[] High) Watermarks(string bootstrap, string topic = Topic, int partitions = Partitions)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "bench-archive-watermarks" }).SetLogHandler((_, _) => { }).Build();
        var marks = Enumerable.Range(0, partitions).Select(p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10))).ToList();
        return (marks.Select(m => m.Low.Value).ToArray(), marks.Select(m => m.High.Value).ToArray());
    }

    private static async Task<(double Rate, long ParquetBytes, int Files)> ArchiveRateAsync(string bootstrap, string s3, string bucket, long events, long[] high, int batchSize, CancellationToken cancellationToken)
    {
        var inv = CultureInfo.InvariantCulture;
        var overrides = new Dictionary<string, string?>
        {
            ["Tributary:HttpUrls"] = $"http://127.0.0.1:{EmbeddedSilo.FreePort()}",
            ["Tributary:SiloPort"] = EmbeddedSilo.FreePort().ToString(inv),
            ["Tributary:GatewayPort"] = EmbeddedSilo.FreePort().ToString(inv),
            ["Tributary:Kafka:DevBroker:Enabled"] = "false",
            ["Tributary:Kafka:BootstrapServers"] = bootstrap,
            ["Tributary:Streams:archive:Topics:0"] = Topic,
            ["Tributary:Streams:archive:StreamNamespace"] = ArchiveIngestGrain.StreamNamespace,
            ["Tributary:Streams:archive:ConsumerGroup"] = "bench-archive",
            ["Tributary:Streams:archive:BatchSize"] = batchSize.ToString(inv),
            ["Tributary:Archive:Enabled"] = "true",
            ["Tributary:Archive:Format"] = "Parquet",
            ["Tributary:Archive:Compression"] = "Zstd",
            ["Tributary:Archive:Store:Kind"] = "s3",
            ["Tributary:Archive:Store:S3:Bucket"] = bucket,
            ["Tributary:Archive:Store:S3:ServiceUrl"] = s3,
            ["Tributary:Archive:Store:S3:ForcePathStyle"] = "true",
            ["Tributary:Archive:Store:S3:AccessKeyId"] = "S3RVER",
            ["Tributary:Archive:Store:S3:SecretAccessKey"] = "S3RVER",
            ["Tributary:Archive:Store:S3:DisableChunkEncoding"] = "true",
        };
        for (var i = 0; i < Fields.Length; i++)
        {
            var (name, type) = (Fields[i].Split(':')[0], Fields[i].Split(':')[1]);
            overrides[$"Tributary:Archive:Fields:{i}:Name"] = name;
            overrides[$"Tributary:Archive:Fields:{i}:Type"] = type;
        }

        BenchFetch.AddTo(overrides);
        EmbeddedSilo.KeepOnlyStreams(overrides, "archive");

        var app = EmbeddedSilo.Build("embedded", overrides, quiet: true);
        await app.StartAsync(cancellationToken);
        try
        {
            var client = app.Services.GetRequiredService<IClusterClient>();
            var grains = Enumerable.Range(0, Partitions).Select(p => client.GetGrain<IArchiveIngestGrain>(TopicPartitionKey.Format(Topic, p))).ToArray();
            var clock = Stopwatch.StartNew();
            DateTimeOffset? start = null;
            long routed = 0;
            var done = false;
            var progress = new List<string>();
            while (!done)
            {
                if (clock.Elapsed > TimeSpan.FromMinutes(2))
                {
                    throw new TimeoutException($"the archive routed {routed:N0} of {events:N0} events within 2 minutes");
                }

                var statuses = await Task.WhenAll(grains.Select(g => g.GetStatusAsync().AsTask()));
                routed = events - statuses.Sum(s => Math.Max(0, high[s.Partition] - s.NextOffset));
                done = statuses.All(s => s.NextOffset >= high[s.Partition]);
                start = statuses.Min(s => s.FirstRecordAt);
                if (start is { } first)
                {
                    progress.Add(string.Create(inv, $"+{(DateTimeOffset.UtcNow - first).TotalSeconds:0.00}s:{Math.Max(0, routed) / 1000}k"));
                }

                await Task.Delay(20, cancellationToken);
            }

            // Seal what is still open: the rate counts until every event is in an uploaded file.
            var routedAt = DateTimeOffset.UtcNow;
            await Console.Error.WriteLineAsync($"archive: routed (time since the first record: events) {string.Join(' ', progress)}");
            await Task.WhenAll(grains.Select(g => g.FlushAsync().AsTask()));
            var end = DateTimeOffset.UtcNow;
            var seconds = (end - start!.Value).TotalSeconds;
            await Console.Error.WriteLineAsync($"archive: routing (first record to 100%) took {(routedAt - start.Value).TotalSeconds:0.00} s, the final flush (seal and upload of every open file) {(end - routedAt).TotalSeconds:0.00} s");
            var catalog = client.GetGrain<IArchiveCatalogGrain>(Topic);
            var files = (await Task.WhenAll(Enumerable.Range(0, Partitions).Select(p => catalog.GetFilesAsync(p).AsTask()))).SelectMany(f => f).ToList();
            var archivedRecords = files.Sum(f => f.Rows + f.DeadLetters);
            if (archivedRecords != events)
            {
                throw new InvalidOperationException($"the catalog lists {archivedRecords:N0} archived records, {events:N0} were produced");
            }

            return (events / seconds, files.Sum(f => f.Bytes), files.Count);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }
}
