using System.Diagnostics;
using System.IO.Hashing;
using Microsoft.Extensions.Logging;
using MySqlConnector;
using Parquet;
using Tributary.Storage;

namespace Tributary.Tracker;

/// <summary>
/// Dumps chunks into Parquet parts in the object store. Each chunk is read over its session into column buffers
/// (row groups beyond the first few are encoded as they fill); the last row group is encoded and the part stored on
/// the thread pool, so the session reads its next chunk meanwhile. Sums the time spent reading, encoding and storing.
/// </summary>
internal sealed partial class ChunkDumper(TrackerOptions options, ParquetOptions parquetOptions, IObjectStore store, ILogger logger)
{
    private long _readTicks;
    private long _encodeTicks;
    private long _storeTicks;

    /// <summary>Time spent reading rows from MySQL into column buffers, summed over sessions.</summary>
    public TimeSpan ReadTime => TimeSpan.FromTicks(Interlocked.Read(ref _readTicks));

    /// <summary>Time spent encoding Parquet, summed over sessions.</summary>
    public TimeSpan EncodeTime => TimeSpan.FromTicks(Interlocked.Read(ref _encodeTicks));

    /// <summary>Time spent writing parts to the object store, summed over sessions.</summary>
    public TimeSpan StoreTime => TimeSpan.FromTicks(Interlocked.Read(ref _storeTicks));

    /// <summary>
    /// Reads one chunk over <paramref name="session"/> into column buffers (row groups beyond the first few are
    /// encoded as they fill) and returns, once the session is free, the task that encodes the last row group
    /// and stores the part on the thread pool.
    /// </summary>
    public async Task<Task<ChunkRecord>> ReadChunkAsync(MySqlConnection session, MySqlEndpoint replica, SnapshotPaths paths, ChunkPlan chunk, TableLayout layout, CancellationToken cancellationToken)
    {
        var rowGroupRows = options.RowGroupRows;
        var buffers = layout.Columns.Select((c, i) => ColumnBuffer.Create(c, layout.Fields[i], Math.Min(rowGroupRows, options.ChunkRows))).ToArray();
        var output = new MemoryStream();
        ParquetWriter? writer = null;
        long rows = 0;
        long encodeTicks = 0;
        var clock = Stopwatch.StartNew();
        try
        {
            writer = await ParquetWriter.CreateAsync(layout.Schema, output, parquetOptions, cancellationToken: cancellationToken).ConfigureAwait(false);
            await using (var command = ChunkPlanner.Command(session, chunk))
            {
                if (options.UseBinaryProtocol)
                {
                    await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
                }

                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                var inGroup = 0;
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    for (var i = 0; i < buffers.Length; i++)
                    {
                        buffers[i].Append(reader, i);
                    }

                    rows++;
                    if (++inGroup == rowGroupRows)
                    {
                        encodeTicks += await FlushAsync(writer, buffers, cancellationToken).ConfigureAwait(false);
                        inGroup = 0;
                    }
                }

                if (inGroup == 0 && rows > 0)
                {
                    buffers = [];
                }
            }
        }
        catch
        {
            if (writer is not null)
            {
                await writer.DisposeAsync().ConfigureAwait(false);
            }

            await output.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        Interlocked.Add(ref _readTicks, clock.Elapsed.Ticks - encodeTicks);
        var parquet = writer;
        return Task.Run(async () =>
        {
            await using (output.ConfigureAwait(false))
            {
                var encoding = Stopwatch.StartNew();
                await using (parquet.ConfigureAwait(false))
                {
                    if (buffers.Length > 0)
                    {
                        await FlushAsync(parquet, buffers, cancellationToken).ConfigureAwait(false);
                    }
                }

                Interlocked.Add(ref _encodeTicks, encodeTicks + encoding.Elapsed.Ticks);
                var storing = Stopwatch.StartNew();
                var bytes = new ReadOnlyMemory<byte>(output.GetBuffer(), 0, (int)output.Length);
                var key = paths.Part(chunk.Table.Database, chunk.Table.Table, chunk.Index);
                await store.PutAsync(key, bytes, cancellationToken).ConfigureAwait(false);
                Interlocked.Add(ref _storeTicks, storing.Elapsed.Ticks);
                LogChunkDumped(logger, chunk.Table.FullName, chunk.Index, rows, replica.ToString());
                return new ChunkRecord(chunk.Index, key, rows, bytes.Length, Convert.ToHexStringLower(XxHash64.Hash(bytes.Span)));
            }
        }, cancellationToken);
    }

    private static async Task<long> FlushAsync(ParquetWriter writer, ColumnBuffer[] buffers, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        using (var group = writer.CreateRowGroup())
        {
            foreach (var buffer in buffers)
            {
                await buffer.WriteAsync(group, cancellationToken).ConfigureAwait(false);
            }
        }

        return Stopwatch.GetElapsedTime(start).Ticks;
    }

    [LoggerMessage(6, LogLevel.Debug, "Table {Table} chunk {Chunk}: {Rows} rows from {Replica}")]
    private static partial void LogChunkDumped(ILogger logger, string table, int chunk, long rows, string replica);
}
