using System.Globalization;
using System.Net;
using Tributary.Enrich.Geo;

namespace Tributary.Enrich.Tests;

/// <summary>
/// The geo lookup against an independent reading of the same data: DB-IP's <c>-num.csv</c> twins of the files the
/// database loads (integer ranges instead of address text), scanned linearly.
/// </summary>
public sealed class GeoIpDatabaseTests
{
    private static readonly Lazy<GeoIpDatabase> Database = new(() => GeoIpDatabase.Load(TestEvents.GeoFolder));
    private static readonly Lazy<(UInt128 Start, UInt128 End, string Country)[]> V4 = new(() => ReadNum("dbip-country-ipv4-num.csv"));
    private static readonly Lazy<(UInt128 Start, UInt128 End, string Country)[]> V6 = new(() => ReadNum("dbip-country-ipv6-num.csv"));

    private static (UInt128, UInt128, string)[] ReadNum(string file)
        => [.. File.ReadLines(Path.Combine(TestEvents.GeoFolder, file)).Where(l => l.Length > 0).Select(l => l.Split(','))
            .Select(p => (UInt128.Parse(p[0], CultureInfo.InvariantCulture), UInt128.Parse(p[1], CultureInfo.InvariantCulture), p[2]))];

    private static string Scan((UInt128 Start, UInt128 End, string Country)[] ranges, UInt128 address)
    {
        foreach (var (start, end, country) in ranges)
        {
            if (start <= address && address <= end)
            {
                return country;
            }
        }

        return GeoIpDatabase.Unknown;
    }

    [Fact]
    public void Load_ReadsEveryRangeOfBothFiles()
    {
        Assert.Equal(V4.Value.Length, Database.Value.IPv4RangeCount);
        Assert.Equal(V6.Value.Length, Database.Value.IPv6RangeCount);
        Assert.True(V4.Value.Length > 100_000, "the IPv4 file should hold the whole Internet's allocations");
    }

    [Fact]
    public void LookupIPv4_RandomAndBoundaryAddresses_EqualLinearScan()
    {
        var random = new Random(7);
        var ranges = V4.Value;
        var addresses = new List<uint>();
        for (var i = 0; i < 300; i++)
        {
            addresses.Add((uint)random.NextInt64(0, 1L << 32));
            var (start, end, _) = ranges[random.Next(ranges.Length)];
            addresses.Add((uint)start);
            addresses.Add((uint)end);
            addresses.Add((uint)(start > 0 ? start - 1 : start));
            addresses.Add((uint)(end < uint.MaxValue ? end + 1 : end));
        }

        addresses.AddRange([0, uint.MaxValue, (uint)ranges[0].Start, (uint)ranges[^1].End]);
        foreach (var address in addresses)
        {
            var expected = Scan(ranges, address);
            var actual = Database.Value.LookupIPv4(address);
            if (expected != actual)
            {
                // The only allowed difference: a special-purpose address the data happens to list.
                Assert.True(IpRanges.IsReservedIPv4(address) && actual == GeoIpDatabase.Unknown, $"{new IPAddress(BitConverter.GetBytes(address).Reverse().ToArray())}: scan {expected}, lookup {actual}");
            }
        }
    }

    [Fact]
    public void LookupIPv6_InsideAndAtTheEdgesOfRanges_EqualLinearScan()
    {
        var random = new Random(11);
        var ranges = V6.Value;
        var addresses = new List<UInt128>();
        for (var i = 0; i < 200; i++)
        {
            var (start, end, _) = ranges[random.Next(ranges.Length)];
            addresses.Add(start);
            addresses.Add(end);
            addresses.Add(start - 1);
            addresses.Add(end + 1);
            addresses.Add(start + ((end - start) / 3));
        }

        foreach (var address in addresses)
        {
            var value = address;
            var expected = Scan(ranges, address);
            var actual = Database.Value.LookupIPv6(value);
            if (expected != actual)
            {
                Assert.True(IpRanges.IsReservedIPv6(value) && actual == GeoIpDatabase.Unknown, $"{address}: scan {expected}, lookup {actual}");
            }
        }
    }

    [Fact]
    public void Lookup_Text_IPv4AndIPv6_AsTheScanSays()
    {
        var db = Database.Value;
        foreach (var text in new[] { "8.8.8.8", "1.1.1.1", "81.2.69.160", "2001:4860:4860::8888", "2a00:1450:4001:82b::200e", "2606:4700:4700::1111" })
        {
            var ip = IPAddress.Parse(text);
            var scan = Scan(ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? V4.Value : V6.Value, System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? [.. new byte[12], .. ip.GetAddressBytes()] : ip.GetAddressBytes()));
            Assert.NotEqual(GeoIpDatabase.Unknown, scan);
            Assert.Equal(scan, db.Lookup(text.AsSpan()));
            Assert.Equal(scan, db.Lookup(System.Text.Encoding.ASCII.GetBytes(text)));
        }
    }

    [Fact]
    public void Lookup_IPv4MappedIPv6_IsTheIPv4Answer()
        => Assert.Equal(Database.Value.Lookup("8.8.8.8".AsSpan()), Database.Value.Lookup("::ffff:8.8.8.8".AsSpan()));

    [Theory]
    [InlineData("10.1.2.3")]
    [InlineData("127.0.0.1")]
    [InlineData("192.168.0.10")]
    [InlineData("172.16.5.4")]
    [InlineData("169.254.1.1")]
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.251")]
    [InlineData("255.255.255.255")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("fe80::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("ff02::1")]
    [InlineData("2001:db8::1")]
    [InlineData("::ffff:10.0.0.1")]
    public void Lookup_PrivateOrReserved_IsUnknown(string address)
        => Assert.Equal(GeoIpDatabase.Unknown, Database.Value.Lookup(address.AsSpan()));

    [Theory]
    [InlineData("")]
    [InlineData("8.8.8")]
    [InlineData("8.8.8.8.8")]
    [InlineData("256.1.1.1")]
    [InlineData("08.8.8.8")]
    [InlineData("8.8.8.8 ")]
    [InlineData(" 8.8.8.8")]
    [InlineData("8..8.8")]
    [InlineData("1234.1.1.1")]
    [InlineData("-1.2.3.4")]
    [InlineData("0x8.8.8.8")]
    [InlineData("not an address")]
    [InlineData("2001:4860:::8888")]
    [InlineData("2001:4860:4860::8888::1")]
    [InlineData("gggg::1")]
    [InlineData("8.8.8.8/32")]
    public void Lookup_Malformed_IsUnknownNeverThrows(string text)
    {
        Assert.Equal(GeoIpDatabase.Unknown, Database.Value.Lookup(text.AsSpan()));
        Assert.Equal(GeoIpDatabase.Unknown, Database.Value.Lookup(System.Text.Encoding.UTF8.GetBytes(text)));
    }

    [Fact]
    public void Lookup_GeneratorAddresses_MostResolve()
    {
        // The demo generator draws IPv4 addresses uniformly from (uint)Random.Next(), i.e. 0.0.0.0 to 127.255.255.254.
        var random = new Random(42);
        var resolved = 0;
        const int n = 20_000;
        for (var i = 0; i < n; i++)
        {
            if (Database.Value.LookupIPv4((uint)random.Next()) != GeoIpDatabase.Unknown)
            {
                resolved++;
            }
        }

        Assert.True(resolved > n * 0.9, $"{resolved} of {n} generator-like addresses resolved");
    }

    [Fact]
    public void FromRanges_GapsAndEdges_AreUnknown()
    {
        var db = GeoIpDatabase.FromRanges(
            [(0x01000000, 0x010000FF, "AU"), (0x01000100, 0x010001FF, "CN"), (0x08000000, 0x08FFFFFF, "US"), (0xDF000000, 0xDFFFFFFF, "XX")],
            [((UInt128)0x2000 << 112, ((UInt128)0x2001 << 112) - 1, "CH")]);
        Assert.Equal("AU", db.LookupIPv4(0x01000000));
        Assert.Equal("AU", db.LookupIPv4(0x010000FF));
        Assert.Equal("CN", db.LookupIPv4(0x01000100));
        Assert.Equal(GeoIpDatabase.Unknown, db.LookupIPv4(0x01000200));
        Assert.Equal(GeoIpDatabase.Unknown, db.LookupIPv4(0x00FFFFFF));
        Assert.Equal("US", db.LookupIPv4(0x08123456));
        Assert.Equal(GeoIpDatabase.Unknown, db.LookupIPv4(0x09000000));
        Assert.Equal("XX", db.LookupIPv4(0xDFFFFFFF));
        Assert.Equal("CH", db.LookupIPv6(((UInt128)0x2000 << 112) + 5));
        Assert.Equal(GeoIpDatabase.Unknown, db.LookupIPv6((UInt128)0x2001 << 112));
        Assert.Equal(GeoIpDatabase.Unknown, db.LookupIPv6(UInt128.MaxValue));
    }

    [Fact]
    public void FromRanges_Overlapping_Throws()
        => Assert.Throws<InvalidDataException>(() => GeoIpDatabase.FromRanges([(10, 20, "AU"), (15, 30, "CN")], []));

    [Fact]
    public void Load_BadLine_NamesFileAndLine()
    {
        var dir = Directory.CreateTempSubdirectory("tributary-geo-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, GeoIpDatabase.IPv4File), "1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.1.999,CN\n");
            var e = Assert.Throws<InvalidDataException>(() => GeoIpDatabase.Load(dir));
            Assert.Contains($"{GeoIpDatabase.IPv4File}:2:", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
