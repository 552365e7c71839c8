using System.Buffers.Binary;

namespace Tributary.Segments.Format;

/// <summary>
/// The format of an open segment's persisted event chunk: the raw events of one batch of Kafka offsets, as repeated
/// <c>[offset int64 LE][length int32 LE][event bytes]</c> records in offset order. Pure: the caller stores the bytes
/// (the segment grain names the chunk with <see cref="SegmentObjectKey.Chunk"/>).
/// </summary>
public static class EventChunk
{
    /// <summary>Bytes of a record's header (offset and length).</summary>
    public const int RecordHeaderBytes = 12;

    /// <summary>Writes <paramref name="events"/> (in the order given) as one chunk.</summary>
    public static byte[] Write(IReadOnlyList<(long Offset, byte[] Event)> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var size = 0L;
        foreach (var (_, e) in events)
        {
            size += RecordHeaderBytes + e.Length;
        }

        var buffer = new byte[checked((int)size)];
        var at = 0;
        foreach (var (offset, e) in events)
        {
            BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(at), offset);
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(at + 8), e.Length);
            e.CopyTo(buffer.AsSpan(at + RecordHeaderBytes));
            at += RecordHeaderBytes + e.Length;
        }

        return buffer;
    }

    /// <summary>Reads the records of a chunk one by one, without copying the events.</summary>
    public ref struct Reader
    {
        private readonly ReadOnlySpan<byte> _bytes;
        private int _at;

        /// <summary>Reads <paramref name="bytes"/>, a whole chunk made by <see cref="Write"/>.</summary>
        public Reader(ReadOnlySpan<byte> bytes)
        {
            _bytes = bytes;
            _at = 0;
        }

        /// <summary>
        /// Reads the next record; false at the end of the chunk. <paramref name="eventBytes"/> is a view of the chunk.
        /// </summary>
        /// <exception cref="InvalidDataException">The chunk is truncated or a record's length is corrupt (names the byte position).</exception>
        public bool TryRead(out long offset, out ReadOnlySpan<byte> eventBytes)
        {
            offset = 0;
            eventBytes = default;
            if (_at == _bytes.Length)
            {
                return false;
            }

            if (_bytes.Length - _at < RecordHeaderBytes)
            {
                throw new InvalidDataException($"event chunk truncated at byte {_at}: {_bytes.Length - _at} bytes left, a record header needs {RecordHeaderBytes}.");
            }

            offset = BinaryPrimitives.ReadInt64LittleEndian(_bytes[_at..]);
            var length = BinaryPrimitives.ReadInt32LittleEndian(_bytes[(_at + 8)..]);
            var start = _at + RecordHeaderBytes;
            if (length < 0 || length > _bytes.Length - start)
            {
                throw new InvalidDataException($"event chunk corrupt at byte {_at}: the record of offset {offset} claims {length} event bytes, {_bytes.Length - start} are left.");
            }

            eventBytes = _bytes.Slice(start, length);
            _at = start + length;
            return true;
        }
    }
}
