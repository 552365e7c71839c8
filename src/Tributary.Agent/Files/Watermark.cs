using System.Text.Json.Serialization;

namespace Tributary.Agent.Files;

/// <summary>
/// How far a stream got: the file (device, inode, head fingerprint) and the byte offset of the first byte
/// not yet acknowledged by Kafka. Written only after Kafka acknowledged everything before it.
/// </summary>
public sealed record Watermark
{
    /// <summary>Device of the file.</summary>
    public ulong Device { get; init; }

    /// <summary>Inode of the file.</summary>
    public ulong Inode { get; init; }

    /// <summary>Offset of the first byte not yet shipped.</summary>
    public long Offset { get; init; }

    /// <summary>Bytes covered by <see cref="HeadHash"/>.</summary>
    public int HeadLength { get; init; }

    /// <summary>Fingerprint of the file's first bytes (tells a reused inode or a truncated file).</summary>
    public ulong HeadHash { get; init; }

    /// <summary>Bytes before <see cref="Offset"/> covered by <see cref="TailHash"/> (0 in watermarks written before it existed: not checked).</summary>
    public int TailLength { get; init; }

    /// <summary>
    /// XxHash64 of the <see cref="TailLength"/> bytes just before <see cref="Offset"/>, as the agent read and
    /// shipped them. A restart resumes at the offset only if the file still holds those bytes there: a file
    /// truncated and grown past the offset again (copy-truncate while the agent was down) holds other bytes.
    /// </summary>
    public ulong TailHash { get; init; }

    /// <summary>Renamed files still being read (rotate-wait), each with its own position.</summary>
    public List<FilePosition> Draining { get; init; } = [];

    /// <summary>The file's modification time when the watermark was written (nanoseconds since the epoch); finds successors after a deletion.</summary>
    public long ModifiedNanos { get; init; }

    /// <summary>Path of the file when the watermark was written (informational).</summary>
    public string? Path { get; init; }

    /// <summary>Recently finished files (their heads), so that they and their copies are not read again.</summary>
    public List<FinishedFile> Finished { get; init; } = [];

    /// <summary>The file identity.</summary>
    [JsonIgnore]
    public FileId Id => new(Device, Inode);

    /// <summary>The head fingerprint.</summary>
    [JsonIgnore]
    public FileHead Head => new(HeadLength, HeadHash);

    /// <summary>The fingerprint of the bytes before the offset.</summary>
    [JsonIgnore]
    public FileTail Tail => new(TailLength, TailHash);
}

/// <summary>A position in a renamed file the stream keeps reading for a while (rotate-wait).</summary>
public sealed record FilePosition
{
    /// <summary>Device of the file.</summary>
    public ulong Device { get; init; }

    /// <summary>Inode of the file.</summary>
    public ulong Inode { get; init; }

    /// <summary>Offset of the first byte not yet shipped.</summary>
    public long Offset { get; init; }

    /// <summary>Bytes covered by <see cref="HeadHash"/>.</summary>
    public int HeadLength { get; init; }

    /// <summary>Fingerprint of the file's first bytes.</summary>
    public ulong HeadHash { get; init; }

    /// <summary>Bytes before <see cref="Offset"/> covered by <see cref="TailHash"/>.</summary>
    public int TailLength { get; init; }

    /// <summary>Fingerprint of the bytes just before <see cref="Offset"/>.</summary>
    public ulong TailHash { get; init; }

    /// <summary>Path of the file when the position was written (informational).</summary>
    public string? Path { get; init; }

    /// <summary>The file identity.</summary>
    [JsonIgnore]
    public FileId Id => new(Device, Inode);

    /// <summary>The head fingerprint.</summary>
    [JsonIgnore]
    public FileHead Head => new(HeadLength, HeadHash);

    /// <summary>The fingerprint of the bytes before the offset.</summary>
    [JsonIgnore]
    public FileTail Tail => new(TailLength, TailHash);
}

/// <summary>A file the stream read to its end.</summary>
/// <param name="Device">Device.</param>
/// <param name="Inode">Inode.</param>
/// <param name="HeadLength">Bytes hashed.</param>
/// <param name="HeadHash">Head fingerprint.</param>
public sealed record FinishedFile(ulong Device, ulong Inode, int HeadLength, ulong HeadHash)
{
    /// <summary>The head fingerprint.</summary>
    [JsonIgnore]
    public FileHead Head => new(HeadLength, HeadHash);
}
