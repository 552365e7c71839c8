using System.Text.Json;
using Confluent.Kafka;
using Tributary.Storage.Archive;
using Tributary.Storage.Parquet;

namespace Tributary.Unified;

/// <summary>
/// Turns live Kafka records into <see cref="UnifiedRecord"/>s of the same shape as the archive's: the event time found as the
/// archiver finds it, and with the Parquet format the value parsed by the archive's own writer (an in-memory, uncompressed
/// Parquet file per batch, read back by the archive's reader), so typed fields and dead-letter reasons match exactly.
/// </summary>
internal sealed class RecordDecoder
{
    private readonly ArchiveOptions _options;
    private readonly EventTimeParser _eventTime;

    public RecordDecoder(ArchiveOptions archive)
    {
        _options = new ArchiveOptions
        {
            Format = archive.Format,
            Fields = archive.Fields,
            EventTime = archive.EventTime,
            Compression = ArchiveCompression.None,
            RowGroupRows = Math.Clamp(archive.RowGroupRows, 16, 65_536),
        };
        _eventTime = new EventTimeParser(archive.EventTime);
    }

    public async Task<List<UnifiedRecord>> DecodeAsync(int partition, IReadOnlyList<ConsumeResult<byte[]?, byte[]?>> batch, CancellationToken cancellationToken)
    {
        var records = new List<UnifiedRecord>(batch.Count);
        if (_options.Format == ArchiveFormat.Raw)
        {
            foreach (var result in batch)
            {
                var record = ToArchiveRecord(result);
                records.Add(_eventTime.TryParse(record, out var eventTime, out var reason)
                    ? new UnifiedRecord(partition, record.Offset, record.TimestampMs, eventTime, record.Key, record.Value, record.Headers, null, UnifiedPhase.Live, null)
                    : DeadLetter(partition, record, reason));
            }

            return records;
        }

        using var buffer = new MemoryStream();
        var rows = new List<int>(batch.Count);
        var parquet = await ParquetArchiveWriter.CreateAsync(buffer, partition, _options, cancellationToken).ConfigureAwait(false);
        await using (parquet.ConfigureAwait(false))
        {
            foreach (var result in batch)
            {
                var record = ToArchiveRecord(result);
                if (_eventTime.TryParse(record, out var eventTime, out var reason) && parquet.TryAdd(new RoutedRecord(record, eventTime, null), out reason))
                {
                    rows.Add(records.Count);
                    records.Add(new UnifiedRecord(partition, record.Offset, record.TimestampMs, eventTime, null, null, null, null, UnifiedPhase.Live, null));
                    if (parquet.RowGroupFull)
                    {
                        await parquet.FlushRowGroupAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
                else
                {
                    records.Add(DeadLetter(partition, record, reason));
                }
            }

            await parquet.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        if (rows.Count == 0)
        {
            return records;
        }

        buffer.Position = 0;
        var row = 0;
        await foreach (var group in ParquetArchiveReader.ReadAsync(buffer, cancellationToken).ConfigureAwait(false))
        {
            for (var i = 0; i < group.Offsets.Length; i++, row++)
            {
                var fields = new Dictionary<string, object?>(group.Columns.Count, StringComparer.Ordinal);
                foreach (var (name, values) in group.Columns)
                {
                    fields[name] = Normalize(values.GetValue(i));
                }

                var index = rows[row];
                records[index] = records[index] with { Fields = fields };
            }
        }

        return records;
    }

    /// <summary>Headers as the raw format stores them (a JSON array of key and base64 value), back to pairs; null when none.</summary>
    public static IReadOnlyList<KeyValuePair<string, byte[]?>>? ParseHeaders(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        using var doc = JsonDocument.Parse(json);
        var headers = new List<KeyValuePair<string, byte[]?>>(doc.RootElement.GetArrayLength());
        foreach (var h in doc.RootElement.EnumerateArray())
        {
            var value = h.GetProperty("value");
            headers.Add(new(h.GetProperty("key").GetString() ?? string.Empty, value.ValueKind == JsonValueKind.Null ? null : value.GetBytesFromBase64()));
        }

        return headers;
    }

    /// <summary>A column value as records carry it: timestamps as UTC <see cref="DateTime"/>s, the rest unchanged.</summary>
    public static object? Normalize(object? value) => value is DateTime t ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : value;

    internal static ArchiveRecord ToArchiveRecord(ConsumeResult<byte[]?, byte[]?> result)
    {
        List<KeyValuePair<string, byte[]?>>? headers = null;
        if (result.Message.Headers is { Count: > 0 } kafkaHeaders)
        {
            headers = new List<KeyValuePair<string, byte[]?>>(kafkaHeaders.Count);
            foreach (var h in kafkaHeaders)
            {
                headers.Add(new(h.Key, h.GetValueBytes()));
            }
        }

        return new ArchiveRecord(result.Offset.Value, result.Message.Timestamp.UnixTimestampMs, result.Message.Key, result.Message.Value, headers);
    }

    private static UnifiedRecord DeadLetter(int partition, ArchiveRecord record, string? reason)
        => new(partition, record.Offset, record.TimestampMs, null, record.Key, record.Value, null, null, UnifiedPhase.Live, reason ?? "unknown");
}
