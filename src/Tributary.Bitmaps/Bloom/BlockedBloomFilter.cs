using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Tributary.Bitmaps.Bloom;

/// <summary>
/// A cache-blocked Bloom filter (Putze, Sanders, Singler 2007): every key sets and tests <c>k</c> bits inside
/// one 512-bit block (one 64-byte cache line), chosen by its 64-bit XxHash3, so a lookup touches one cache line.
/// </summary>
/// <remarks>
/// <para>Parameters come from <see cref="BloomFilterParameters.ForFalsePositiveRate"/>, which uses the exact
/// false-positive rate of a blocked filter (a Poisson mixture over block loads, see README). For 1% it picks
/// k = 6 at 9.9 bits per key.</para>
/// <para>Thread safety: <see cref="MayContain(ReadOnlySpan{byte})"/> is safe from many threads when nobody adds;
/// <see cref="Add(ReadOnlySpan{byte})"/> needs exclusive access.</para>
/// </remarks>
public sealed class BlockedBloomFilter
{
    /// <summary>Bits in a block: one 64-byte cache line.</summary>
    public const int BlockBits = 512;

    private const int WordsPerBlock = BlockBits / 64;
    private const uint Magic = 0x4D4C4254; // "TBLM" little-endian
    private const byte FormatVersion = 1;
    private const int HeaderBytes = 4 + 1 + 1 + 2 + 4 + 8;
    private const int ChecksumBytes = 8;
    private const ulong StepMultiplier = 0x9E3779B97F4A7C15;
    private const ulong StepIncrement = 0xD1B54A32D192ED03;

    // Pinned so that the 64-byte alignment computed once stays valid: a block never straddles two cache lines.
    private readonly ulong[] _words;
    private readonly int _offset;
    private readonly uint _blocks;
    private readonly int _hashes;
    private long _count;

    /// <summary>Creates an empty filter sized by <paramref name="parameters"/>.</summary>
    public BlockedBloomFilter(BloomFilterParameters parameters)
        : this(parameters.Blocks, parameters.Hashes)
    {
    }

    private BlockedBloomFilter(uint blocks, int hashes)
    {
        ArgumentOutOfRangeException.ThrowIfZero(blocks);
        ArgumentOutOfRangeException.ThrowIfLessThan(hashes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(hashes, 32);
        _blocks = blocks;
        _hashes = hashes;
        _words = GC.AllocateArray<ulong>(checked((int)(blocks * WordsPerBlock) + WordsPerBlock), pinned: true);
        _offset = AlignedOffset(_words);
    }

    /// <summary>Number of 512-bit blocks.</summary>
    public uint Blocks => _blocks;

    /// <summary>Bits tested per key.</summary>
    public int Hashes => _hashes;

    /// <summary>Size of the bit array in bytes.</summary>
    public long SizeInBytes => (long)_blocks * (BlockBits / 8);

    /// <summary>Keys added (duplicates counted each time).</summary>
    public long Count => _count;

    /// <summary>Theoretical false-positive rate at the current <see cref="Count"/>.</summary>
    public double ExpectedFalsePositiveRate => BloomFilterParameters.FalsePositiveRate(_count, _blocks, _hashes);

    /// <summary>The 64-bit hash the filter uses for <paramref name="key"/>: hash once, test many filters.</summary>
    public static ulong Hash(ReadOnlySpan<byte> key) => XxHash3.HashToUInt64(key);

    /// <summary>The hash of the UTF-8 bytes of <paramref name="key"/>.</summary>
    public static ulong Hash(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var max = Encoding.UTF8.GetMaxByteCount(key.Length);
        Span<byte> buffer = max <= 512 ? stackalloc byte[max] : new byte[max];
        var length = Encoding.UTF8.GetBytes(key, buffer);
        return Hash(buffer[..length]);
    }

    /// <summary>Adds <paramref name="key"/>.</summary>
    public void Add(ReadOnlySpan<byte> key) => AddHash(Hash(key));

    /// <summary>Adds the UTF-8 bytes of <paramref name="key"/>.</summary>
    public void Add(string key) => AddHash(Hash(key));

    /// <summary>Adds a key by its <see cref="Hash(ReadOnlySpan{byte})"/>.</summary>
    public void AddHash(ulong hash)
    {
        ref var block = ref Block(hash);
        var state = hash;
        for (var i = 0; i < _hashes; i++)
        {
            state = (state * StepMultiplier) + StepIncrement;
            var bit = (int)(state >> 55);
            Unsafe.Add(ref block, bit >> 6) |= 1UL << bit;
        }

        _count++;
    }

    /// <summary><see langword="false"/> when <paramref name="key"/> was certainly never added.</summary>
    public bool MayContain(ReadOnlySpan<byte> key) => MayContainHash(Hash(key));

    /// <summary><see langword="false"/> when the UTF-8 bytes of <paramref name="key"/> were certainly never added.</summary>
    public bool MayContain(string key) => MayContainHash(Hash(key));

    /// <summary>Tests a key by its <see cref="Hash(ReadOnlySpan{byte})"/>.</summary>
    public bool MayContainHash(ulong hash)
    {
        ref var block = ref Block(hash);
        var state = hash;
        for (var i = 0; i < _hashes; i++)
        {
            state = (state * StepMultiplier) + StepIncrement;
            var bit = (int)(state >> 55);
            if ((Unsafe.Add(ref block, bit >> 6) & (1UL << bit)) == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Bytes <see cref="WriteTo(Span{byte})"/> writes.</summary>
    public int SerializedSize => checked(HeaderBytes + (int)SizeInBytes + ChecksumBytes);

    /// <summary>
    /// Writes the versioned format: magic <c>TBLM</c>, version (1), hashes (u8), reserved (u16), blocks (u32),
    /// count (u64), the blocks as little-endian u64 words, then the XxHash3 of everything before it (u64).
    /// </summary>
    public int WriteTo(Span<byte> destination)
    {
        var size = SerializedSize;
        if (destination.Length < size)
        {
            throw new ArgumentException($"destination holds {destination.Length} bytes; the filter needs {size}", nameof(destination));
        }

        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        destination[4] = FormatVersion;
        destination[5] = (byte)_hashes;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], _blocks);
        BinaryPrimitives.WriteInt64LittleEndian(destination[12..], _count);
        var payload = destination.Slice(HeaderBytes, (int)SizeInBytes);
        var words = _words.AsSpan(_offset, (int)(_blocks * WordsPerBlock));
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(words).CopyTo(payload);
        }
        else
        {
            for (var i = 0; i < words.Length; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(payload[(i * 8)..], words[i]);
            }
        }

        BinaryPrimitives.WriteUInt64LittleEndian(destination[(size - ChecksumBytes)..], XxHash3.HashToUInt64(destination[..(size - ChecksumBytes)]));
        return size;
    }

    /// <summary>The serialized filter as a new array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[SerializedSize];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>Reads a filter written by <see cref="WriteTo(Span{byte})"/>.</summary>
    /// <exception cref="BloomFilterFormatException">Names the offset and what is wrong there.</exception>
    public static BlockedBloomFilter Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < HeaderBytes + ChecksumBytes)
        {
            throw new BloomFilterFormatException($"truncated: {source.Length} bytes, the header and checksum alone take {HeaderBytes + ChecksumBytes}", 0);
        }

        var magic = BinaryPrimitives.ReadUInt32LittleEndian(source);
        if (magic != Magic)
        {
            throw new BloomFilterFormatException($"magic 0x{magic:X8} is not 'TBLM'", 0);
        }

        if (source[4] != FormatVersion)
        {
            throw new BloomFilterFormatException($"format version {source[4]} is not supported (expected {FormatVersion})", 4);
        }

        int hashes = source[5];
        if (hashes is < 1 or > 32)
        {
            throw new BloomFilterFormatException($"hash count {hashes} is outside 1..32", 5);
        }

        var blocks = BinaryPrimitives.ReadUInt32LittleEndian(source[8..]);
        var count = BinaryPrimitives.ReadInt64LittleEndian(source[12..]);
        var expected = HeaderBytes + ((long)blocks * (BlockBits / 8)) + ChecksumBytes;
        if (blocks == 0 || expected != source.Length)
        {
            throw new BloomFilterFormatException($"{blocks} blocks need {expected} bytes but {source.Length} were given", 8);
        }

        var checksum = BinaryPrimitives.ReadUInt64LittleEndian(source[^ChecksumBytes..]);
        if (checksum != XxHash3.HashToUInt64(source[..^ChecksumBytes]))
        {
            throw new BloomFilterFormatException("checksum mismatch: the filter bytes are corrupt", source.Length - ChecksumBytes);
        }

        var filter = new BlockedBloomFilter(blocks, hashes) { _count = count };
        var payload = source.Slice(HeaderBytes, (int)(blocks * (BlockBits / 8)));
        var words = filter._words.AsSpan(filter._offset, (int)(blocks * WordsPerBlock));
        for (var i = 0; i < words.Length; i++)
        {
            words[i] = BinaryPrimitives.ReadUInt64LittleEndian(payload[(i * 8)..]);
        }

        return filter;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref ulong Block(ulong hash)
    {
        // Lemire's multiply-shift maps the high 32 bits onto [0, blocks) without a division.
        var block = (uint)(((hash >> 32) * _blocks) >> 32);
        return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_words), _offset + (int)(block * WordsPerBlock));
    }

    private static unsafe int AlignedOffset(ulong[] pinned)
    {
        var address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
        var misalignment = (int)(address & 63);
        return misalignment == 0 ? 0 : (64 - misalignment) / 8;
    }
}

/// <summary>Bytes that are not a serialized <see cref="BlockedBloomFilter"/>.</summary>
public sealed class BloomFilterFormatException : FormatException
{
    /// <summary>Creates the exception; the message is prefixed with the offset.</summary>
    public BloomFilterFormatException(string message, long offset)
        : base($"malformed Bloom filter at byte {offset}: {message}") => Offset = offset;

    /// <summary>Byte offset where the problem was found.</summary>
    public long Offset { get; }
}
