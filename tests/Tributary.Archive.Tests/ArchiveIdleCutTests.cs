using Tributary.TestKit;

namespace Tributary.Archive.Tests;

/// <summary>
/// The archive's tail when traffic stops: no size, age or offset cut is ever reached, nobody calls a flush, and still
/// every record lands in an uploaded file and the committed offsets reach the end (the idle cut).
/// </summary>
[Collection(nameof(ArchiveClusterTests))]
public sealed class ArchiveIdleCutTests
{
    private const int Events = 500;

    [Fact]
    public async Task IdleCut_TrafficStops_EveryRecordUploadedAndCommittedWithoutNewTraffic()
    {
        var topic = KafkaTestCluster.CreateTopic("archive-idle-cut", ArchiveTestCluster.Partitions);
        var bucket = await ArchiveTestCluster.CreateBucketAsync();
        var cluster = await ArchiveTestCluster.StartAsync(topic, bucket, S3rver.Endpoint, silos: 1, extra: new Dictionary<string, string?>
        {
            // 500 events one second apart stay in hour 09 and under every record-driven limit: only the idle cut seals them.
            ["Tributary:Archive:MaxFileRecords"] = "100000",
            ["Tributary:Archive:MaxFileOffsetSpan"] = "100000",
            ["Tributary:Archive:IdleTimeout"] = "00:00:01",
        });
        try
        {
            ArchiveTestCluster.Produce(topic, 0, Events);
            var high = ArchiveTestCluster.HighWatermarks(topic);
            Assert.Equal(Events, high.Sum());
            var catalog = cluster.Client.GetGrain<IArchiveCatalogGrain>(topic);

            // No flush, no new record: the files must appear and the consumer group must reach the end on their own.
            await Eventually.HoldsAsync(
                async () =>
                {
                    var files = await Task.WhenAll(Enumerable.Range(0, ArchiveTestCluster.Partitions).Select(p => catalog.GetFilesAsync(p).AsTask()));
                    var committed = Enumerable.Range(0, ArchiveTestCluster.Partitions).Select(p => Math.Max(0, ArchiveTestCluster.CommittedOffset(cluster, topic, p))).ToArray();
                    return new TailView(files.Sum(f => f.Sum(x => x.Rows + x.DeadLetters)), committed);
                },
                v => v.Archived == Events && v.Committed.SequenceEqual(high),
                TimeSpan.FromSeconds(90), $"all {Events} records archived and committed ({string.Join(",", high)}) after traffic stopped");

            using var store = ArchiveTestCluster.Store(bucket);
            await ArchiveTestCluster.AssertExactlyOnceAsync(store, topic);
            var statuses = await Task.WhenAll(Enumerable.Range(0, ArchiveTestCluster.Partitions)
                .Select(p => cluster.Client.GetGrain<IArchiveIngestGrain>(TopicPartitionKey.Format(topic, p)).GetStatusAsync().AsTask()));
            Assert.All(statuses, s => Assert.Equal((0, high[s.Partition]), (s.OpenFiles, s.Checkpoint)));
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    private sealed record TailView(long Archived, long[] Committed)
    {
        public override string ToString() => $"archived {Archived}, committed {string.Join(",", Committed)}";
    }
}
