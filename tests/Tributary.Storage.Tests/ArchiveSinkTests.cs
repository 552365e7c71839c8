using System.Text.Json;
using DuckDB.NET.Data;
using Tributary.Storage.Archive;
using Tributary.TestKit;

namespace Tributary.Storage.Tests;

public sealed class ArchiveSinkTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AppendAsync_RecordsAcrossHours_WritesEachOffsetExactlyOnceUnderDeterministicNames()
    {
        var store = new LocalDirectoryObjectStore(Directory.CreateTempSubdirectory("tributary-sink-").FullName);
        await using var sink = new ArchiveSink(store, "pins", 3, ArchiveTestData.Options());
        await sink.AppendAsync(ArchiveTestData.Records(1000), Ct);
        await sink.FlushAsync(Ct);

        var found = await ArchiveTestData.ReadBackAsync(store, "pins");
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (long)i), found.Select(f => f.Offset).Order());
        Assert.Contains(sink.Sealed, f => f.Key == "pins/dt=2026-11-22/hr=09/3-00000000000000000000.parquet");
        Assert.All(sink.Sealed, f => Assert.Equal(HivePath.DataFile("pins", f.OutputPartition, 3, f.FirstOffset), f.Key));
        Assert.Equal(1000, sink.Sealed.Sum(f => f.Rows + f.DeadLetters));
        Assert.Equal(20, sink.Sealed.Sum(f => f.DeadLetters));
    }

    [Fact]
    public async Task AppendAsync_MalformedMessages_GoToTheDeadLetterFileWithTheReason()
    {
        var store = new LocalDirectoryObjectStore(Directory.CreateTempSubdirectory("tributary-sink-").FullName);
        await using var sink = new ArchiveSink(store, "pins", 0, ArchiveTestData.Options());
        await sink.AppendAsync(ArchiveTestData.Records(100), Ct);
        await sink.FlushAsync(Ct);

        var file = Assert.Single(sink.Sealed);
        Assert.Equal("pins/dt=2026-11-22/hr=09/0-00000000000000000000.deadletter.jsonl", file.DeadLetterKey);
        await using var stream = await store.OpenReadAsync(file.DeadLetterKey!, Ct);
        var lines = (await new StreamReader(stream!).ReadToEndAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        using var doc = JsonDocument.Parse(lines[0]);
        Assert.Equal(49, doc.RootElement.GetProperty("offset").GetInt64());
        Assert.Contains("malformed JSON", doc.RootElement.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(98, file.Rows);
    }

    [Fact]
    public async Task AppendAsync_SameInputTwice_ProducesByteIdenticalObjects()
    {
        var options = ArchiveTestData.Options(o => o.Compression = ArchiveCompression.Zstd);
        var a = new LocalDirectoryObjectStore(Directory.CreateTempSubdirectory("tributary-sink-").FullName);
        var b = new LocalDirectoryObjectStore(Directory.CreateTempSubdirectory("tributary-sink-").FullName);
        foreach (var store in new[] { a, b })
        {
            await using var sink = new ArchiveSink(store, "pins", 1, options);
            await sink.AppendAsync(ArchiveTestData.Records(900), Ct);
        }

        var first = await ArchiveTestData.SnapshotAsync(a, "pins/");
        var second = await ArchiveTestData.SnapshotAsync(b, "pins/");
        Assert.NotEmpty(first);
        Assert.Equal(first.Keys, second.Keys);
        Assert.All(first, kv => Assert.Equal(kv.Value, second[kv.Key]));
    }

    [Fact]
    public async Task AppendAsync_CrashBeforeCheckpointThenReplay_OverwritesWithIdenticalFilesAndLosesNothing()
    {
        var store = await S3rver.CreateStoreAsync();
        var options = ArchiveTestData.Options();
        var records = ArchiveTestData.Records(1500);
        Dictionary<string, long> marks;
        long checkpoint;
        await using (var sink = new ArchiveSink(store, "pins", 2, options))
        {
            await sink.AppendAsync(records.Take(800), Ct);
            // The durable checkpoint was written before the last uploads: the replay redoes them.
            marks = new Dictionary<string, long>(StringComparer.Ordinal);
            checkpoint = 0;
        }

        var before = await ArchiveTestData.SnapshotAsync(store, "pins/");
        await using (var resumed = new ArchiveSink(store, "pins", 2, options, marks, checkpoint))
        {
            await resumed.AppendAsync(records.Skip((int)checkpoint), Ct);
            await resumed.FlushAsync(Ct);
        }

        var after = await ArchiveTestData.SnapshotAsync(store, "pins/");
        Assert.All(before, kv => Assert.Equal(kv.Value, after[kv.Key]));
        var found = await ArchiveTestData.ReadBackAsync(store, "pins");
        Assert.Equal(Enumerable.Range(0, 1500).Select(i => (long)i), found.Select(f => f.Offset).Order());
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task DuckDb_HivePartitionedOutput_CountsMatchWhatWasProduced()
    {
        var root = Directory.CreateTempSubdirectory("tributary-duck-").FullName;
        var store = new LocalDirectoryObjectStore(root);
        long good = 0;
        for (var p = 0; p < 3; p++)
        {
            await using var sink = new ArchiveSink(store, "pins", p, ArchiveTestData.Options(o => o.MaxFileRecords = 400));
            await sink.AppendAsync(ArchiveTestData.Records(1800 + p), Ct);
            await sink.FlushAsync(Ct);
            good += sink.Sealed.Sum(f => f.Rows);
        }

        using var duck = new DuckDBConnection("DataSource=:memory:");
        await duck.OpenAsync(Ct);
        await using var cmd = duck.CreateCommand();
        var glob = Path.Combine(root, "pins", "**", "*.parquet");
        cmd.CommandText = $"SELECT hr, count(*), count(DISTINCT (_kafka_partition, _kafka_offset)) FROM read_parquet('{glob}', hive_partitioning = true) GROUP BY hr ORDER BY hr";
        var rows = new List<(string Hour, long Count, long Distinct)>();
        await using (var reader = await cmd.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                rows.Add((Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!, Convert.ToInt64(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture), Convert.ToInt64(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture)));
            }
        }

        Assert.Equal(good, rows.Sum(r => r.Count));
        Assert.Equal(good, rows.Sum(r => r.Distinct));
        Assert.Equal(2, rows.Count);
        // 600 s of hour 09 per partition, minus the malformed ones (every 50th).
        Assert.Equal(3 * (600 - 12), rows[0].Count);
    }
}
