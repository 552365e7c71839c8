using System.Globalization;
using System.Text;
using Tributary.Storage.Archive;
using Tributary.Storage.Parquet;

namespace Tributary.Storage.Tests;

/// <summary>Records and read-back helpers shared by the archive tests.</summary>
internal static class ArchiveTestData
{
    public static readonly DateTimeOffset Start = new(2026, 11, 22, 9, 50, 0, TimeSpan.Zero);

    public static ArchiveOptions Options(Action<ArchiveOptions>? tune = null)
    {
        var options = new ArchiveOptions
        {
            Fields =
            [
                new ArchiveFieldSpec { Name = "ts", Type = ArchiveFieldType.Timestamp, Required = true },
                new ArchiveFieldSpec { Name = "pin_id", Type = ArchiveFieldType.Long, Required = true },
                new ArchiveFieldSpec { Name = "user_id", Type = ArchiveFieldType.Long },
                new ArchiveFieldSpec { Name = "action", Type = ArchiveFieldType.String },
                new ArchiveFieldSpec { Name = "score", Type = ArchiveFieldType.Double },
            ],
            RowGroupRows = 100,
            MaxFileRecords = 250,
        };
        tune?.Invoke(options);
        return options;
    }

    /// <summary>Events one second apart from <see cref="Start"/> (crossing hour 10 after 600), every 50th malformed.</summary>
    public static List<ArchiveRecord> Records(int count, long firstOffset = 0, int malformedEvery = 50)
    {
        var records = new List<ArchiveRecord>(count);
        for (var i = 0; i < count; i++)
        {
            var offset = firstOffset + i;
            var ts = Start.AddSeconds(offset);
            var json = malformedEvery > 0 && offset % malformedEvery == 49
                ? $"{{\"ts\":\"{ts:yyyy-MM-dd'T'HH:mm:ss.fff'Z'}\",\"pin_id\":" // truncated
                : string.Create(CultureInfo.InvariantCulture, $"{{\"ts\":\"{ts:yyyy-MM-dd'T'HH:mm:ss.fff'Z'}\",\"pin_id\":{1000 + offset % 7},\"user_id\":{offset},\"action\":\"view\",\"score\":{offset / 2.0}}}");
            records.Add(new ArchiveRecord(offset, ts.ToUnixTimeMilliseconds(), Encoding.UTF8.GetBytes($"k{offset}"), Encoding.UTF8.GetBytes(json), null));
        }

        return records;
    }

    /// <summary>Every offset in the store's Parquet and dead-letter files under <paramref name="topic"/>, with the key it was found in.</summary>
    public static async Task<List<(long Offset, string Key)>> ReadBackAsync(IObjectStore store, string topic)
    {
        var found = new List<(long, string)>();
        await foreach (var o in store.ListAsync(topic + "/dt=", TestContext.Current.CancellationToken))
        {
            if (o.Key.EndsWith(".parquet", StringComparison.Ordinal))
            {
                await foreach (var group in ParquetArchiveReader.ReadAsync(store, o.Key, TestContext.Current.CancellationToken))
                {
                    found.AddRange(group.Offsets.Select(x => (x, o.Key)));
                }
            }
            else if (o.Key.EndsWith(".deadletter.jsonl", StringComparison.Ordinal))
            {
                await using var stream = await store.OpenReadAsync(o.Key, TestContext.Current.CancellationToken);
                using var reader = new StreamReader(stream!);
                while (await reader.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
                {
                    using var doc = System.Text.Json.JsonDocument.Parse(line);
                    found.Add((doc.RootElement.GetProperty("offset").GetInt64(), o.Key));
                }
            }
        }

        return found;
    }

    public static async Task<Dictionary<string, byte[]>> SnapshotAsync(IObjectStore store, string prefix)
    {
        var snapshot = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        await foreach (var o in store.ListAsync(prefix, TestContext.Current.CancellationToken))
        {
            await using var stream = await store.OpenReadAsync(o.Key, TestContext.Current.CancellationToken);
            using var copy = new MemoryStream();
            await stream!.CopyToAsync(copy, TestContext.Current.CancellationToken);
            snapshot[o.Key] = copy.ToArray();
        }

        return snapshot;
    }
}
