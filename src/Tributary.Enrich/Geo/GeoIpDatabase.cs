namespace Tributary.Enrich.Geo;

/// <summary>
/// Country by IP address from DB-IP's IP to Country Lite database (the <c>@ip-location-db/dbip-country</c> CSV files,
/// CC BY 4.0): the ranges are held as sorted start addresses with a country index each (gaps between ranges as
/// <see cref="Unknown"/>), and a 65,536-entry index on the top 16 bits narrows every binary search to a few entries.
/// Read-only after loading, so any number of threads may look up at once.
/// </summary>
public sealed class GeoIpDatabase
{
    /// <summary>What a lookup returns for an address the data has no country for, a private or reserved one, or text
    /// that is no address.</summary>
    public const string Unknown = "unknown";

    /// <summary>The IPv4 file's name in the package.</summary>
    public const string IPv4File = "dbip-country-ipv4.csv";

    /// <summary>The IPv6 file's name in the package.</summary>
    public const string IPv6File = "dbip-country-ipv6.csv";

    /// <summary>The package folder below the repository root that <c>./build.sh deps</c> installs.</summary>
    public static readonly string InstalledFolder = Path.Combine(".tools", "node_modules", "@ip-location-db", "dbip-country");

    private readonly RangeTable<uint> _v4;
    private readonly RangeTable<UInt128> _v6;
    private readonly string[] _countries;

    private GeoIpDatabase(RangeTable<uint> v4, RangeTable<UInt128> v6, string[] countries, string? source)
    {
        _v4 = v4;
        _v6 = v6;
        _countries = countries;
        Source = source;
    }

    /// <summary>The folder the data was read from (null when built from ranges).</summary>
    public string? Source { get; }

    /// <summary>IPv4 ranges with a country, as read.</summary>
    public int IPv4RangeCount => _v4.DataRanges;

    /// <summary>IPv6 ranges with a country, as read.</summary>
    public int IPv6RangeCount => _v6.DataRanges;

    /// <summary>
    /// Finds the installed database folder: <paramref name="configured"/> when given, else <see cref="InstalledFolder"/>
    /// under the first of the application's or the current directory's ancestors that has it. Null when not found.
    /// </summary>
    public static string? Locate(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Directory.Exists(configured) ? Path.GetFullPath(configured) : null;
        }

        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, InstalledFolder);
                if (File.Exists(Path.Combine(candidate, IPv4File)))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>Loads <see cref="IPv4File"/> and <see cref="IPv6File"/> from <paramref name="directory"/>.</summary>
    /// <exception cref="InvalidDataException">A line is not <c>start,end,country</c>, or ranges overlap (names file and line).</exception>
    public static GeoIpDatabase Load(string directory)
    {
        var countries = new Dictionary<string, ushort>(StringComparer.Ordinal) { [Unknown] = 0 };
        var v4 = new List<(uint Start, uint End, ushort Country)>(400_000);
        var v6 = new List<(UInt128 Start, UInt128 End, ushort Country)>(400_000);
        ReadCsv(Path.Combine(directory, IPv4File), countries, (s, e, c) =>
        {
            if (!IpAddressParser.TryParseIPv4(s, out var a) || !IpAddressParser.TryParseIPv4(e, out var b))
            {
                return false;
            }

            v4.Add((a, b, c));
            return true;
        });
        var v6Path = Path.Combine(directory, IPv6File);
        if (File.Exists(v6Path))
        {
            ReadCsv(v6Path, countries, (s, e, c) =>
            {
                if (!IpAddressParser.TryParseIPv6(s, out var a) || !IpAddressParser.TryParseIPv6(e, out var b))
                {
                    return false;
                }

                v6.Add((a, b, c));
                return true;
            });
        }

        return Build(v4, v6, countries, Path.GetFullPath(directory));
    }

    /// <summary>A database from explicit ranges (inclusive ends), for tests and tools.</summary>
    public static GeoIpDatabase FromRanges(IEnumerable<(uint Start, uint End, string Country)> v4, IEnumerable<(UInt128 Start, UInt128 End, string Country)> v6)
    {
        var countries = new Dictionary<string, ushort>(StringComparer.Ordinal) { [Unknown] = 0 };
        ushort Index(string c) => countries.TryGetValue(c, out var i) ? i : countries[c] = (ushort)countries.Count;
        List<(uint, uint, ushort)> a = [.. v4.Select(r => (r.Start, r.End, Index(r.Country)))];
        List<(UInt128, UInt128, ushort)> b = [.. v6.Select(r => (r.Start, r.End, Index(r.Country)))];
        return Build(a, b, countries, null);
    }

    /// <summary>The country code of <paramref name="address"/>, or <see cref="Unknown"/>.</summary>
    public string LookupIPv4(uint address) => IpRanges.IsReservedIPv4(address) ? Unknown : _countries[_v4.Find(address)];

    /// <summary>The country code of <paramref name="address"/> (IPv4-mapped addresses are looked up as IPv4), or <see cref="Unknown"/>.</summary>
    public string LookupIPv6(UInt128 address)
    {
        if ((address >> 32) == 0xFFFF)
        {
            return LookupIPv4((uint)address);
        }

        return IpRanges.IsReservedIPv6(address) ? Unknown : _countries[_v6.Find(address)];
    }

    /// <summary>The country code of the address written in <paramref name="utf8"/>; <see cref="Unknown"/> for anything else.</summary>
    public string Lookup(ReadOnlySpan<byte> utf8)
    {
        if (IpAddressParser.TryParseIPv4(utf8, out var v4))
        {
            return LookupIPv4(v4);
        }

        return utf8.IndexOf((byte)':') >= 0 && IpAddressParser.TryParseIPv6(utf8, out var v6) ? LookupIPv6(v6) : Unknown;
    }

    /// <summary>The country code of the address written in <paramref name="text"/>; <see cref="Unknown"/> for anything else.</summary>
    public string Lookup(ReadOnlySpan<char> text)
    {
        if (IpAddressParser.TryParseIPv4(text, out var v4))
        {
            return LookupIPv4(v4);
        }

        return IpAddressParser.TryParseIPv6(text, out var v6) ? LookupIPv6(v6) : Unknown;
    }

    private static void ReadCsv(string path, Dictionary<string, ushort> countries, Func<string, string, ushort, bool> add)
    {
        var line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (text.Length == 0)
            {
                continue;
            }

            var parts = text.Split(',');
            if (parts.Length != 3 || parts[2].Length != 2)
            {
                throw new InvalidDataException($"{path}:{line}: expected 'start,end,country' with a two-letter country, got '{text}'.");
            }

            if (!countries.TryGetValue(parts[2], out var country))
            {
                country = (ushort)countries.Count;
                countries[string.Intern(parts[2])] = country;
            }

            if (!add(parts[0], parts[1], country))
            {
                throw new InvalidDataException($"{path}:{line}: '{parts[0]}' or '{parts[1]}' is not an address of the file's family.");
            }
        }
    }

    private static GeoIpDatabase Build(
        IReadOnlyList<(uint Start, uint End, ushort Country)> v4, IReadOnlyList<(UInt128 Start, UInt128 End, ushort Country)> v6, Dictionary<string, ushort> countries, string? source)
    {
        var names = new string[countries.Count];
        foreach (var (name, index) in countries)
        {
            names[index] = name;
        }

        return new GeoIpDatabase(
            RangeTable<uint>.Build(v4, a => (int)(a >> 16), source ?? "IPv4 ranges"),
            RangeTable<UInt128>.Build(v6, a => (int)(a >> 112), source ?? "IPv6 ranges"),
            names,
            source);
    }
}

/// <summary>Sorted range starts with a country index each (gaps as index 0), plus an index on the top 16 bits.</summary>
internal sealed class RangeTable<T>
    where T : struct, System.Numerics.IBinaryInteger<T>, System.Numerics.IMinMaxValue<T>
{
    private readonly T[] _starts;
    private readonly ushort[] _countries;
    private readonly int[] _prefix;   // _prefix[p] = first entry whose start's top 16 bits are >= p; 65,537 entries
    private readonly Func<T, int> _top16;

    private RangeTable(T[] starts, ushort[] countries, int[] prefix, Func<T, int> top16, int dataRanges)
    {
        _starts = starts;
        _countries = countries;
        _prefix = prefix;
        _top16 = top16;
        DataRanges = dataRanges;
    }

    public int DataRanges { get; }

    public static RangeTable<T> Build(IReadOnlyList<(T Start, T End, ushort Country)> ranges, Func<T, int> top16, string source)
    {
        var sorted = ranges.OrderBy(r => r.Start).ToArray();
        var starts = new List<T>(sorted.Length * 2 + 2);
        var countries = new List<ushort>(sorted.Length * 2 + 2);
        var next = T.Zero;            // first address not yet covered
        var covered = false;          // whether T.MaxValue has been covered (next would overflow)
        foreach (var (start, end, country) in sorted)
        {
            if (end < start)
            {
                throw new InvalidDataException($"{source}: range {start}..{end} ends before it starts.");
            }

            if (covered || start < next)
            {
                throw new InvalidDataException($"{source}: range starting {start} overlaps the one before it.");
            }

            if (start > next)
            {
                starts.Add(next);
                countries.Add(0);
            }

            starts.Add(start);
            countries.Add(country);
            covered = end == T.MaxValue;
            next = covered ? end : end + T.One;
        }

        if (!covered)
        {
            starts.Add(next);
            countries.Add(0);
        }

        var prefix = new int[65_537];
        var e = 0;
        for (var p = 0; p <= 65_536; p++)
        {
            while (e < starts.Count && top16(starts[e]) < p)
            {
                e++;
            }

            prefix[p] = e;
        }

        return new RangeTable<T>([.. starts], [.. countries], prefix, top16, sorted.Length);
    }

    /// <summary>The country index of the entry holding <paramref name="address"/>.</summary>
    public ushort Find(T address)
    {
        var p = _top16(address);
        var lo = _prefix[p];
        var hi = _prefix[p + 1] - 1;
        var found = lo - 1;       // the entry before the block, when no start inside it is <= address
        while (lo <= hi)
        {
            var mid = (int)((uint)(lo + hi) >> 1);
            if (_starts[mid] <= address)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return _countries[found];
    }
}

/// <summary>Private, loopback, link-local, documentation, multicast and other special-purpose ranges (RFC 6890): never a country.</summary>
public static class IpRanges
{
    private static readonly (uint Network, uint Mask)[] ReservedV4 =
    [
        (0x00000000, 0xFF000000), // 0.0.0.0/8 this network
        (0x0A000000, 0xFF000000), // 10.0.0.0/8 private
        (0x64400000, 0xFFC00000), // 100.64.0.0/10 shared address space (CGN)
        (0x7F000000, 0xFF000000), // 127.0.0.0/8 loopback
        (0xA9FE0000, 0xFFFF0000), // 169.254.0.0/16 link-local
        (0xAC100000, 0xFFF00000), // 172.16.0.0/12 private
        (0xC0000000, 0xFFFFFF00), // 192.0.0.0/24 protocol assignments
        (0xC0000200, 0xFFFFFF00), // 192.0.2.0/24 documentation
        (0xC0A80000, 0xFFFF0000), // 192.168.0.0/16 private
        (0xC6120000, 0xFFFE0000), // 198.18.0.0/15 benchmarking
        (0xC6336400, 0xFFFFFF00), // 198.51.100.0/24 documentation
        (0xCB007100, 0xFFFFFF00), // 203.0.113.0/24 documentation
        (0xE0000000, 0xE0000000), // 224.0.0.0/3 multicast and reserved, broadcast
    ];

    /// <summary>Whether <paramref name="address"/> is in a special-purpose IPv4 range.</summary>
    public static bool IsReservedIPv4(uint address)
    {
        foreach (var (network, mask) in ReservedV4)
        {
            if ((address & mask) == network)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="address"/> is unspecified, loopback, unique-local, link-local, multicast or documentation IPv6.</summary>
    public static bool IsReservedIPv6(UInt128 address)
    {
        var top16 = (int)(address >> 112);
        return address <= 1                              // :: and ::1
            || (top16 & 0xFE00) == 0xFC00                // fc00::/7 unique local
            || (top16 & 0xFFC0) == 0xFE80                // fe80::/10 link-local
            || (top16 & 0xFF00) == 0xFF00                // ff00::/8 multicast
            || (address >> 96) == 0x20010DB8;            // 2001:db8::/32 documentation
    }
}
