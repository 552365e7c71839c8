using System.Diagnostics;
using Microsoft.Win32.SafeHandles;
using Tributary.Agent.Files;
using Tributary.Agent.Options;

namespace Tributary.Agent;

// Rotate-wait: renamed files read again while writers still append to them.
internal sealed partial class LogStreamWorker
{
    private readonly List<ParkedFile> _draining = [];
    private ParkedFile? _visiting;
    private ParkedFile? _parked;
    private long _drainingChecked;

    /// <summary>
    /// Reads every renamed file that grew since it was last read, and finishes those that have not grown for
    /// <see cref="LogStreamOptions.RotateWaitMs"/>. Each is read from its own position, in batches of its own,
    /// between batches of the live file; the watermark carries every position. True when a file was read or finished.
    /// </summary>
    private async Task<bool> VisitDrainingAsync()
    {
        _drainingChecked = Stopwatch.GetTimestamp();
        var any = false;
        foreach (var d in _draining.ToArray())
        {
            long size;
            try
            {
                size = UnixFile.Stat(d.Cursor.Handle).Size;
            }
            catch (IOException)
            {
                size = -1;
            }

            var grown = size > d.SeenSize;
            if (grown)
            {
                d.LastGrowth = Stopwatch.GetTimestamp();
            }

            var expired = !grown && Stopwatch.GetElapsedTime(d.LastGrowth).TotalMilliseconds >= _options.RotateWaitMs;
            if (grown || expired || size < 0)
            {
                await VisitAsync(d, finish: expired || size < 0).ConfigureAwait(false);
                any = true;
            }
        }

        return any;
    }

    private async Task VisitAsync(ParkedFile d, bool finish)
    {
        // The live file's batch goes first; its position (and the bytes before it) are kept while it is parked.
        await FlushAsync().ConfigureAwait(false);
        if (_cursor is { } primary)
        {
            _parked = new ParkedFile(primary, Consumed, ConsumedTailBytes().ToArray());
        }

        _visiting = d;
        Restore(d.Cursor, d.Offset, d.Tail);
        var truncated = false;
        while (!d.Cursor.Handle.IsClosed)
        {
            var read = Fill(d.Cursor);
            if (read < 0)
            {
                truncated = true;
                break;
            }

            Frame(final: false);
            if (IsFull)
            {
                // The framer stops at a full batch: frame the rest of the buffer before reading on.
                await FlushAsync().ConfigureAwait(false);
                continue;
            }

            if (read == 0)
            {
                break;
            }
        }

        if (finish && !truncated)
        {
            Frame(final: true);
        }

        await FlushAsync().ConfigureAwait(false);
        d.Offset = Consumed;
        d.Tail = ConsumedTailBytes().ToArray();
        d.SeenSize = _bufOffset + _bufEnd;
        _visiting = null;
        var done = finish || truncated;
        if (done)
        {
            _draining.Remove(d);
            d.Cursor.Dispose();
            if (truncated)
            {
                AgentMetrics.Errors.Add(1, _streamTag, new KeyValuePair<string, object?>("kind", "rotate_wait_truncated"));
            }

            AgentLog.RotateWaitFinished(_logger, _name, d.Cursor.Path, d.Cursor.ReportedId.ToString(), d.Offset, truncated ? "it was truncated while renamed; what it holds now is not read" : "it stopped growing");
        }

        if (_parked is { } p)
        {
            _parked = null;
            Restore(p.Cursor, p.Offset, p.Tail);
        }
        else
        {
            _cursor = null;
        }

        if (done)
        {
            // A watermark without it (its last records are in the batch just committed).
            await CommitPositionsAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Makes <paramref name="cursor"/> current at <paramref name="offset"/>, with the bytes before it as read earlier (the next read is checked against them).</summary>
    private void Restore(FileCursor cursor, long offset, byte[] tail)
    {
        _cursor = cursor;
        tail.CopyTo(_buf, 0);
        _bufOffset = offset - tail.Length;
        _bufStart = tail.Length;
        _bufEnd = tail.Length;
        _framer.Reset();
    }

    private List<FilePosition> DrainingPositions()
    {
        var positions = new List<FilePosition>(_draining.Count);
        foreach (var d in _draining)
        {
            var visiting = ReferenceEquals(d, _visiting);
            var tail = visiting ? ConsumedTail() : FileTail.Of(d.Tail);
            positions.Add(new FilePosition
            {
                Device = d.Cursor.ReportedId.Device,
                Inode = d.Cursor.ReportedId.Inode,
                Offset = visiting ? Consumed : d.Offset,
                HeadLength = d.Cursor.Head.Length,
                HeadHash = d.Cursor.Head.Hash,
                TailLength = tail.Length,
                TailHash = tail.Hash,
                Path = d.Cursor.Path,
            });
        }

        return positions;
    }

    /// <summary>After a restart: the renamed files the watermark was still reading, each at its position.</summary>
    private void LoadDraining(Watermark watermark)
    {
        foreach (var d in _draining)
        {
            d.Cursor.Dispose();
        }

        _draining.Clear();
        if (watermark.Draining.Count == 0)
        {
            return;
        }

        var files = ListFiles();
        foreach (var position in watermark.Draining)
        {
            ParkedFile? loaded = null;
            foreach (var f in files.Where(f => f.Stat.Id == position.Id && f.Stat.Size >= position.Offset))
            {
                SafeFileHandle handle;
                try
                {
                    handle = OpenHandle(f.Path);
                }
                catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
                {
                    continue;
                }

                var length = (int)Math.Min(position.Offset, FileTail.MaxLength);
                var tail = new byte[length];
                if (UnixFile.Stat(handle).Id == position.Id && position.Head.Matches(handle)
                    && RandomAccess.Read(handle, tail, position.Offset - length) == length
                    && (position.TailLength == 0 || FileTail.Of(tail) == position.Tail))
                {
                    loaded = new ParkedFile(new FileCursor(handle, f.Path, position.Id, position.Head, isCopy: false), position.Offset, tail) { SeenSize = position.Offset };
                    break;
                }

                handle.Dispose();
            }

            if (loaded is null)
            {
                AgentMetrics.Errors.Add(1, _streamTag, new KeyValuePair<string, object?>("kind", "rotate_wait_gone"));
                AgentLog.RotateWaitGone(_logger, _name, position.Path ?? position.Id.ToString(), position.Id.ToString(), position.Offset);
                continue;
            }

            _draining.Add(loaded);
            AgentLog.RotateWaitStarted(_logger, _name, loaded.Cursor.Path, position.Id.ToString(), position.Offset, _options.RotateWaitMs);
        }
    }
}
