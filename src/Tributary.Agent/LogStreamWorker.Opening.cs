using Microsoft.Win32.SafeHandles;
using Tributary.Agent.Files;
using Tributary.Agent.Options;

namespace Tributary.Agent;

// Opening files: from the watermark after a restart, the successor of a finished file, or the live file.
internal sealed partial class LogStreamWorker
{
    private const int OpenAttempts = 10;
    private const int GoneListings = 3;

    private void OpenFromWatermark(Watermark? watermark)
    {
        _resumeAfter = null;
        _pendingWatermark = null;
        if (watermark is null)
        {
            OpenLiveAtStart(_options.StartAt);
            return;
        }

        _finished.Clear();
        _finished.AddRange(watermark.Finished);
        _committed ??= watermark;
        LoadDraining(watermark);
        // A file renamed or truncated between listing and opening: list again.
        for (var attempt = 0; attempt < OpenAttempts; attempt++)
        {
            if (TryOpenFromWatermark(watermark, attempt))
            {
                return;
            }
        }

        // Never settled (the directory kept changing): try again on the next turn, never from the live file's start.
        _pendingWatermark = watermark;
    }

    /// <summary>With no file open: the watermark not yet settled, the successor of a finished file, or (first start only) the live file.</summary>
    private void OpenNext()
    {
        if (_pendingWatermark is { } pending)
        {
            OpenFromWatermark(pending);
            return;
        }

        if (_resumeAfter is { } after)
        {
            for (var attempt = 0; attempt < OpenAttempts; attempt++)
            {
                if (NextAfter(after.ModifiedNanos, after.Id, after.Head, ListFiles()) is not { } n)
                {
                    return;
                }

                if (TryOpen(n, 0, null))
                {
                    _resumeAfter = null;
                    return;
                }
            }

            return;
        }

        OpenLiveAtStart(_options.StartAt);
    }

    /// <param name="watermark">The watermark.</param>
    /// <param name="attempt">How many listings came before this one.</param>
    private bool TryOpenFromWatermark(Watermark watermark, int attempt)
    {
        var files = ListFiles();
        foreach (var f in files.Where(f => f.Stat.Id == watermark.Id))
        {
            if (watermark.Head.Matches(f.Path) && f.Stat.Size >= watermark.Offset && watermark.Tail.Matches(f.Path, watermark.Offset))
            {
                if (!TryOpen(f, watermark.Offset, watermark.Head))
                {
                    return false;
                }

                if (watermark.TailLength > 0 && ConsumedTail() != watermark.Tail)
                {
                    // Truncated between the check and the open: list again.
                    _cursor!.Dispose();
                    _cursor = null;
                    return false;
                }

                _committed = watermark;
                return true;
            }

            // Same inode, other bytes (at the start or just before the offset): truncated in place (copy-truncate,
            // perhaps grown past the offset again) or the inode was reused.
            var copy = FindCopy(watermark.Head, watermark.Tail, watermark.Offset, watermark.Id, files);
            AgentMetrics.Rotations.Add(1, _streamTag, new KeyValuePair<string, object?>("kind", copy is null ? "inode_reuse" : "copytruncate"));
            var handle = OpenHandle(f.Path);
            if (copy is not null)
            {
                AgentLog.Truncated(_logger, _name, f.Path, watermark.Id.ToString(), watermark.Offset, $"the rest is read from its copy {copy.Value.Path}");
                OpenCopy(copy.Value.Path, watermark.Offset, watermark.Id, watermark.Head, new FileCursor(handle, f.Path, f.Stat.Id, FileHead.Read(handle, f.Stat.Size), isCopy: false));
            }
            else
            {
                AgentLog.Truncated(_logger, _name, f.Path, watermark.Id.ToString(), watermark.Offset, "no copy found: restarting it at offset 0 (inode reuse or truncation)");
                SetCursor(new FileCursor(handle, f.Path, f.Stat.Id, FileHead.Read(handle, f.Stat.Size), isCopy: false), 0);
            }

            return true;
        }

        // Not listed. A listing taken while the file is renamed can miss both its names (the old name listed
        // before the rename, stat'ed after it): only a file missing from several listings is gone. (Deciding on one
        // listing skipped the rest of a renamed generation after a restart: the crash test's lost lines.)
        if (attempt < GoneListings - 1)
        {
            return false;
        }

        // The file is gone (deleted, or rotated out of the patterns): continue with what came after it.
        var next = NextAfter(watermark.ModifiedNanos, watermark.Id, watermark.Head, files);
        AgentMetrics.Rotations.Add(1, _streamTag, new KeyValuePair<string, object?>("kind", "deleted"));
        AgentLog.WatermarkFileGone(_logger, _name, watermark.Id.ToString(), next?.Path ?? "(waiting for the live file)");
        if (next is not { } n)
        {
            // Nothing yet: the successor (first the live file) is opened from its start when it appears.
            _resumeAfter = new ResumePoint(watermark.ModifiedNanos, watermark.Id, watermark.Head);
            return true;
        }

        return TryOpen(n, 0, null);
    }

    private void OpenLiveAtStart(StartPosition start)
    {
        if (FindLive() is not { } live)
        {
            return;
        }

        TryOpen(live, start == StartPosition.End && _committed is null ? live.Stat.Size : 0, null);
    }

    /// <summary>
    /// Opens a listed file if its path still names that inode and it has not shrunk since it was listed
    /// (renamed or copy-truncated in between: the caller lists again, and finds the copy).
    /// </summary>
    private bool TryOpen(LogFile listed, long offset, FileHead? head)
    {
        SafeFileHandle handle;
        try
        {
            handle = OpenHandle(listed.Path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }

        // The head is read before the size is checked: a file that still has its listed size afterwards
        // had not been truncated when its head was read.
        var fingerprint = head ?? FileHead.Read(handle, listed.Stat.Size);
        var stat = UnixFile.Stat(handle);
        if (stat.Id != listed.Stat.Id || stat.Size < listed.Stat.Size)
        {
            handle.Dispose();
            return false;
        }

        SetCursor(new FileCursor(handle, listed.Path, stat.Id, fingerprint, isCopy: false), offset);
        return true;
    }

    private void OpenCopy(string path, long offset, FileId reportedId, FileHead head, FileCursor after)
    {
        var handle = OpenHandle(path);
        SetCursor(new FileCursor(handle, path, reportedId, head, isCopy: true) { After = after }, offset);
    }

    private void SetCursor(FileCursor cursor, long offset)
    {
        // Callers dispose what they replace: a truncated file's handle lives on in its restarted cursor.
        _cursor = cursor;
        _bufOffset = offset;
        _bufStart = 0;
        _bufEnd = 0;
        _framer.Reset();
        if (offset > 0)
        {
            // The bytes before the offset, as already consumed: the first read is checked against them, and the
            // first watermark fingerprints them.
            var length = (int)Math.Min(offset, FileTail.MaxLength);
            if (RandomAccess.Read(cursor.Handle, _buf.AsSpan(0, length), offset - length) == length)
            {
                _bufOffset = offset - length;
                _bufStart = length;
                _bufEnd = length;
            }
        }

        AgentLog.Opened(_logger, _name, cursor.Path, cursor.ReportedId.ToString(), offset);
    }

    private static SafeFileHandle OpenHandle(string path)
        => File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
}
