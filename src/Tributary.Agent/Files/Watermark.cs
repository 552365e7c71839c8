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
