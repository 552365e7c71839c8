using Tributary.Agent.Files;
using Tributary.Agent.Options;

namespace Tributary.Agent;

// Watermarks: the position of the live file and of every renamed file still read, written after each batch.
internal sealed partial class LogStreamWorker
{
    private Task CommitAsync(FileCursor cursor, bool durable)
    {
        _quarantine.Sync();
        var stat = UnixFile.Stat(cursor.Handle);
        if (!cursor.IsCopy && cursor.Head.Length < FileHead.MaxLength && stat.Size > cursor.Head.Length)
        {
            var head = FileHead.Read(cursor.Handle, stat.Size);
            // Only extend a fingerprint that still describes the same bytes, and only while the file still holds
            // what was just shipped: a head read after a truncation would describe the next generation, and a
            // restart would then resume at this offset in it (the loss the crash test caught).
            if (cursor.Head.Matches(cursor.Handle) && FileTail.Holds(cursor.Handle, ConsumedTailBytes(), Consumed))
            {
                cursor.Head = head;
            }
        }

        var tail = ConsumedTail();
        var draining = DrainingPositions();
        Watermark watermark;
        if (_visiting is null)
        {
            watermark = new Watermark
            {
                Device = cursor.ReportedId.Device,
                Inode = cursor.ReportedId.Inode,
                Offset = Consumed,
                HeadLength = cursor.Head.Length,
                HeadHash = cursor.Head.Hash,
                TailLength = tail.Length,
                TailHash = tail.Hash,
                ModifiedNanos = stat.ModifiedNanos,
                Path = cursor.Path,
                Finished = [.. _finished],
                Draining = draining,
            };
        }
        else if (_parked is { } p)
        {
            // Reading a renamed file: the live file's position is the one it was parked at.
            var parkedTail = FileTail.Of(p.Tail);
            watermark = new Watermark
            {
                Device = p.Cursor.ReportedId.Device,
                Inode = p.Cursor.ReportedId.Inode,
                Offset = p.Offset,
                HeadLength = p.Cursor.Head.Length,
                HeadHash = p.Cursor.Head.Hash,
                TailLength = parkedTail.Length,
                TailHash = parkedTail.Hash,
                ModifiedNanos = UnixFile.Stat(p.Cursor.Handle).ModifiedNanos,
                Path = p.Cursor.Path,
                Finished = [.. _finished],
                Draining = draining,
            };
        }
        else if (_committed is { } last)
        {
            // No live file open (waiting for the successor): the last main position stays.
            watermark = last with { Finished = [.. _finished], Draining = draining };
        }
        else
        {
            return Task.CompletedTask;
        }

        _committed = watermark;
        if (durable)
        {
            return _committer.WriteAsync(watermark);
        }

        _committer.Post(watermark);
        return Task.CompletedTask;
    }

    private Task CommitPositionsAsync()
    {
        var durable = _options.Watermarks == WatermarkMode.PerBatch;
        if (_cursor is { } cursor)
        {
            return CommitAsync(cursor, durable);
        }

        if (_committed is not { } last)
        {
            return Task.CompletedTask;
        }

        var watermark = last with { Draining = DrainingPositions(), Finished = [.. _finished] };
        _committed = watermark;
        if (durable)
        {
            return _committer.WriteAsync(watermark);
        }

        _committer.Post(watermark);
        return Task.CompletedTask;
    }
}
