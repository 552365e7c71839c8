using System.Text.Json;
using Parquet;
using Tributary.Storage;

namespace Tributary.Tracker.Tests;

/// <summary>Helpers shared by the snapshot tests: throwaway databases and stores, reading parts back.</summary>
internal static class SnapshotTestKit
{
    public static readonly DateOnly Date = new(2026, 11, 23);

    public static string NewDatabase(string name) => $"tributary_{name}_{Guid.NewGuid():N}"[..40];

    public static LocalDirectoryObjectStore NewStore() => new(Directory.CreateTempSubdirectory("tributary-tracker-store-").FullName);

    public static ShardSnapshotter Snapshotter(TrackerOptions options, IObjectStore store)
        => new(ShardTopology.Resolve(options, "test", 0), store);

    /// <summary>Every row of a table's snapshot, part by part in order (so in primary-key order).</summary>
    public static async Task<List<Dictionary<string, object>>> ReadTableAsync(IObjectStore store, string database, string table, DateOnly? date = null)
    {
        var paths = new SnapshotPaths("mysql", "test", 0, date ?? Date);
        var rows = new List<Dictionary<string, object>>();
        await foreach (var item in store.ListAsync(paths.TableDirectory(database, table)))
        {
            if (!item.Key.EndsWith(".parquet", StringComparison.Ordinal))
            {
                continue;
            }

            await using var stream = await store.OpenReadAsync(item.Key) ?? throw new InvalidOperationException(item.Key);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            copy.Position = 0;
            var result = await Parquet.Serialization.ParquetSerializer.DeserializeUntypedAsync(copy, new ParquetOptions { UseBigDecimal = true });
            rows.AddRange(result.Data);
        }

        return rows;
    }

    public static async Task<T> ReadJsonAsync<T>(IObjectStore store, string key)
    {
        await using var stream = await store.OpenReadAsync(key) ?? throw new InvalidOperationException($"missing object {key}");
        return (await JsonSerializer.DeserializeAsync<T>(stream, TrackerJson.Options))!;
    }

    /// <summary>Creates <paramref name="database"/> with table <c>t</c> (id BIGINT PK, payload) holding ids 1..<paramref name="rows"/>, replicated.</summary>
    public static async Task CreateNumberedTableAsync(MariaDbServers servers, string database, int rows)
    {
        await servers.ExecutePrimaryAsync($"""
            CREATE DATABASE `{database}`;
            CREATE TABLE `{database}`.t (id BIGINT NOT NULL PRIMARY KEY, payload VARCHAR(64) NOT NULL, amount DECIMAL(12,2) NULL);
            INSERT INTO `{database}`.t SELECT seq, CONCAT('row-', seq), seq / 100 FROM `{database}`.seq_1_to_{rows};
            """);
        await servers.WaitForReplicasAsync();
    }
}
