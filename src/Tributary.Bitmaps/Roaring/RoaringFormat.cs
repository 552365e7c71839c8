using System.Buffers.Binary;
using System.Numerics;

namespace Tributary.Bitmaps.Roaring;

/// <summary>
/// Managed validation of the portable Roaring format (https://github.com/RoaringBitmap/RoaringFormatSpec),
/// with errors that name the byte offset. <see cref="RoaringBitmap.Deserialize(ReadOnlySpan{byte})"/> relies on
/// CRoaring's own checks (<c>portable_deserialize_safe</c>, <c>internal_validate</c>) and runs this one only on bytes
/// that CRoaring rejected, to say where and why; callers may run it themselves on untrusted bytes.
/// </summary>
public static class RoaringFormat
{
    private const uint SerialCookieNoRunContainer = 12346;
    private const ushort SerialCookie = 12347;
    private const int NoOffsetThreshold = 4;
    private const int ArrayMaxCardinality = 4096;
    private const int BitsetBytes = 8192;

    /// <summary>Checks one bitmap at the start of <paramref name="bytes"/>; returns its length in bytes.</summary>
    /// <exception cref="RoaringFormatException">Names the offset and what is wrong there.</exception>
    public static int Validate(ReadOnlySpan<byte> bytes)
    {
        var reader = new Reader(bytes);
        var cookie = reader.UInt32("cookie");
        int containers;
        var runFlags = ReadOnlySpan<byte>.Empty;
        bool hasRuns;
        if ((cookie & 0xFFFF) == SerialCookie)
        {
            hasRuns = true;
            containers = (int)(cookie >> 16) + 1;
            runFlags = reader.Bytes((containers + 7) / 8, "run-container flags");
        }
        else if (cookie == SerialCookieNoRunContainer)
        {
            hasRuns = false;
            var count = reader.UInt32("container count");
            if (count > 65536)
            {
                throw new RoaringFormatException($"container count {count} exceeds 65536", 4);
            }

            containers = (int)count;
        }
        else
        {
            throw new RoaringFormatException($"unknown cookie 0x{cookie:X8} (expected 12346 or 12347 in the low 16 bits)", 0);
        }

        var descriptiveStart = reader.Position;
        reader.Bytes(containers * 4, "key/cardinality headers");
        if (!hasRuns || containers >= NoOffsetThreshold)
        {
            reader.Bytes(containers * 4, "container offsets");
        }

        var previousKey = -1;
        for (var i = 0; i < containers; i++)
        {
            var headerOffset = descriptiveStart + (i * 4);
            int key = BinaryPrimitives.ReadUInt16LittleEndian(bytes[headerOffset..]);
            var cardinality = BinaryPrimitives.ReadUInt16LittleEndian(bytes[(headerOffset + 2)..]) + 1;
            if (key <= previousKey)
            {
                throw new RoaringFormatException($"container {i} key {key} is not greater than the previous key {previousKey}", headerOffset);
            }

            previousKey = key;
            var isRun = hasRuns && (runFlags[i / 8] & (1 << (i % 8))) != 0;
            var containerOffset = reader.Position;
            if (isRun)
            {
                var runs = reader.UInt16("run count");
                var runBytes = reader.Bytes(runs * 4, "runs");
                var total = 0;
                var previousEnd = -2;
                for (var r = 0; r < runs; r++)
                {
                    int start = BinaryPrimitives.ReadUInt16LittleEndian(runBytes[(r * 4)..]);
                    int length = BinaryPrimitives.ReadUInt16LittleEndian(runBytes[((r * 4) + 2)..]);
                    if (start <= previousEnd + 1 || start + length > 65535)
                    {
                        throw new RoaringFormatException($"container {i} run {r} [{start}, {start + length}] overlaps, touches the previous run or leaves the chunk", containerOffset + 2 + (r * 4));
                    }

                    previousEnd = start + length;
                    total += length + 1;
                }

                if (total != cardinality)
                {
                    throw new RoaringFormatException($"container {i} runs hold {total} values but the header says {cardinality}", headerOffset);
                }
            }
            else if (cardinality <= ArrayMaxCardinality)
            {
                var values = reader.Bytes(cardinality * 2, "array container");
                var previous = -1;
                for (var v = 0; v < cardinality; v++)
                {
                    int value = BinaryPrimitives.ReadUInt16LittleEndian(values[(v * 2)..]);
                    if (value <= previous)
                    {
                        throw new RoaringFormatException($"container {i} array values are not strictly ascending at index {v}", containerOffset + (v * 2));
                    }

                    previous = value;
                }
            }
            else
            {
                var words = reader.Bytes(BitsetBytes, "bitset container");
                var total = 0;
                for (var w = 0; w < BitsetBytes; w += 8)
                {
                    total += BitOperations.PopCount(BinaryPrimitives.ReadUInt64LittleEndian(words[w..]));
                }

                if (total != cardinality)
                {
                    throw new RoaringFormatException($"container {i} bitset holds {total} values but the header says {cardinality}", containerOffset);
                }
            }
        }

        return reader.Position;
    }

    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;

        public int Position { get; private set; }

        public uint UInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4, what));

        public ushort UInt16(string what) => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2, what));

        public ReadOnlySpan<byte> Bytes(int count, string what)
        {
            if (count < 0 || _bytes.Length - Position < count)
            {
                throw new RoaringFormatException($"truncated: {what} needs {count} bytes but {_bytes.Length - Position} remain", Position);
            }

            var slice = _bytes.Slice(Position, count);
            Position += count;
            return slice;
        }
    }
}

/// <summary>Bytes that are not a well-formed portable Roaring bitmap.</summary>
public sealed class RoaringFormatException : FormatException
{
    /// <summary>Creates the exception; the message is prefixed with the offset.</summary>
    public RoaringFormatException(string message, long offset)
        : base($"malformed roaring bitmap at byte {offset}: {message}") => Offset = offset;

    /// <summary>Byte offset, from the start of the bitmap, where the problem was found.</summary>
    public long Offset { get; }
}
