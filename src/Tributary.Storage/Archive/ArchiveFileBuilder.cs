using System.Text.Json;
using Tributary.Storage.Parquet;

namespace Tributary.Storage.Archive;

/// <summary>
/// Builds one archive file of one output partition and Kafka partition: rows go to a Parquet file spooled
/// on local disk (one row group in memory at a time), records that do not parse go to a dead-letter JSON
/// lines file with the reason. <see cref="CompleteAndUploadAsync"/> uploads both under deterministic names.
/// </summary>
public sealed class ArchiveFileBuilder : IAsyncDisposable
{
    private readonly ArchiveOptions _options;
    private readonly string _spoolPath;
    private readonly FileStream _spool;
    private readonly ParquetArchiveWriter _writer;
    private MemoryStream? _deadLetters;
    private Utf8JsonWriter? _deadLetterJson;
    private long _deadLetterCount;
    private long _minEventTime = long.MaxValue;
    private long _maxEventTime = long.MinValue;

    private ArchiveFileBuilder(string topic, string outputPartition, int partition, long firstOffset, ArchiveOptions options, string spoolPath, FileStream spool, ParquetArchiveWriter writer)
    {
        Topic = topic;
        OutputPartition = outputPartition;
        Partition = partition;
        FirstOffset = firstOffset;
        LastOffset = firstOffset - 1;
        _options = options;
        _spoolPath = spoolPath;
        _spool = spool;
        _writer = writer;
    }

    /// <summary>Topic.</summary>
    public string Topic { get; }

    /// <summary>Output partition.</summary>
    public string OutputPartition { get; }

    /// <summary>Kafka partition.</summary>
    public int Partition { get; }

    /// <summary>First offset of the file (names it).</summary>
    public long FirstOffset { get; }

    /// <summary>Last offset added so far.</summary>
    public long LastOffset { get; private set; }

    /// <summary>Records added (rows and dead letters).</summary>
    public long Count => _writer.Rows + _deadLetterCount;

    /// <summary>Starts a file whose first record has offset <paramref name="firstOffset"/>.</summary>
    public static async Task<ArchiveFileBuilder> CreateAsync(string topic, string outputPartition, int partition, long firstOffset, ArchiveOptions options, CancellationToken cancellationToken = default)
    {
        var dir = options.SpoolDirectory ?? Path.Combine(Path.GetTempPath(), "tributary-archive-spool");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, $"{topic}-{partition}-{firstOffset:D20}-{Guid.NewGuid():N}.parquet");
        var spool = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        try
        {
            var writer = await ParquetArchiveWriter.CreateAsync(spool, partition, options, cancellationToken).ConfigureAwait(false);
            return new ArchiveFileBuilder(topic, outputPartition, partition, firstOffset, options, path, spool, writer);
        }
        catch
        {
            await spool.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Adds a record (offsets must increase); a record that does not fit the schema becomes a dead letter.</summary>
    public async ValueTask AddAsync(RoutedRecord routed, CancellationToken cancellationToken = default)
    {
        if (routed.Record.Offset <= LastOffset || routed.Record.Offset < FirstOffset)
        {
            throw new InvalidOperationException($"offset {routed.Record.Offset} added to {HivePath.DataFile(Topic, OutputPartition, Partition, FirstOffset)} after offset {LastOffset}");
        }

        LastOffset = routed.Record.Offset;
        _minEventTime = Math.Min(_minEventTime, routed.EventTimeMs);
        _maxEventTime = Math.Max(_maxEventTime, routed.EventTimeMs);
        var reason = routed.DeadLetterReason;
        if (reason is null && _writer.TryAdd(routed, out reason))
        {
            if (_writer.RowGroupFull)
            {
                await _writer.FlushRowGroupAsync(cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        WriteDeadLetter(routed.Record, reason ?? "unknown");
    }

    /// <summary>Completes the Parquet file and uploads it (and the dead-letter file when there are dead letters); returns the manifest entry.</summary>
    public async Task<ArchiveFileInfo> CompleteAndUploadAsync(IObjectStore store, CancellationToken cancellationToken = default)
    {
        await _writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        var key = HivePath.DataFile(Topic, OutputPartition, Partition, FirstOffset);
        _spool.Position = 0;
        var bytes = _spool.Length;
        await store.PutAsync(key, _spool, cancellationToken).ConfigureAwait(false);
        string? deadLetterKey = null;
        if (_deadLetterCount > 0)
        {
            await _deadLetterJson!.FlushAsync(cancellationToken).ConfigureAwait(false);
            deadLetterKey = HivePath.DeadLetterFile(Topic, OutputPartition, Partition, FirstOffset);
            await store.PutAsync(deadLetterKey, _deadLetters!.GetBuffer().AsMemory(0, (int)_deadLetters.Length), cancellationToken).ConfigureAwait(false);
        }

        return new ArchiveFileInfo
        {
            Topic = Topic,
            OutputPartition = OutputPartition,
            Partition = Partition,
            FirstOffset = FirstOffset,
            LastOffset = LastOffset,
            Rows = _writer.Rows,
            DeadLetters = _deadLetterCount,
            MinEventTimeMs = _minEventTime == long.MaxValue ? 0 : _minEventTime,
            MaxEventTimeMs = _maxEventTime == long.MinValue ? 0 : _maxEventTime,
            Bytes = bytes,
            Key = key,
            DeadLetterKey = deadLetterKey,
        };
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            // an abandoned file: its spool is deleted below either way
        }

        await _spool.DisposeAsync().ConfigureAwait(false);
        if (File.Exists(_spoolPath))
        {
            File.Delete(_spoolPath);
        }

        if (_deadLetterJson is not null)
        {
            await _deadLetterJson.DisposeAsync().ConfigureAwait(false);
        }

        _deadLetters?.Dispose();
    }

    private void WriteDeadLetter(ArchiveRecord record, string reason)
    {
        _deadLetters ??= new MemoryStream();
        _deadLetterJson ??= new Utf8JsonWriter(_deadLetters);
        var json = _deadLetterJson;
        json.WriteStartObject();
        json.WriteString("topic", Topic);
        json.WriteNumber("partition", Partition);
        json.WriteNumber("offset", record.Offset);
        json.WriteNumber("timestamp_ms", record.TimestampMs);
        json.WriteString("reason", reason);
        WriteBytes(json, "key", record.Key);
        WriteBytes(json, "value", record.Value);
        json.WriteEndObject();
        json.Flush();
        _deadLetters.WriteByte((byte)'\n');
        json.Reset(_deadLetters);
        _deadLetterCount++;
    }

    private static void WriteBytes(Utf8JsonWriter json, string name, byte[]? bytes)
    {
        if (bytes is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteBase64String(name, bytes);
        }
    }
}
