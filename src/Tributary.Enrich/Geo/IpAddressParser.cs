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

    /// <summary>
    /// IPv6 text (RFC 4291: eight groups of 1 to 4 hex digits, one <c>::</c> for a run of zero groups, an optional
    /// dotted-quad IPv4 tail; a <c>%zone</c> suffix is ignored) as a 128-bit integer, most significant group first.
    /// </summary>
    public static bool TryParseIPv6(ReadOnlySpan<byte> utf8, out UInt128 address)
    {
        address = 0;
        var zone = utf8.IndexOf((byte)'%');
        if (zone >= 0)
        {
            if (zone == utf8.Length - 1)
            {
                return false;
            }

            utf8 = utf8[..zone];
        }

        if (utf8.Length is < 2 or > 45)
        {
            return false;
        }

        Span<ushort> groups = stackalloc ushort[8];
        var n = 0;
        var gap = -1;   // index in groups where "::" stands
        var i = 0;
        if (utf8[0] == ':')
        {
            if (utf8[1] != ':')
            {
                return false;
            }

            gap = 0;
            i = 2;
        }

        while (i < utf8.Length)
        {
            var start = i;
            uint value = 0;
            while (i < utf8.Length && i - start < 4 && Hex(utf8[i]) is var h and >= 0)
            {
                value = (value << 4) | (uint)h;
                i++;
            }

            if (i < utf8.Length && utf8[i] == '.')
            {
                // the last 32 bits as dotted IPv4: the rest of the text must be exactly that
                if (n > 6 || !TryParseIPv4(utf8[start..], out var v4))
                {
                    return false;
                }

                groups[n++] = (ushort)(v4 >> 16);
                groups[n++] = (ushort)v4;
                i = utf8.Length;
                break;
            }

            if (i == start || n == 8)
            {
                return false;
            }

            groups[n++] = (ushort)value;
            if (i == utf8.Length)
            {
                break;
            }

            if (utf8[i] != ':')
            {
                return false;
            }

            i++;
            if (i < utf8.Length && utf8[i] == ':')
            {
                if (gap >= 0)
                {
                    return false;
                }

                gap = n;
                i++;
            }
            else if (i == utf8.Length)
            {
                return false;
            }
        }

        if (gap < 0 ? n != 8 : n > 7)
        {
            return false;
        }

        UInt128 result = 0;
        var zeros = gap < 0 ? 0 : 8 - n;
        for (var g = 0; g < n; g++)
        {
            if (g == gap)
            {
                result <<= 16 * zeros;
            }

            result = (result << 16) | groups[g];
        }

        if (gap == n)
        {
            result <<= 16 * zeros;
        }

        address = result;
        return true;
    }

    /// <summary>IPv6 from UTF-16 text; see <see cref="TryParseIPv6(ReadOnlySpan{byte}, out UInt128)"/>.</summary>
    public static bool TryParseIPv6(ReadOnlySpan<char> text, out UInt128 address)
    {
        address = 0;
        if (text.Length > 64)
        {
            return false;
        }

        Span<byte> utf8 = stackalloc byte[64];
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] > 127)
            {
                return false;
            }

            utf8[i] = (byte)text[i];
        }

        return TryParseIPv6(utf8[..text.Length], out address);
    }

    private static int Hex(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}
