using System.Buffers;
using System.Text;
using Tributary.Segments;

namespace Tributary.Grains.Segments;

/// <summary>
/// The compact binary form of one chunk of a datasource catalog (<see cref="DatasourceCatalogChunk.Entries"/>): a
/// format byte, the entry count, then per entry its key, interval, partition, state, counts, size, version and the
/// object locations. Locations in the usual layout (<c>{prefix}/{key}/segment.tseg</c>, the Bloom filter next to it)
/// are stored as their prefix only, so an entry takes about 60 bytes before the storage's own encoding.
/// </summary>
public static class CatalogChunkCodec
{
    private const byte Format = 1;
    private const string SegmentFile = "/segment.tseg";
    private const string BloomFile = "/bloom.tbf";
    private const byte None = 0;
    private const byte Explicit = 1;
    private const byte Standard = 2;

    /// <summary>Encodes <paramref name="entries"/>; their Bloom filter bytes, if any, are never written.</summary>
    public static byte[] Encode(IReadOnlyList<SegmentTimelineEntry> entries)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + (entries.Count * 72));
        buffer.GetSpan(1)[0] = Format;
        buffer.Advance(1);
        WriteVarint(buffer, (ulong)entries.Count);
        foreach (var e in entries)
        {
            WriteString(buffer, e.Key);
            WriteSigned(buffer, e.StartMs);
            WriteSigned(buffer, e.EndMs - e.StartMs);
            WriteVarint(buffer, (uint)e.Partition);
            WriteVarint(buffer, (ulong)e.State);
            WriteSigned(buffer, e.RowCount);
            WriteSigned(buffer, e.EventCount);
            WriteSigned(buffer, e.SizeBytes);
            WriteSigned(buffer, e.Version);
            var prefix = StandardPrefix(e.ObjectKey, e.Key, SegmentFile);
            WriteLocation(buffer, e.ObjectKey, prefix);
            var bloomStandard = prefix is not null && e.BloomObjectKey == $"{prefix}/{e.Key}{BloomFile}";
            if (e.BloomObjectKey is null)
            {
                WriteVarint(buffer, None);
            }
            else if (bloomStandard)
            {
                WriteVarint(buffer, Standard);
            }
            else
            {
                WriteVarint(buffer, Explicit);
                WriteString(buffer, e.BloomObjectKey);
            }
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes what <see cref="Encode"/> wrote.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a chunk of this format (names <paramref name="name"/>).</exception>
    public static List<SegmentTimelineEntry> Decode(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length == 0)
        {
            return [];
        }

        var reader = new Reader(bytes, name);
        if (bytes[0] != Format)
        {
            throw new InvalidDataException($"{name}: unknown catalog chunk format {bytes[0]} (expected {Format}).");
        }

        reader.Position = 1;
        var count = checked((int)reader.Varint());
        var entries = new List<SegmentTimelineEntry>(count);
        for (var i = 0; i < count; i++)
        {
            var key = reader.String();
            var start = reader.Signed();
            var end = start + reader.Signed();
            var partition = checked((int)reader.Varint());
            var state = (SegmentState)reader.Varint();
            var rows = reader.Signed();
            var events = reader.Signed();
            var size = reader.Signed();
            var version = reader.Signed();
            string? prefix = null;
            string? objectKey = null;
            switch (reader.Varint())
            {
                case None:
                    break;
                case Explicit:
                    objectKey = reader.String();
                    break;
                case Standard:
                    prefix = reader.String();
                    objectKey = $"{prefix}/{key}{SegmentFile}";
                    break;
                case var other:
                    throw new InvalidDataException($"{name}: entry {i} ({key}): unknown object location kind {other}.");
            }

            var bloom = reader.Varint() switch
            {
                None => null,
                Explicit => reader.String(),
                Standard when prefix is not null => $"{prefix}/{key}{BloomFile}",
                var other => throw new InvalidDataException($"{name}: entry {i} ({key}): bad Bloom location kind {other}."),
            };
            entries.Add(new SegmentTimelineEntry
            {
                Key = key,
                StartMs = start,
                EndMs = end,
                Partition = partition,
                State = state,
                RowCount = rows,
                EventCount = events,
                SizeBytes = size,
                Version = version,
                ObjectKey = objectKey,
                BloomObjectKey = bloom,
            });
        }

        return entries;
    }

    private static string? StandardPrefix(string? location, string key, string file)
    {
        var tail = $"/{key}{file}";
        return location is not null && location.Length > tail.Length && location.EndsWith(tail, StringComparison.Ordinal)
            ? location[..^tail.Length]
            : null;
    }

    private static void WriteLocation(ArrayBufferWriter<byte> buffer, string? location, string? prefix)
    {
        if (location is null)
        {
            WriteVarint(buffer, None);
        }
        else if (prefix is not null)
        {
            WriteVarint(buffer, Standard);
            WriteString(buffer, prefix);
        }
        else
        {
            WriteVarint(buffer, Explicit);
            WriteString(buffer, location);
        }
    }

    private static void WriteString(ArrayBufferWriter<byte> buffer, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteVarint(buffer, (uint)length);
        Encoding.UTF8.GetBytes(value, buffer.GetSpan(length));
        buffer.Advance(length);
    }

    private static void WriteSigned(ArrayBufferWriter<byte> buffer, long value) => WriteVarint(buffer, (ulong)((value << 1) ^ (value >> 63)));

    private static void WriteVarint(ArrayBufferWriter<byte> buffer, ulong value)
    {
        var span = buffer.GetSpan(10);
        var n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[n++] = (byte)value;
        buffer.Advance(n);
    }

    private ref struct Reader(ReadOnlySpan<byte> bytes, string name)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;

        public int Position;

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (Position >= _bytes.Length)
                {
                    throw new InvalidDataException($"{name}: catalog chunk truncated at byte {Position}.");
                }

                var b = _bytes[Position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw new InvalidDataException($"{name}: bad varint at byte {Position} of the catalog chunk.");
        }

        public long Signed()
        {
            var raw = Varint();
            return (long)(raw >> 1) ^ -(long)(raw & 1);
        }

        public string String()
        {
            var length = checked((int)Varint());
            if (length > _bytes.Length - Position)
            {
                throw new InvalidDataException($"{name}: string of {length} bytes at byte {Position} runs past the catalog chunk's end.");
            }

            var value = Encoding.UTF8.GetString(_bytes.Slice(Position, length));
            Position += length;
            return value;
        }
    }
}
