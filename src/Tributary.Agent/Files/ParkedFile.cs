using System.Diagnostics;

namespace Tributary.Agent.Files;

/// <summary>A file not read right now: where to continue, and the bytes just before that (to check the file still holds them).</summary>
internal sealed class ParkedFile(FileCursor cursor, long offset, byte[] tail)
{
    public FileCursor Cursor { get; } = cursor;

    public long Offset { get; set; } = offset;

    public byte[] Tail { get; set; } = tail;

    /// <summary>How far the file had been read (partial last line included): growth beyond it means new data.</summary>
    public long SeenSize { get; set; }

    public long LastGrowth { get; set; } = Stopwatch.GetTimestamp();
}
