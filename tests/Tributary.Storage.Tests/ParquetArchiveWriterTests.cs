using System.Text;
using Tributary.Storage.Archive;
using Tributary.Storage.Parquet;

namespace Tributary.Storage.Tests;

public sealed class ParquetArchiveWriterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(ArchiveCompression.Snappy)]
    [InlineData(ArchiveCompression.Zstd)]
    [InlineData(ArchiveCompression.None)]
    public async Task TryAdd_SchemaFormatManyRowGroups_ReadsBackTypedColumns(ArchiveCompression compression)
    {
        var options = ArchiveTestData.Options(o => o.Compression = compression);
        var records = ArchiveTestData.Records(1000, malformedEvery: 0);
        var groups = await WriteAndReadBackAsync(records, 7, options);

        Assert.Equal(10, groups.Count);
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (long)i), groups.SelectMany(g => g.Offsets));
        Assert.All(groups.SelectMany(g => g.Partitions), p => Assert.Equal(7, p));
        var first = groups[0];
        Assert.Equal(1000L, ((long?[])first.Columns["pin_id"])[0]);
        Assert.Equal(3L, ((long?[])first.Columns["user_id"])[3]);
        Assert.Equal("view", ((string?[])first.Columns["action"])[5]);
        Assert.Equal(2.5, ((double?[])first.Columns["score"])[5]);
        Assert.Equal(ArchiveTestData.Start.AddSeconds(5).UtcDateTime, ((DateTime?[])first.Columns["ts"])[5]);
        Assert.Equal(ArchiveTestData.Start.AddSeconds(5).UtcDateTime, first.Timestamps[5]);
    }

    [Theory]
    [InlineData(ArchiveFormat.Parquet)]
    [InlineData(ArchiveFormat.Raw)]
    public async Task TryAdd_RowGroupsLargerThanFirstColumnBuffers_EveryRowReadsBack(ArchiveFormat format)
    {
        // Column buffers start small and grow to the row group size: 2,300 rows in groups of 1,000 grow them
        // several times, fill them exactly and reuse them after a flush.
        var options = ArchiveTestData.Options(o => (o.Format, o.RowGroupRows) = (format, 1000));
        var records = ArchiveTestData.Records(2300, malformedEvery: 0);
        var groups = await WriteAndReadBackAsync(records, 2, options);

        Assert.Equal([1000, 1000, 300], groups.Select(g => g.Offsets.Length));
        Assert.Equal(Enumerable.Range(0, 2300).Select(i => (long)i), groups.SelectMany(g => g.Offsets));
        if (format == ArchiveFormat.Parquet)
        {
            Assert.Equal(Enumerable.Range(0, 2300).Select(i => (long?)i), groups.SelectMany(g => (long?[])g.Columns["user_id"]));
            Assert.Equal(Enumerable.Range(0, 2300).Select(i => (long?)(1000 + (i % 7))), groups.SelectMany(g => (long?[])g.Columns["pin_id"]));
            Assert.All(groups.SelectMany(g => (string?[])g.Columns["action"]), a => Assert.Equal("view", a));
        }
        else
        {
            Assert.Equal(records.Select(r => r.Value), groups.SelectMany(g => (byte[]?[])g.Columns["value"]));
        }
    }

    [Fact]
    public async Task TryAdd_RawFormat_KeepsKeyValueAndHeaders()
    {
        var options = ArchiveTestData.Options(o => o.Format = ArchiveFormat.Raw);
        var record = new ArchiveRecord(42, 1_700_000_000_000, [1, 2], Encoding.UTF8.GetBytes("not json at all"), [new("h", [9]), new("n", null)]);
        using var stream = new MemoryStream();
        await using (var writer = await ParquetArchiveWriter.CreateAsync(stream, 3, options, Ct))
        {
            Assert.True(writer.TryAdd(new RoutedRecord(record, record.TimestampMs, null), out _));
            await writer.CompleteAsync(Ct);
        }

        stream.Position = 0;
        await foreach (var g in ParquetArchiveReader.ReadAsync(stream, Ct))
        {
            Assert.Equal([42L], g.Offsets);
            Assert.Equal(new byte[] { 1, 2 }, ((byte[]?[])g.Columns["key"])[0]);
            Assert.Equal("not json at all", Encoding.UTF8.GetString(((byte[]?[])g.Columns["value"])[0]!));
            Assert.Equal("[{\"key\":\"h\",\"value\":\"CQ==\"},{\"key\":\"n\",\"value\":null}]", ((string?[])g.Columns["headers"])[0]);
        }
    }

    [Theory]
    [InlineData("{\"ts\":\"2026-11-22T10:00:00Z\",\"pin_id\":\"abc\"}", "field 'pin_id' is not a long")]
    [InlineData("{\"ts\":\"2026-11-22T10:00:00Z\"}", "required field 'pin_id' is missing")]
    [InlineData("{\"ts\":\"2026-11-22T10:00:00Z\",\"pin_id\":1,\"score\":true}", "field 'score' is not a double")]
    [InlineData("[1,2]", "value is not a JSON object")]
    [InlineData("{\"ts\":\"2026-11-22T10:00:00Z\",\"pin_id\":", "malformed JSON")]
    public async Task TryAdd_MessageNotFittingTheSchema_ReturnsReasonNamingTheField(string json, string expected)
    {
        using var stream = new MemoryStream();
        await using var writer = await ParquetArchiveWriter.CreateAsync(stream, 0, ArchiveTestData.Options(), Ct);
        var record = new ArchiveRecord(1, 0, null, Encoding.UTF8.GetBytes(json), null);
        Assert.False(writer.TryAdd(new RoutedRecord(record, 0, null), out var reason));
        Assert.Contains(expected, reason, StringComparison.Ordinal);
        Assert.Equal(0, writer.Rows);
    }

    [Fact]
    public async Task TryAdd_RepeatedEscapedNonAsciiAndReorderedStrings_EachRowReadsBackItsOwnValue()
    {
        // Strings come from a small cache of recent values and fields are matched in the order last seen:
        // many distinct values (cache collisions), escapes, non-ASCII look-alikes and reordered fields must
        // still read back exactly.
        var values = new List<string>();
        for (var i = 0; i < 3000; i++)
        {
            values.Add((i % 7) switch
            {
                0 => "view",
                1 => "v\u0069ew",
                2 => "v\u00efew",
                3 => "caf\u00e9",
                4 => $"user-{i}",
                5 => "",
                _ => "click",
            });
        }

        using var stream = new MemoryStream();
        await using (var writer = await ParquetArchiveWriter.CreateAsync(stream, 0, ArchiveTestData.Options(), Ct))
        {
            for (var i = 0; i < values.Count; i++)
            {
                var json = i % 2 == 0
                    ? $"{{\"ts\":\"2026-11-22T10:00:00Z\",\"pin_id\":{i},\"action\":\"{values[i]}\"}}"
                    : $"{{\"action\":\"{values[i]}\",\"pin_id\":{i},\"ts\":\"2026-11-22T10:00:00Z\"}}";
                var record = new ArchiveRecord(i, 0, null, Encoding.UTF8.GetBytes(json), null);
                Assert.True(writer.TryAdd(new RoutedRecord(record, ArchiveTestData.Start.ToUnixTimeMilliseconds(), null), out var reason), reason);
                if (writer.RowGroupFull)
                {
                    await writer.FlushRowGroupAsync(Ct);
                }
            }

            await writer.CompleteAsync(Ct);
        }

        stream.Position = 0;
        var actions = new List<string?>();
        var pins = new List<long?>();
        await foreach (var g in ParquetArchiveReader.ReadAsync(stream, Ct))
        {
            actions.AddRange((string?[])g.Columns["action"]);
            pins.AddRange((long?[])g.Columns["pin_id"]);
        }

        var expected = values.Select(v => System.Text.Json.JsonSerializer.Deserialize<string>($"\"{v}\"")).ToList();
        Assert.Equal(expected, actions);
        Assert.Equal(Enumerable.Range(0, values.Count).Select(i => (long?)i), pins);
    }

    /// <summary>Writes <paramref name="records"/> into one Parquet file (flushing full row groups) and reads its row groups back.</summary>
    private static async Task<List<ArchiveRowGroup>> WriteAndReadBackAsync(IEnumerable<ArchiveRecord> records, int partition, ArchiveOptions options)
    {
        using var stream = new MemoryStream();
        await using (var writer = await ParquetArchiveWriter.CreateAsync(stream, partition, options, Ct))
        {
            foreach (var r in records)
            {
                Assert.True(writer.TryAdd(new RoutedRecord(r, r.TimestampMs, null), out var reason), reason);
                if (writer.RowGroupFull)
                {
                    await writer.FlushRowGroupAsync(Ct);
                }
            }

            await writer.CompleteAsync(Ct);
        }

        stream.Position = 0;
        var groups = new List<ArchiveRowGroup>();
        await foreach (var g in ParquetArchiveReader.ReadAsync(stream, Ct))
        {
            groups.Add(g);
        }

        return groups;
    }
}
