using DuckDB.NET.Data;
using Tributary.Storage;
using Tributary.Storage.Archive;
using Tributary.TestKit;

namespace Tributary.Archive.Tests;

/// <summary>
/// End-to-end exactly-once proofs of the archive sink: Kafka (mock cluster) to Parquet on s3rver through a
/// two-silo cluster, under crashes, moves, S3 failures and restarts. Each ends with a full read-back.
/// </summary>
[Collection(nameof(ArchiveClusterTests))]
public sealed class ArchiveFaultTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Archive_SteadyRun_EveryOffsetOnceAndDuckDbCountsMatch()
    {
        var topic = KafkaTestCluster.CreateTopic("archive-steady", ArchiveTestCluster.Partitions);
        var bucket = await ArchiveTestCluster.CreateBucketAsync();
        ArchiveTestCluster.Produce(topic, 0, 6000);
        var cluster = await ArchiveTestCluster.StartAsync(topic, bucket, S3rver.Endpoint);
        try
        {
            await ArchiveTestCluster.DrainAndFlushAsync(cluster, topic, Deadline);
            using var store = ArchiveTestCluster.Store(bucket);
            await ArchiveTestCluster.AssertExactlyOnceAsync(store, topic);

            var catalog = cluster.Client.GetGrain<IArchiveCatalogGrain>(topic);
            var files = (await Task.WhenAll(Enumerable.Range(0, ArchiveTestCluster.Partitions).Select(p => catalog.GetFilesAsync(p).AsTask()))).SelectMany(f => f).ToList();
            Assert.Equal(6000, files.Sum(f => f.Rows + f.DeadLetters));
            Assert.All(files, f => Assert.EndsWith($"/{f.Partition}-{f.FirstOffset:D20}.parquet", f.Key, StringComparison.Ordinal));
            var good = files.Sum(f => f.Rows);
            Assert.Equal(6000 - Enumerable.Range(0, 6000).Count(i => i % 97 == 13), good);

            // DuckDB reads the Hive layout (mirrored from S3 to a directory: no network extension here).
            var mirror = Directory.CreateTempSubdirectory("tributary-duck-").FullName;
            var local = new LocalDirectoryObjectStore(mirror);
            await foreach (var o in store.ListAsync(topic + "/", TestContext.Current.CancellationToken))
            {
                await using var s = await store.OpenReadAsync(o.Key, TestContext.Current.CancellationToken);
                await local.PutAsync(o.Key, s!, TestContext.Current.CancellationToken);
            }

            using var duck = new DuckDBConnection("DataSource=:memory:");
            await duck.OpenAsync(TestContext.Current.CancellationToken);
            await using var cmd = duck.CreateCommand();
            cmd.CommandText = $"SELECT count(*), count(DISTINCT (_kafka_partition, _kafka_offset)), count(DISTINCT hr) FROM read_parquet('{Path.Combine(mirror, topic, "**", "*.parquet")}', hive_partitioning = true)";
            await using var reader = await cmd.ExecuteReaderAsync(TestContext.Current.CancellationToken);
            Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));
            Assert.Equal(good, Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(good, Convert.ToInt64(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(3, Convert.ToInt64(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture));

            // Every file was announced on the notification topic (shared by the tests: filter by key).
            var announced = ArchiveTestCluster.Announcements(topic);
            Assert.Equal(files.Select(f => f.Key).Order(), announced.Distinct().Order());

            // 09:30 + 6000 s ends at 11:10; with a 10 min late window hour 09 is complete, hour 10 is not.
            Assert.NotNull(await store.GetInfoAsync($"{topic}/dt=2026-11-22/hr=09/_SUCCESS", TestContext.Current.CancellationToken));
            Assert.Null(await store.GetInfoAsync($"{topic}/dt=2026-11-22/hr=10/_SUCCESS", TestContext.Current.CancellationToken));
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Archive_SiloKilledBetweenUploadAndCheckpoint_ReuploadsSameObjectAndLosesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = KafkaTestCluster.CreateTopic("archive-kill", ArchiveTestCluster.Partitions);
        var bucket = await ArchiveTestCluster.CreateBucketAsync();
        var cluster = await ArchiveTestCluster.StartAsync(topic, bucket, S3rver.Endpoint);
        try
        {
            // Archive grains live where they are first called (PreferLocalPlacement): activated from the victim
            // before any record exists, every ingest grain and the archive partitions that upload for it live
            // there, whichever silo the queue balancer gives each partition to.
            var victim = cluster.SecondarySilos[0];
            var placed = await ArchiveTestCluster.ActivateIngestGrainsAsync(victim, topic);
            Assert.All(placed, s => Assert.Equal(victim.SiloAddress.ToString(), s.Silo));
            var reached = KillSwitch.Arm(victim.SiloAddress, afterUploads: 2);
            ArchiveTestCluster.Produce(topic, 0, 8000);
            var file = await reached.WaitAsync(Deadline, ct);

            // The switch holds the upload: the object is stored, but no manifest entry, catalog or checkpoint knows it.
            using var store = ArchiveTestCluster.Store(bucket);
            var before = await ReadAllAsync(store, file.Key);
            Assert.Null(await store.GetInfoAsync(HivePath.ManifestEntry(topic, file.Partition, file.FirstOffset), ct));
            Assert.DoesNotContain(await cluster.Client.GetGrain<IArchiveCatalogGrain>(topic).GetFilesAsync(file.Partition), f => f.Key == file.Key);
            Assert.InRange(ArchiveTestCluster.CommittedOffset(cluster, topic, file.Partition), long.MinValue, file.FirstOffset);
            await cluster.KillSiloAsync(victim, ct);

            ArchiveTestCluster.Produce(topic, 8000, 2000);
            // failure detection of the killed silo comes first: allow for it on a loaded machine
            await ArchiveTestCluster.DrainAndFlushAsync(cluster, topic, 2 * Deadline);
            await ArchiveTestCluster.AssertExactlyOnceAsync(store, topic);
            Assert.Equal(before, await ReadAllAsync(store, file.Key));
            var files = await cluster.Client.GetGrain<IArchiveCatalogGrain>(topic).GetFilesAsync(file.Partition);
            Assert.Contains(files, f => f.Key == file.Key && f.LastOffset == file.LastOffset);
        }
        finally
        {
            KillSwitch.Disarm();
            await cluster.DisposeAsync();
        }
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Archive_GrainsMoveToAnotherSiloMidFile_LosesNothing()
    {
        var topic = KafkaTestCluster.CreateTopic("archive-move", ArchiveTestCluster.Partitions);
        var bucket = await ArchiveTestCluster.CreateBucketAsync();
        var cluster = await ArchiveTestCluster.StartAsync(topic, bucket, S3rver.Endpoint, extra: new Dictionary<string, string?>
        {
            ["Tributary:Archive:MaxFileRecords"] = "100000",
        });
        try
        {
            ArchiveTestCluster.Produce(topic, 0, 3000);
            var grains = Enumerable.Range(0, ArchiveTestCluster.Partitions).Select(p => cluster.Client.GetGrain<IArchiveIngestGrain>(TopicPartitionKey.Format(topic, p))).ToArray();
            var high = ArchiveTestCluster.HighWatermarks(topic);
            await Eventually.HoldsAsync(
                async () => new StatusView(await Task.WhenAll(grains.Select(g => g.GetStatusAsync().AsTask()))),
                v => v.Statuses.All(s => s.NextOffset >= high[s.Partition] && s.OpenFiles > 0),
                Deadline, "files open on every partition");

            // Graceful stop: ingest grains flush on deactivation, archive partitions lose their buffers,
            // queues and grains move to the surviving silo.
            await cluster.StopSiloAsync(cluster.SecondarySilos[0], TestContext.Current.CancellationToken);
            ArchiveTestCluster.Produce(topic, 3000, 3000);
            await ArchiveTestCluster.DrainAndFlushAsync(cluster, topic, Deadline);
            using var store = ArchiveTestCluster.Store(bucket);
            await ArchiveTestCluster.AssertExactlyOnceAsync(store, topic);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Archive_IdleCollectionWithOpenFiles_FlushOfFreshActivationsReplaysFromKafka()
    {
        var topic = KafkaTestCluster.CreateTopic("archive-idle", ArchiveTestCluster.Partitions);
        var bucket = await ArchiveTestCluster.CreateBucketAsync();
        var cluster = await ArchiveTestCluster.StartAsync(topic, bucket, S3rver.Endpoint, silos: 1, extra: new Dictionary<string, string?>
        {
            ["Tributary:Archive:MaxFileRecords"] = "100000",
        });
        try
        {
            ArchiveTestCluster.Produce(topic, 0, 3000);
            var grains = Enumerable.Range(0, ArchiveTestCluster.Partitions).Select(p => cluster.Client.GetGrain<IArchiveIngestGrain>(TopicPartitionKey.Format(topic, p))).ToArray();
            var high = ArchiveTestCluster.HighWatermarks(topic);
            await Eventually.HoldsAsync(
                async () => new StatusView(await Task.WhenAll(grains.Select(g => g.GetStatusAsync().AsTask()))),
                v => v.Statuses.All(s => s.NextOffset >= high[s.Partition] && s.OpenFiles > 0),
                Deadline, "files open on every partition");

            // Every idle activation goes: ingest grains try to flush while their archive partitions vanish.
            await cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero, TestContext.Current.CancellationToken);
            var flushed = await Task.WhenAll(grains.Select(g => g.FlushAsync().AsTask()));
            Assert.All(flushed, s => Assert.Equal(high[s.Partition], s.Checkpoint));
            using var store = ArchiveTestCluster.Store(bucket);
            await ArchiveTestCluster.AssertExactlyOnceAsync(store, topic);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Archive_S3FailuresAndStallsThroughProxy_EveryOffsetOnce()
    {
        var topic = KafkaTestCluster.CreateTopic("archive-faults", ArchiveTestCluster.Partitions);
        var bucket = await ArchiveTestCluster.CreateBucketAsync();
        await using var proxy = await FaultInjectingProxy.StartAsync(S3rver.Endpoint, share: 0.2, seed: 11, stall: TimeSpan.FromSeconds(8));
        var cluster = await ArchiveTestCluster.StartAsync(topic, bucket, proxy.Endpoint, extra: new Dictionary<string, string?>
        {
            ["Tributary:Archive:Store:S3:RequestTimeout"] = "00:00:02",
            ["Tributary:Archive:Store:S3:MaxErrorRetry"] = "1",
        });
        try
        {
            ArchiveTestCluster.Produce(topic, 0, 5000);
            await ArchiveTestCluster.DrainAndFlushAsync(cluster, topic, TimeSpan.FromSeconds(150));
            using var store = ArchiveTestCluster.Store(bucket);
            await ArchiveTestCluster.AssertExactlyOnceAsync(store, topic);
            Assert.True(proxy.Errors > 0, "the proxy should have injected errors");
            Assert.True(proxy.Stalls > 0, "the proxy should have injected stalls");
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Archive_RestartFromNothing_DropsWhatTheStoreHoldsAndArchivesTheRestOnce()
    {
        var topic = KafkaTestCluster.CreateTopic("archive-restart", ArchiveTestCluster.Partitions);
        var bucket = await ArchiveTestCluster.CreateBucketAsync();
        ArchiveTestCluster.Produce(topic, 0, 4000);
        var first = await ArchiveTestCluster.StartAsync(topic, bucket, S3rver.Endpoint, silos: 1);
        try
        {
            await ArchiveTestCluster.DrainAndFlushAsync(first, topic, Deadline);
        }
        finally
        {
            await first.DisposeAsync();
        }

        // New service id: no grain state, new consumer group: Kafka replays from the beginning.
        ArchiveTestCluster.Produce(topic, 4000, 2000);
        var second = await ArchiveTestCluster.StartAsync(topic, bucket, S3rver.Endpoint, silos: 1);
        try
        {
            await ArchiveTestCluster.DrainAndFlushAsync(second, topic, Deadline);
            using var store = ArchiveTestCluster.Store(bucket);
            await ArchiveTestCluster.AssertExactlyOnceAsync(store, topic);
            var status = await second.Client.GetGrain<IArchiveIngestGrain>(TopicPartitionKey.Format(topic, 0)).GetStatusAsync();
            Assert.True(status.DuplicatesDropped > 0, "the second run should have dropped what the first archived");
        }
        finally
        {
            await second.DisposeAsync();
        }
    }

    private static async Task<byte[]> ReadAllAsync(IObjectStore store, string key)
    {
        await using var stream = await store.OpenReadAsync(key, TestContext.Current.CancellationToken);
        using var copy = new MemoryStream();
        await stream!.CopyToAsync(copy, TestContext.Current.CancellationToken);
        return copy.ToArray();
    }
}

/// <summary>Cluster tests share the machine's two cores: run them one at a time.</summary>
[CollectionDefinition(nameof(ArchiveClusterTests), DisableParallelization = true)]
public sealed class ArchiveClusterTests;
