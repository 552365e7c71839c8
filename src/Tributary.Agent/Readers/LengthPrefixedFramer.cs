using System.Buffers.Binary;

namespace Tributary.Agent.Readers;

/// <summary>
/// Binary records: a 4-byte big-endian payload length, then the payload. A length above the maximum
/// means the framing is lost: the bytes from there to the end of the file are quarantined (the file
/// cannot be re-synchronised reliably) and the stream carries on with the next file. A frame cut short
/// at the end of a finished file is quarantined too.
/// </summary>
internal sealed class LengthPrefixedFramer(int maxRecordBytes) : IRecordFramer
{
    private const int PrefixLength = 4;
    private bool _corrupt;

    public int RequiredBuffer => maxRecordBytes + PrefixLength;

    public void Reset() => _corrupt = false;

    public int Frame(ReadOnlySpan<byte> data, long offset, bool final, IFrameSink sink)
    {
        var pos = 0;
        while (pos < data.Length && !sink.IsFull)
        {
            var rest = data[pos..];
            if (_corrupt)
            {
                sink.Quarantine(rest, offset + pos, "bytes after a malformed frame in the same file");
                return data.Length;
            }

            if (rest.Length < PrefixLength)
            {
                if (final)
                {
                    sink.Quarantine(rest, offset + pos, $"truncated frame: {rest.Length} bytes where a 4-byte length prefix was expected at the end of the file");
                    pos = data.Length;
                }

                break;
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(rest);
            if (length > (uint)maxRecordBytes)
            {
                sink.Quarantine(rest, offset + pos, $"malformed frame: length prefix {length} exceeds maxRecordBytes {maxRecordBytes}; the rest of the file is quarantined");
                _corrupt = true;
                return data.Length;
            }

            var total = PrefixLength + (int)length;
            if (rest.Length < total)
            {
                if (final)
                {
                    sink.Quarantine(rest, offset + pos, $"truncated frame: length prefix {length} but only {rest.Length - PrefixLength} payload bytes before the end of the file");
                    pos = data.Length;
                }

                break;
            }

            sink.Record(rest[PrefixLength..total], offset + pos);
            pos += total;
        }

        return pos;
    }
}
