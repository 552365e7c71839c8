using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Tributary.Enrich.Geo;

/// <summary>Strict, allocation-free parsing of IP address text (UTF-8 or UTF-16) into integers.</summary>
public static class IpAddressParser
{
    /// <summary>Dotted-quad IPv4 (<c>203.0.113.7</c>): exactly four decimal octets 0..255, no leading zeros, nothing else.</summary>
    public static bool TryParseIPv4(ReadOnlySpan<byte> utf8, out uint address)
    {
        address = 0;
        var octets = 0;
        var i = 0;
        while (true)
        {
            var start = i;
            uint value = 0;
            while (i < utf8.Length && (uint)(utf8[i] - '0') <= 9)
            {
                value = (value * 10) + (uint)(utf8[i] - '0');
                i++;
                if (i - start > 3)
                {
                    return false;
                }
            }

            var digits = i - start;
            if (digits == 0 || value > 255 || (digits > 1 && utf8[start] == '0'))
            {
                return false;
            }

            address = (address << 8) | value;
            octets++;
            if (octets == 4)
            {
                return i == utf8.Length;
            }

            if (i >= utf8.Length || utf8[i] != '.')
            {
                return false;
            }

            i++;
        }
    }

    /// <summary>IPv4 from UTF-16 text; see <see cref="TryParseIPv4(ReadOnlySpan{byte}, out uint)"/>.</summary>
    public static bool TryParseIPv4(ReadOnlySpan<char> text, out uint address)
    {
        address = 0;
        if (text.Length > 15)
        {
            return false;
        }

        Span<byte> utf8 = stackalloc byte[15];
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] > 127)
            {
                return false;
            }

            utf8[i] = (byte)text[i];
        }

        return TryParseIPv4(utf8[..text.Length], out address);
    }

    /// <summary>IPv6 text (any form <see cref="IPAddress"/> accepts, zone ids ignored) as a 128-bit big-endian integer.</summary>
    public static bool TryParseIPv6(ReadOnlySpan<char> text, out UInt128 address)
    {
        address = 0;
        if (text.IndexOf(':') < 0 || !IPAddress.TryParse(text, out var ip) || ip.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        ip.TryWriteBytes(bytes, out _);
        address = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        return true;
    }

    /// <summary>IPv6 from UTF-8 text (at most 64 bytes, ASCII).</summary>
    public static bool TryParseIPv6(ReadOnlySpan<byte> utf8, out UInt128 address)
    {
        address = 0;
        if (utf8.Length > 64)
        {
            return false;
        }

        Span<char> text = stackalloc char[64];
        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] > 127)
            {
                return false;
            }

            text[i] = (char)utf8[i];
        }

        return TryParseIPv6(text[..utf8.Length], out address);
    }
}
