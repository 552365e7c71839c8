using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Tributary.Kafka;

/// <summary>
/// The Java Kafka client's default key partitioner: <c>toPositive(murmur2(keyBytes)) % partitions</c>.
/// librdkafka's <c>murmur2_random</c> partitioner and the Go clients' Java-compatible hasher compute the
/// same value, so every producer of a topic, whatever its language, puts a key in the same partition.
/// </summary>
public static class Murmur2Partitioner
{
    private const uint Seed = 0x9747b28c;
    private const uint M = 0x5bd1e995;
    private const int R = 24;

    /// <summary>Kafka's murmur2 hash (the 32-bit MurmurHash2 variant of the Java client).</summary>
    public static int Hash(ReadOnlySpan<byte> data)
    {
        var length = data.Length;
        var h = Seed ^ (uint)length;
        var i = 0;
        for (; i + 4 <= length; i += 4)
        {
            var k = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i, 4));
            k *= M;
            k ^= k >> R;
            k *= M;
            h *= M;
            h ^= k;
        }

        switch (length - i)
        {
            case 3:
                h ^= (uint)data[i + 2] << 16;
                goto case 2;
            case 2:
                h ^= (uint)data[i + 1] << 8;
                goto case 1;
            case 1:
                h ^= data[i];
                h *= M;
                break;
        }

        h ^= h >> 13;
        h *= M;
        h ^= h >> 15;
        return (int)h;
    }

    /// <summary>The partition of <paramref name="key"/> among <paramref name="partitionCount"/> partitions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Partition(ReadOnlySpan<byte> key, int partitionCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitionCount);
        // Java's Utils.toPositive masks the sign bit rather than taking Math.abs.
        return (Hash(key) & 0x7fffffff) % partitionCount;
    }

    /// <summary>The partition of a string key (UTF-8 bytes, as every Kafka string serializer writes it).</summary>
    public static int Partition(string key, int partitionCount)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> buffer = key.Length <= 128 ? stackalloc byte[Encoding.UTF8.GetMaxByteCount(key.Length)] : new byte[Encoding.UTF8.GetByteCount(key)];
        var written = Encoding.UTF8.GetBytes(key, buffer);
        return Partition(buffer[..written], partitionCount);
    }

    /// <summary>
    /// The partition of a key spread over <paramref name="fanOutSize"/> consecutive partitions (hot keys):
    /// the key's home partition plus <paramref name="spread"/> (0 to fanOutSize-1), wrapping around.
    /// </summary>
    public static int Partition(ReadOnlySpan<byte> key, int partitionCount, int fanOutSize, int spread)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fanOutSize);
        ArgumentOutOfRangeException.ThrowIfNegative(spread);
        var home = Partition(key, partitionCount);
        return (home + (spread % fanOutSize)) % partitionCount;
    }
}
