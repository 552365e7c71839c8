using System.Buffers.Binary;
using System.Runtime.Intrinsics.X86;

namespace Tributary.Agent.Producing;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum Kafka uses for record batches.
/// SSE4.2's <c>crc32</c> instruction when the CPU has it, otherwise slicing-by-8 tables.
/// </summary>
public static class Crc32C
{
    private const uint Polynomial = 0x82F63B78;
    private static readonly uint[] Table = BuildTable();

    /// <summary>CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(0xFFFFFFFF, data);

    /// <summary>Continues a running CRC: start with <see cref="Start"/>, finish with <see cref="Finish"/>.</summary>
    public static uint Append(uint state, ReadOnlySpan<byte> data)
    {
        if (Sse42.X64.IsSupported)
        {
            ulong crc = state;
            while (data.Length >= 8)
            {
                crc = Sse42.X64.Crc32(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }

            state = (uint)crc;
        }

        if (Sse42.IsSupported)
        {
            foreach (var b in data)
            {
                state = Sse42.Crc32(state, b);
            }

            return state;
        }

        while (data.Length >= 8)
        {
            var one = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ state;
            var two = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            state = Table[(7 * 256) + (one & 0xff)] ^ Table[(6 * 256) + ((one >> 8) & 0xff)] ^ Table[(5 * 256) + ((one >> 16) & 0xff)] ^ Table[(4 * 256) + (one >> 24)]
                  ^ Table[(3 * 256) + (two & 0xff)] ^ Table[(2 * 256) + ((two >> 8) & 0xff)] ^ Table[256 + ((two >> 16) & 0xff)] ^ Table[two >> 24];
            data = data[8..];
        }

        foreach (var b in data)
        {
            state = Table[(state ^ b) & 0xff] ^ (state >> 8);
        }

        return state;
    }

    /// <summary>Initial state of a running CRC.</summary>
    public const uint Start = 0xFFFFFFFF;

    /// <summary>The CRC value of a running state.</summary>
    public static uint Finish(uint state) => ~state;

    /// <summary>The portable path only (tests compare it with the hardware path).</summary>
    internal static uint ComputePortable(ReadOnlySpan<byte> data)
    {
        var state = 0xFFFFFFFF;
        foreach (var b in data)
        {
            state = Table[(state ^ b) & 0xff] ^ (state >> 8);
        }

        return ~state;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            var crc = i;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ Polynomial : crc >> 1;
            }

            table[i] = crc;
        }

        for (var i = 0; i < 256; i++)
        {
            for (var t = 1; t < 8; t++)
            {
                table[(t * 256) + i] = (table[((t - 1) * 256) + i] >> 8) ^ table[table[((t - 1) * 256) + i] & 0xff];
            }
        }

        return table;
    }
}
