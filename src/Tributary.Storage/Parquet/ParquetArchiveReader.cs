using Parquet;
using Parquet.Schema;

namespace Tributary.Storage.Parquet;

/// <summary>One row group of an archive file: the system columns typed, every other column as an array.</summary>
/// <param name="Partitions">Kafka partition per row.</param>
/// <param name="Offsets">Kafka offset per row.</param>
/// <param name="Timestamps">Kafka timestamp per row (UTC).</param>
/// <param name="EventTimes">Event time per row (UTC).</param>
/// <param name="Columns">The other columns by name: <c>string?[]</c>, <c>byte[]?[]</c>, <c>long?[]</c>, <c>int?[]</c>, <c>double?[]</c>, <c>bool?[]</c>, <c>DateTime?[]</c>.</param>
public sealed record ArchiveRowGroup(int[] Partitions, long[] Offsets, DateTime[] Timestamps, DateTime[] EventTimes, IReadOnlyDictionary<string, Array> Columns);

/// <summary>Reads archive Parquet files row group by row group (memory bounded by one row group).</summary>
public static class ParquetArchiveReader
{
    /// <summary>Reads the row groups of a seekable Parquet stream.</summary>
    public static async IAsyncEnumerable<ArchiveRowGroup> ReadAsync(Stream seekable, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var reader = await ParquetReader.CreateAsync(seekable, null, leaveStreamOpen: true, cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var fields = reader.Schema.GetDataFields();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var rowGroup = reader.OpenRowGroupReader(g);
            var n = checked((int)rowGroup.RowCount);
            var partitions = new int[n];
            var offsets = new long[n];
            var timestamps = new DateTime[n];
            var eventTimes = new DateTime[n];
            var columns = new Dictionary<string, Array>(StringComparer.Ordinal);
            foreach (var field in fields)
            {
                switch (field.Name)
                {
                    case ParquetArchiveWriter.PartitionColumn:
                        await rowGroup.ReadAsync<int>(field, partitions, null, cancellationToken).ConfigureAwait(false);
                        break;
                    case ParquetArchiveWriter.OffsetColumn:
                        await rowGroup.ReadAsync<long>(field, offsets, null, cancellationToken).ConfigureAwait(false);
                        break;
                    case ParquetArchiveWriter.TimestampColumn:
                        await rowGroup.ReadAsync<DateTime>(field, timestamps, null, cancellationToken).ConfigureAwait(false);
                        break;
                    case ParquetArchiveWriter.EventTimeColumn:
                        await rowGroup.ReadAsync<DateTime>(field, eventTimes, null, cancellationToken).ConfigureAwait(false);
                        break;
                    default:
                        columns[field.Name] = await ReadColumnAsync(rowGroup, field, n, cancellationToken).ConfigureAwait(false);
                        break;
                }
            }

            yield return new ArchiveRowGroup(partitions, offsets, timestamps, eventTimes, columns);
        }
    }

    /// <summary>Reads a whole object of <paramref name="store"/> into memory and yields its row groups (tests and small files).</summary>
    public static async IAsyncEnumerable<ArchiveRowGroup> ReadAsync(IObjectStore store, string key, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var stream = await store.OpenReadAsync(key, cancellationToken).ConfigureAwait(false)
            ?? throw new FileNotFoundException($"archive file '{key}' is not in {store.Location}", key);
        using var copy = new MemoryStream();
        await using (stream.ConfigureAwait(false))
        {
            await stream.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
        }

        copy.Position = 0;
        await foreach (var group in ReadAsync(copy, cancellationToken).ConfigureAwait(false))
        {
            yield return group;
        }
    }

    private static async Task<Array> ReadColumnAsync(ParquetRowGroupReader rowGroup, DataField field, int n, CancellationToken cancellationToken)
    {
        var type = Nullable.GetUnderlyingType(field.ClrType) ?? field.ClrType;
        if (type == typeof(string) || type == typeof(ReadOnlyMemory<char>))
        {
            var values = new string[n];
            await rowGroup.ReadAsync(field, values, null, cancellationToken).ConfigureAwait(false);
            return values;
        }

        if (type == typeof(byte[]) || type == typeof(ReadOnlyMemory<byte>))
        {
            var values = new byte[n][];
            await rowGroup.ReadAsync(field, values, null, cancellationToken).ConfigureAwait(false);
            return values;
        }

        if (type == typeof(long))
        {
            return await ReadNullableAsync<long>(rowGroup, field, n, cancellationToken).ConfigureAwait(false);
        }

        if (type == typeof(int))
        {
            return await ReadNullableAsync<int>(rowGroup, field, n, cancellationToken).ConfigureAwait(false);
        }

        if (type == typeof(double))
        {
            return await ReadNullableAsync<double>(rowGroup, field, n, cancellationToken).ConfigureAwait(false);
        }

        if (type == typeof(bool))
        {
            return await ReadNullableAsync<bool>(rowGroup, field, n, cancellationToken).ConfigureAwait(false);
        }

        if (type == typeof(DateTime))
        {
            return await ReadNullableAsync<DateTime>(rowGroup, field, n, cancellationToken).ConfigureAwait(false);
        }

        throw new NotSupportedException($"column '{field.Name}' has type {field.ClrType}, which archive files do not use");
    }

    private static async Task<T?[]> ReadNullableAsync<T>(ParquetRowGroupReader rowGroup, DataField field, int n, CancellationToken cancellationToken)
        where T : struct
    {
        var values = new T?[n];
        await rowGroup.ReadAsync<T>(field, values, null, cancellationToken).ConfigureAwait(false);
        return values;
    }
}
