using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Tributary.Enrich.Geo;

namespace Tributary.Enrich.Tests;

/// <summary>The strict address parsers against .NET's <see cref="IPAddress"/> parser.</summary>
public sealed class IpAddressParserTests
{
    private static UInt128 Reference(IPAddress ip)
        => BinaryPrimitives.ReadUInt128BigEndian(ip.GetAddressBytes());

    private static Gen<UInt128> Addresses =>
        from hi in ArbMap.Default.GeneratorFor<ulong>()
        from lo in ArbMap.Default.GeneratorFor<ulong>()
        from zeroMask in Gen.Choose(0, 255)
        select Mask(((UInt128)hi << 64) | lo, zeroMask);

    // zero some groups, so "::" compression shows up in every position
    private static UInt128 Mask(UInt128 value, int zeroMask)
    {
        for (var g = 0; g < 8; g++)
        {
            if ((zeroMask & (1 << g)) != 0)
            {
                value &= ~((UInt128)0xFFFF << (16 * g));
            }
        }

        return value;
    }

    [Fact]
    public void TryParseIPv6_EveryWayDotNetWritesAnAddress_GivesItsValue()
    {
        Prop.ForAll(Addresses.ToArbitrary(), value =>
        {
            Span<byte> bytes = stackalloc byte[16];
            BinaryPrimitives.WriteUInt128BigEndian(bytes, value);
            var ip = new IPAddress(bytes);
            var full = string.Join(':', Enumerable.Range(0, 8).Select(g => ((ushort)(value >> (16 * (7 - g)))).ToString("X4", CultureInfo.InvariantCulture)));
            var v4Tail = string.Join(':', Enumerable.Range(0, 6).Select(g => ((ushort)(value >> (16 * (7 - g)))).ToString("x", CultureInfo.InvariantCulture)))
                + ":" + new IPAddress(bytes[12..].ToArray());
            foreach (var text in new[] { ip.ToString(), full, v4Tail, ip + "%eth0" })
            {
                Assert.True(IpAddressParser.TryParseIPv6(Encoding.ASCII.GetBytes(text), out var parsed), text);
                Assert.Equal(value, parsed);
                Assert.True(IpAddressParser.TryParseIPv6(text.AsSpan(), out parsed), text);
                Assert.Equal(value, parsed);
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(2000));
    }

    [Fact]
    public void TryParseIPv6_WhatItAccepts_DotNetReadsTheSame()
    {
        // random strings over the address alphabet: whatever the strict parser accepts is a real address of that value
        var text = from chars in Gen.Elements("0123456789abcdefABCDEF:::.".ToCharArray()).ListOf()
                   select new string([.. chars.Take(40)]);
        Prop.ForAll(text.ToArbitrary(), s =>
        {
            if (IpAddressParser.TryParseIPv6(s.AsSpan(), out var parsed))
            {
                Assert.True(IPAddress.TryParse(s, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6, s);
                Assert.Equal(Reference(ip), parsed);
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(20_000));
    }

    [Theory]
    [InlineData("::", "0")]
    [InlineData("::1", "1")]
    [InlineData("1::", "5192296858534827628530496329220096")]
    [InlineData("::ffff:1.2.3.4", "281470698652420")]
    [InlineData("1:2:3:4:5:6:7::", "5192455318486707404433266433261568")]
    [InlineData("::2:3:4:5:6:7:8", "158459951879775902770104041480")]
    public void TryParseIPv6_EdgeForms(string text, string expected)
        => Assert.True(IpAddressParser.TryParseIPv6(text.AsSpan(), out var v) && v == UInt128.Parse(expected, CultureInfo.InvariantCulture), text);

    [Theory]
    [InlineData(":")]
    [InlineData(":::")]
    [InlineData("1:2")]
    [InlineData(":1::2")]
    [InlineData("1::2::3")]
    [InlineData("1:2:3:4:5:6:7:8:9")]
    [InlineData("1:2:3:4:5:6:7:8::")]
    [InlineData("12345::")]
    [InlineData("1:")]
    [InlineData("::g")]
    [InlineData("::1.2.3")]
    [InlineData("::01.2.3.4")]
    [InlineData("1:2:3:4:5:6:7:1.2.3.4")]
    [InlineData("[::1]")]
    [InlineData("::1%")]
    [InlineData(" ::1")]
    public void TryParseIPv6_NotAnAddress_IsRejected(string text)
        => Assert.False(IpAddressParser.TryParseIPv6(text.AsSpan(), out _), text);
}
