using System.Text.Json;
using Tributary.Storage;
using Tributary.Storage.Archive;
using Tributary.Storage.Parquet;

namespace Tributary.Unified;

/// <summary>
/// Reads one archive file (its Parquet rows and its dead-letter lines) in offset order, one row group decoded ahead of the
/// one being read. The bytes come from a download started ahead (<see cref="Download"/>).
/// </summary>
internal sealed class ArchiveFileCursor : IAsyncDisposable
{
    private readonly ArchiveFileInfo _file;
    private readonly string _location;
    private readonly ArchiveFormat _format;
    private readonly Task<(byte[] Data, byte[]? DeadLetters)> _download;
    private MemoryStream? _data;
    private IAsyncEnumerator<ArchiveRowGroup>? _groups;
    private Task<bool>? _ahead;
    private ArchiveRowGroup? _group;
    private int _row;
    private List<UnifiedRecord> _deadLetters = [];
    private int _deadLetter;

    private ArchiveFileCursor(ArchiveFileInfo file, string location, ArchiveFormat format, Task<(byte[] Data, byte[]? DeadLetters)> download)
    {
        _file = file;
        _location = location;
        _format = format;
        _download = download;
    }

    /// <summary>The file.</summary>
    public ArchiveFileInfo File => _file;

    /// <summary>The record the cursor is on (valid after <see cref="MoveNextAsync"/> returned true).</summary>
    public UnifiedRecord Current { get; private set; } = null!;

    /// <summary>Starts downloading <paramref name="file"/> (data and dead letters) now; the cursor reads it later.</summary>
    public static ArchiveFileCursor Download(IObjectStore store, ArchiveFileInfo file, ArchiveFormat format, CancellationToken cancellationToken)
        => new(file, store.Location, format, Task.Run(() => FetchAsync(store, file, cancellationToken), cancellationToken));

    /// <summary>Moves to the next record in offset order; false at the end of the file.</summary>
    public async ValueTask<bool> MoveNextAsync()
    {
        if (_data is null)
        {
            await OpenAsync().ConfigureAwait(false);
        }

        while (_group is not null && _row >= _group.Offsets.Length)
        {
            await NextGroupAsync().ConfigureAwait(false);
        }

        var hasRow = _group is not null;
        var hasDeadLetter = _deadLetter < _deadLetters.Count;
        if (!hasRow && !hasDeadLetter)
        {
            return false;
        }

        if (hasDeadLetter && (!hasRow || _deadLetters[_deadLetter].Offset < _group!.Offsets[_row]))
        {
            Current = _deadLetters[_deadLetter++];
        }
        else
        {
            Current = Row(_group!, _row++);
        }

        return true;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_ahead is not null)
        {
            try
            {
                await _ahead.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidDataException or OperationCanceledException)
            {
                // the file is being abandoned: its errors were (or will be) reported by the read that needed it
            }
        }

        if (_groups is not null)
        {
            await _groups.DisposeAsync().ConfigureAwait(false);
        }

        _data?.Dispose();
        if (!_download.IsCompleted)
        {
            try
            {
                await _download.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidDataException or OperationCanceledException or FileNotFoundException)
            {
                // never read: nothing was yielded from it
            }
        }
    }

    private static async Task<(byte[] Data, byte[]? DeadLetters)> FetchAsync(IObjectStore store, ArchiveFileInfo file, CancellationToken cancellationToken)
    {
        var data = await ReadAllAsync(store, file.Key, cancellationToken).ConfigureAwait(false)
            ?? throw new FileNotFoundException($"archive file '{store.Location}{file.Key}' is listed in the manifest ({file.Topic}[{file.Partition}] offsets {file.FirstOffset}..{file.LastOffset}) but is not in the store", file.Key);
        byte[]? deadLetters = null;
        if (file.DeadLetterKey is { } key && file.DeadLetters > 0)
        {
            deadLetters = await ReadAllAsync(store, key, cancellationToken).ConfigureAwait(false)
                ?? throw new FileNotFoundException($"dead-letter file '{store.Location}{key}' is listed in the manifest ({file.DeadLetters} offsets of {file.Topic}[{file.Partition}]) but is not in the store", key);
        }

        return (data, deadLetters);
    }

    private static async Task<byte[]?> ReadAllAsync(IObjectStore store, string key, CancellationToken cancellationToken)
    {
        var stream = await store.OpenReadAsync(key, cancellationToken).ConfigureAwait(false);
        if (stream is null)
        {
            return null;
        }

        await using (stream.ConfigureAwait(false))
        {
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
            return copy.ToArray();
        }
    }

    private async Task OpenAsync()
    {
        var (data, deadLetters) = await _download.ConfigureAwait(false);
        _data = new MemoryStream(data, writable: false);
        if (deadLetters is not null)
        {
            _deadLetters = ParseDeadLetters(deadLetters);
        }

        _groups = ParquetArchiveReader.ReadAsync(_data).GetAsyncEnumerator();
        _ahead = MoveGroupAsync(_groups);
        await NextGroupAsync().ConfigureAwait(false);
    }

    private async Task NextGroupAsync()
    {
        var more = await _ahead!.ConfigureAwait(false);
        _row = 0;
        if (!more)
        {
            _group = null;
            _ahead = Task.FromResult(false);
            return;
        }

        _group = _groups!.Current;
        if (_group.Offsets.Length > 1 && !IsSorted(_group.Offsets))
        {
            throw new InvalidDataException($"archive file '{_location}{_file.Key}' has rows out of offset order");
        }

        // decode the next row group while this one is read
        _ahead = MoveGroupAsync(_groups!);
    }

    private async Task<bool> MoveGroupAsync(IAsyncEnumerator<ArchiveRowGroup> groups)
    {
        try
        {
            return await groups.MoveNextAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not InvalidDataException)
        {
            throw new InvalidDataException($"archive file '{_location}{_file.Key}' is not a readable archive Parquet file: {ex.Message}", ex);
        }
    }

    private static bool IsSorted(long[] offsets)
    {
        for (var i = 1; i < offsets.Length; i++)
        {
            if (offsets[i] <= offsets[i - 1])
            {
                return false;
            }
        }

        return true;
    }

    private UnifiedRecord Row(ArchiveRowGroup group, int i)
    {
        var timestamp = new DateTimeOffset(DateTime.SpecifyKind(group.Timestamps[i], DateTimeKind.Utc)).ToUnixTimeMilliseconds();
        var eventTime = new DateTimeOffset(DateTime.SpecifyKind(group.EventTimes[i], DateTimeKind.Utc)).ToUnixTimeMilliseconds();
        if (_format == ArchiveFormat.Raw)
        {
            return new UnifiedRecord(
                _file.Partition,
                group.Offsets[i],
                timestamp,
                eventTime,
                Column<byte[]?>(group, "key")[i],
                Column<byte[]?>(group, "value")[i],
                RecordDecoder.ParseHeaders(Column<string?>(group, "headers")[i]),
                null,
                UnifiedPhase.Archive,
                null);
        }

        var fields = new Dictionary<string, object?>(group.Columns.Count, StringComparer.Ordinal);
        foreach (var (name, values) in group.Columns)
        {
            fields[name] = RecordDecoder.Normalize(values.GetValue(i));
        }

        return new UnifiedRecord(_file.Partition, group.Offsets[i], timestamp, eventTime, null, null, null, fields, UnifiedPhase.Archive, null);
    }

    private T[] Column<T>(ArchiveRowGroup group, string name)
        => group.Columns.TryGetValue(name, out var values) && values is T[] typed
            ? typed
            : throw new InvalidDataException($"archive file '{_location}{_file.Key}' has no '{name}' column of the raw format (is the reader's Archive.Format the archiver's?)");

    private List<UnifiedRecord> ParseDeadLetters(byte[] bytes)
    {
        var records = new List<UnifiedRecord>();
        var key = _file.DeadLetterKey!;
        var line = 0;
        foreach (var range in Lines(bytes))
        {
            line++;
            try
            {
                using var json = JsonDocument.Parse(bytes.AsMemory(range.Start, range.Length));
                var root = json.RootElement;
                records.Add(new UnifiedRecord(
                    root.GetProperty("partition").GetInt32(),
                    root.GetProperty("offset").GetInt64(),
                    root.GetProperty("timestamp_ms").GetInt64(),
                    null,
                    Bytes(root, "key"),
                    Bytes(root, "value"),
                    null,
                    null,
                    UnifiedPhase.Archive,
                    root.GetProperty("reason").GetString() ?? "unknown"));
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"dead-letter file '{_location}{key}' line {line} is not a dead-letter record: {ex.Message}", ex);
            }
        }

        records.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        return records;
    }

    private static byte[]? Bytes(JsonElement root, string name)
        => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetBytesFromBase64() : null;

    private static IEnumerable<(int Start, int Length)> Lines(byte[] bytes)
    {
        var start = 0;
        for (var i = 0; i <= bytes.Length; i++)
        {
            if (i == bytes.Length || bytes[i] == (byte)'\n')
            {
                if (i > start)
                {
                    yield return (start, i - start);
                }

                start = i + 1;
            }
        }
    }
}
