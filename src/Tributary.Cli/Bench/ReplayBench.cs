using System.Diagnostics;
using System.Text.Json;
using Tributary.Cli.Generate;
using Tributary.Kafka;
using Tributary.Kafka.DevBroker;
using Tributary.Storage;
using Tributary.Storage.Archive;
using Tributary.Unified;

namespace Tributary.Cli.Bench;

/// <summary>
/// <c>bench replay</c>: events/s read from the archive (Parquet on s3rver) through <see cref="UnifiedSource"/>, against a plain
/// Confluent consumer reading the same events from Kafka in the same run, and the switch-over stall per partition (time from
/// its last archived record to its first live one). The archive is written by the archive's core (<see cref="ArchiveSink"/>
/// plus manifest objects) from the first 90% of each partition; the rest is read live.
/// </summary>
internal static class ReplayBench
{
    public static async Task<string> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var produced = settings.Events ?? 200_000;
        var topic = ArchiveBench.Topic;
        using var s3 = await S3Endpoint.StartAsync();
        var bucket = $"bench-replay-{DateTime.UtcNow:yyyyMMddHHmmss}";
        using var store = new S3ObjectStore(ArchiveBench.StoreOptions(s3.Url, bucket));
        await store.EnsureBucketAsync(cancellationToken);
        using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic(topic, ArchiveBench.Partitions);
        using (var writer = new KafkaEventWriter(cluster.BootstrapServers, topic))
        {
            var generator = new PinEngagementGenerator(new GeneratorOptions { Seed = 7 });
            for (long i = 0; i < produced; i++)
            {
                var e = generator.Next();
                writer.Write(e.Key, e.Value);
            }

            writer.Flush(TimeSpan.FromMinutes(2));
            if (writer.Delivered != produced)
            {
                throw new InvalidOperationException($"produced {writer.Delivered} of {produced} events: {writer.LastError}");
            }
        }

        var (low, high) = ArchiveBench.Watermarks(cluster.BootstrapServers);
        var events = Enumerable.Range(0, ArchiveBench.Partitions).Sum(p => high[p] - low[p]);
        var consumed = new List<(int Partition, ArchiveRecord Record)>((int)events);
        var raw = ArchiveBench.RawConsumerRate(cluster.BootstrapServers, events, consumed);
        await Console.Error.WriteLineAsync($"replay: {events:N0} events retained; raw consumer {raw:N0} events/s");

        var options = ArchiveBench.CoreOptions();
        var cuts = new long[ArchiveBench.Partitions];
        foreach (var group in consumed.GroupBy(c => c.Partition))
        {
            var p = group.Key;
            cuts[p] = low[p] + ((high[p] - low[p]) * 9 / 10);
            await using var sink = new ArchiveSink(store, topic, p, options);
            await sink.AppendAsync(group.Select(g => g.Record).Where(r => r.Offset < cuts[p]).OrderBy(r => r.Offset), cancellationToken);
            await sink.FlushAsync(cancellationToken);
            foreach (var info in sink.Sealed)
            {
                await store.PutAsync(HivePath.ManifestEntry(info.Topic, info.Partition, info.FirstOffset), info.ToJson(), cancellationToken);
            }
        }

        await Console.Error.WriteLineAsync($"replay: archived offsets below 90% of each partition to {store.Location}");
        var source = new UnifiedSource(store, new UnifiedSourceOptions
        {
            Topic = topic,
            Kafka = new KafkaClientOptions { BootstrapServers = cluster.BootstrapServers },
            Archive = options,
            Until = UnifiedUntil.LatestAtOpen,
        });
        var clock = new Stopwatch();
        var lastArchived = new double[ArchiveBench.Partitions];
        var firstLive = new double[ArchiveBench.Partitions];
        Array.Fill(firstLive, double.NaN);
        double lastArchiveAt = 0;
        long archiveCount = 0;
        long liveCount = 0;
        await foreach (var record in source.ReadAsync(cancellationToken))
        {
            if (!clock.IsRunning)
            {
                clock.Start();
            }

            var now = clock.Elapsed.TotalMilliseconds;
            if (record.Phase == UnifiedPhase.Archive)
            {
                archiveCount++;
                lastArchived[record.Partition] = now;
                lastArchiveAt = now;
            }
            else
            {
                liveCount++;
                if (double.IsNaN(firstLive[record.Partition]))
                {
                    firstLive[record.Partition] = now;
                }
            }
        }

        if (archiveCount + liveCount != events)
        {
            throw new InvalidOperationException($"the unified source yielded {archiveCount + liveCount:N0} of {events:N0} offsets");
        }

        var rate = archiveCount / (lastArchiveAt / 1000.0);
        var stalls = Enumerable.Range(0, ArchiveBench.Partitions).Where(p => !double.IsNaN(firstLive[p])).Select(p => firstLive[p] - lastArchived[p]).Order().ToList();
        var p99 = stalls.Count == 0 ? 0 : stalls[Math.Min(stalls.Count - 1, (int)Math.Ceiling(stalls.Count * 0.99) - 1)];
        await Console.Error.WriteLineAsync($"replay: archive phase {archiveCount:N0} events at {rate:N0} events/s, then {liveCount:N0} live; switch stall P99 {p99:0.0} ms");
        return JsonSerializer.Serialize(new
        {
            scenario = "replay",
            events_per_s = Math.Round(rate),
            raw_kafka_events_per_s = Math.Round(raw),
            ratio = Math.Round(rate / raw, 3),
            switch_p99_ms = Math.Round(p99, 1),
            archive_events = archiveCount,
            live_events = liveCount,
        });
    }
}
