using System.Text.Json;

namespace Tributary.Agent.Readers;

/// <summary>
/// The stream's dead-letter file <c>{dataDirectory}/quarantine/{stream}.jsonl</c>: one JSON object per
/// malformed frame or rejected line with the reason, the file (path, device, inode), the byte offset and
/// the raw bytes (base64). It is fsynced before the watermark moves past the quarantined bytes.
/// </summary>
public sealed class QuarantineWriter : IDisposable
{
    private readonly string _stream;
    private readonly string _path;
    private FileStream? _file;
    private bool _dirty;

    /// <summary>Creates the writer; the file is created on first use.</summary>
    public QuarantineWriter(string dataDirectory, string stream)
    {
        _stream = stream;
        var directory = Path.Combine(dataDirectory, "quarantine");
        Directory.CreateDirectory(directory);
        _path = Path.Combine(directory, Uri.EscapeDataString(stream) + ".jsonl");
    }

    /// <summary>The quarantine file.</summary>
    public string FilePath => _path;

    /// <summary>Entries written by this writer.</summary>
    public long Count { get; private set; }

    /// <summary>Appends an entry.</summary>
    public void Write(string file, string fileId, long offset, ReadOnlySpan<byte> bytes, string reason)
    {
        _file ??= new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 4096);
        using (var writer = new Utf8JsonWriter(_file))
        {
            writer.WriteStartObject();
            writer.WriteString("time", DateTimeOffset.UtcNow);
            writer.WriteString("stream", _stream);
            writer.WriteString("file", file);
            writer.WriteString("fileId", fileId);
            writer.WriteNumber("offset", offset);
            writer.WriteNumber("length", bytes.Length);
            writer.WriteString("reason", reason);
            writer.WriteBase64String("payload", bytes);
            writer.WriteEndObject();
        }

        _file.WriteByte((byte)'\n');
        _dirty = true;
        Count++;
    }

    /// <summary>Makes the entries durable.</summary>
    public void Sync()
    {
        if (_dirty && _file is not null)
        {
            _file.Flush(flushToDisk: true);
            _dirty = false;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Sync();
        _file?.Dispose();
        _file = null;
    }
}
