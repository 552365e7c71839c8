using Tributary.Agent.Files;

namespace Tributary.Agent;

// The read buffer: reading the file into it (checking that the file still holds the bytes read before) and
// framing records out of it.
internal sealed partial class LogStreamWorker
{
    private byte[] _buf;
    private int _bufStart;
    private int _bufEnd;
    private long _bufOffset;

    /// <summary>
    /// Reads more of the file into the buffer: the bytes read (0 at the end), or -1 when the file no longer
    /// holds, just before the read position, the bytes read earlier: it was truncated (and possibly grew past
    /// the position again, which its size alone cannot tell), so the bytes just read may be another generation.
    /// </summary>
    private int Fill(FileCursor cursor)
    {
        // Compact, keeping up to FileTail.MaxLength consumed bytes: they fingerprint the watermark's offset and
        // are compared with the file after every read.
        var drop = _bufStart - Math.Min(_bufStart, FileTail.MaxLength);
        if (drop > 0 && (_bufStart == _bufEnd || _bufEnd > _buf.Length / 2))
        {
            Buffer.BlockCopy(_buf, drop, _buf, 0, _bufEnd - drop);
            _bufOffset += drop;
            _bufEnd -= drop;
            _bufStart -= drop;
        }

        if (_bufEnd == _buf.Length)
        {
            return 0;
        }

        var position = _bufOffset + _bufEnd;
        var n = RandomAccess.Read(cursor.Handle, _buf.AsSpan(_bufEnd), position);
        if (n <= 0)
        {
            return 0;
        }

        // Checked after the read: if the bytes before the position are still the ones read earlier, the bytes
        // just read follow them in the same generation (a truncation after this check is caught by the next one).
        var known = Math.Min(_bufEnd, FileTail.MaxLength);
        if (!cursor.IsCopy && known > 0 && !FileTail.Holds(cursor.Handle, _buf.AsSpan(_bufEnd - known, known), position))
        {
            return -1;
        }

        _bufEnd += n;
        return n;
    }

    /// <summary>Fingerprint of the consumed bytes just before <see cref="Consumed"/> (those still in the buffer).</summary>
    private FileTail ConsumedTail()
    {
        var length = Math.Min(_bufStart, FileTail.MaxLength);
        return FileTail.Of(_buf.AsSpan(_bufStart - length, length));
    }

    private ReadOnlySpan<byte> ConsumedTailBytes()
    {
        var length = Math.Min(_bufStart, FileTail.MaxLength);
        return _buf.AsSpan(_bufStart - length, length);
    }

    private void Frame(bool final)
    {
        var consumed = _framer.Frame(_buf.AsSpan(_bufStart, _bufEnd - _bufStart), _bufOffset + _bufStart, final, this);
        _bufStart += consumed;
    }

    private long Consumed => _bufOffset + _bufStart;
}
