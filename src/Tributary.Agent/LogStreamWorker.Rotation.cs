using Tributary.Agent.Files;

namespace Tributary.Agent;

// Rotation and truncation: rename rotation, copy-truncate and the copy it leaves, and the finished files.
internal sealed partial class LogStreamWorker
{
    private const int FinishedKept = 16;
    private readonly List<FinishedFile> _finished = [];

    private async Task FinishCopyAsync(FileCursor copy)
    {
        Frame(final: true);
        await FlushAsync().ConfigureAwait(false);
        var after = copy.After!;
        copy.Dispose();
        _cursor = null;
        // No watermark here: the last one (the truncated file's old head, an offset in the copy) still leads a
        // restart to the copy and then to this file from 0. One written now, with a head taken from a
        // just-truncated (nearly empty) file, could not tell a second truncation from growth.
        SetCursor(after, 0);
    }

    private async Task OnTruncatedAsync(FileCursor cursor)
    {
        // Records framed before the truncation was seen are old content: ship them first.
        await FlushAsync().ConfigureAwait(false);
        var offset = Consumed;
        var files = ListFiles();
        var copy = FindCopy(cursor.Head, ConsumedTail(), offset, cursor.ReportedId, files);
        AgentMetrics.Rotations.Add(1, _streamTag, new KeyValuePair<string, object?>("kind", "copytruncate"));
        var size = RandomAccess.GetLength(cursor.Handle);
        // Truncated to a non-zero size: what is left still starts with the old bytes, shipped already.
        var duplicates = cursor.Head.Length > 0 && cursor.Head.Matches(cursor.Handle) ? Math.Min(size, offset) : 0;
        if (duplicates > 0)
        {
            AgentMetrics.PossibleDuplicateBytes.Add(duplicates, _streamTag);
        }

        var restarted = new FileCursor(cursor.Handle, cursor.Path, cursor.ReportedId, FileHead.Read(cursor.Handle, size), isCopy: false);
        if (copy is { } c)
        {
            AgentLog.Truncated(_logger, _name, cursor.Path, cursor.ReportedId.ToString(), offset, $"the rest is read from its copy {c.Path}");
            _cursor = null;
            OpenCopy(c.Path, offset, cursor.ReportedId, cursor.Head, restarted);
        }
        else
        {
            // Whatever was written between the last read and the truncation is only in a copy the patterns do not
            // match (or nowhere): lost by design, counted.
            AgentMetrics.Errors.Add(1, _streamTag, new KeyValuePair<string, object?>("kind", "truncated_without_copy"));
            AgentLog.Truncated(_logger, _name, cursor.Path, cursor.ReportedId.ToString(), offset, $"no copy matching the patterns found: restarting at offset 0 ({duplicates} bytes possibly shipped twice; anything written after offset {offset} before the truncation is not read)");
            _cursor = null;
            SetCursor(restarted, 0);
        }
    }

    /// <summary>At the end of the current file: has it been truncated, rotated away, or replaced?</summary>
    private async Task<bool> CheckRotationAsync(FileCursor cursor)
    {
        var stat = UnixFile.Stat(cursor.Handle);
        if (stat.Size < Consumed || !cursor.Head.Matches(cursor.Handle) || !FileTail.Holds(cursor.Handle, ConsumedTailBytes(), Consumed))
        {
            await OnTruncatedAsync(cursor).ConfigureAwait(false);
            return true;
        }

        var live = FindLive();
        if (live is null || live.Value.Stat.Id == cursor.ReportedId)
        {
            return false;
        }

        // Renamed away (or deleted) and a new live file exists: drain the old inode, then move on.
        switch (Fill(cursor))
        {
            case > 0:
                return true;
            case < 0:
                await OnTruncatedAsync(cursor).ConfigureAwait(false);
                return true;
        }

        // With rotate-wait the old inode stays open and is read again while writers still append to it (a last
        // line without newline waits for its end); without it, a last line without newline is shipped now.
        var rotateWait = _options.RotateWaitMs > 0;
        if (!rotateWait)
        {
            Frame(final: true);
        }

        await FlushAsync().ConfigureAwait(false);
        AddFinished(cursor);
        AgentMetrics.Rotations.Add(1, _streamTag, new KeyValuePair<string, object?>("kind", "rename"));
        var finishedAt = Consumed;
        if (rotateWait)
        {
            _draining.Add(new ParkedFile(cursor, finishedAt, ConsumedTailBytes().ToArray()) { SeenSize = _bufOffset + _bufEnd });
            AgentLog.RotateWaitStarted(_logger, _name, cursor.Path, cursor.ReportedId.ToString(), finishedAt, _options.RotateWaitMs);
        }
        else
        {
            cursor.Dispose();
        }

        _cursor = null;
        // The watermark stays at the end of the finished file until the new one has data: a restart then
        // finds the finished file, and every file written after it (copies included) in order.
        for (var attempt = 0; attempt < OpenAttempts; attempt++)
        {
            var next = NextAfter(stat.ModifiedNanos, cursor.ReportedId, cursor.Head, ListFiles());
            if (next is { } n && TryOpen(n, 0, null))
            {
                AgentLog.Rotated(_logger, _name, "rename", cursor.ReportedId.ToString(), finishedAt, n.Path);
                return true;
            }
        }

        // Not settled: the main loop looks for the successor again (never jumps to the live file's start).
        _resumeAfter = new ResumePoint(stat.ModifiedNanos, cursor.ReportedId, cursor.Head);

        return true;
    }

    private void AddFinished(FileCursor cursor)
    {
        _finished.Add(new FinishedFile(cursor.ReportedId.Device, cursor.ReportedId.Inode, cursor.Head.Length, cursor.Head.Hash));
        if (_finished.Count > FinishedKept)
        {
            _finished.RemoveAt(0);
        }
    }

    /// <summary>The oldest file written after <paramref name="modifiedNanos"/> that is neither the finished file nor a copy of a file already read.</summary>
    private LogFile? NextAfter(long modifiedNanos, FileId current, FileHead currentHead, List<LogFile> files)
    {
        foreach (var f in files.Where(f => f.Stat.Id != current && f.Stat.ModifiedNanos >= modifiedNanos).OrderBy(f => f.Stat.ModifiedNanos).ThenBy(f => f.Path, StringComparer.Ordinal))
        {
            if (_finished.Any(x => x.Inode == f.Stat.Inode && x.Device == f.Stat.Device) || _draining.Any(d => d.Cursor.ReportedId == f.Stat.Id) || (currentHead.Length > 0 && currentHead.Matches(f.Path)) || _finished.Any(x => x.HeadLength > 0 && x.Head.Matches(f.Path)))
            {
                continue;
            }

            return f;
        }

        return FindLive() is { } live && live.Stat.Id != current ? live : null;
    }

    /// <summary>
    /// The copy that copy-truncate left of a file: at least <paramref name="minSize"/> bytes, holding the bytes
    /// shipped last just before <paramref name="minSize"/> (<paramref name="tail"/>) and, preferably, the same head.
    /// Without a tail (older watermarks) the head alone decides.
    /// </summary>
    private static LogFile? FindCopy(FileHead head, FileTail tail, long minSize, FileId original, List<LogFile> files)
    {
        if (tail.Length == 0 && head.Length == 0)
        {
            return null;
        }

        return files.Where(f => f.Stat.Id != original && f.Stat.Size >= minSize)
            .Select(f => (File: f, Head: head.Length > 0 && head.Matches(f.Path), Tail: tail.Length > 0 && tail.Matches(f.Path, minSize)))
            .Where(c => tail.Length > 0 ? c.Tail : c.Head)
            .OrderByDescending(c => c.Head)
            .ThenByDescending(c => c.File.Stat.Size)
            .Select(c => (LogFile?)c.File)
            .FirstOrDefault();
    }

    /// <summary>A finished (or vanished) file whose successor is still to be opened.</summary>
    private sealed record ResumePoint(long ModifiedNanos, FileId Id, FileHead Head);
}
