using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Tributary.Bitmaps.Bloom;

namespace Tributary.Bitmaps.Tests;

public sealed class BlockedBloomFilterTests
{
    private static byte[] Key(string prefix, long i) => Encoding.ASCII.GetBytes(prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture));

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData(0.01)]
    [InlineData(0.05)]
    [InlineData(0.001)]
    public void MayContain_OneMillionKeys_FalsePositiveRateWithinTenPercentOfTheory(double target)
    {
        const int keys = 1_000_000;
        var parameters = BloomFilterParameters.ForFalsePositiveRate(keys, target);
        var filter = new BlockedBloomFilter(parameters);
        for (var i = 0; i < keys; i++)
        {
            filter.Add(Key("", 100_000_000_000L + (i * 7919L)));
        }

        var falsePositives = 0;
        const int probes = 2_000_000;
        for (var i = 0; i < probes; i++)
        {
            if (filter.MayContain(Key("absent-", i)))
            {
                falsePositives++;
            }
        }

        var measured = (double)falsePositives / probes;
        var theory = filter.ExpectedFalsePositiveRate;
        Assert.True(theory <= target, $"theory {theory} above target {target}");
        Assert.True(Math.Abs((measured / theory) - 1) < 0.10, $"measured {measured:P4} vs theory {theory:P4} (k={parameters.Hashes}, {parameters.BitsPerKey(keys):F2} bits/key)");
    }

    [Fact]
    public void ForFalsePositiveRate_OnePercent_AtMostTenBitsPerKey()
    {
        var parameters = BloomFilterParameters.ForFalsePositiveRate(1_000_000, 0.01);
        Assert.True(parameters.BitsPerKey(1_000_000) <= 10.0, $"{parameters.BitsPerKey(1_000_000)} bits per key");
        Assert.InRange(parameters.Hashes, 6, 8);
    }

    [Fact]
    public void ForFalsePositiveRate_InvalidRate_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BloomFilterParameters.ForFalsePositiveRate(10, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => BloomFilterParameters.ForFalsePositiveRate(10, 1));
    }

    [Fact]
    public void MayContain_AddedKeys_NeverFalseNegative()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<string[]>(), keys =>
        {
            var filter = new BlockedBloomFilter(BloomFilterParameters.ForFalsePositiveRate(keys.Length, 0.01));
            foreach (var key in keys.Where(k => k is not null))
            {
                filter.Add(key);
            }

            Assert.All(keys.Where(k => k is not null), k => Assert.True(filter.MayContain(k)));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(200));
    }

    [Fact]
    public void Read_WrittenFilter_AnswersTheSame()
    {
        var filter = new BlockedBloomFilter(BloomFilterParameters.ForFalsePositiveRate(10_000, 0.01));
        for (var i = 0; i < 10_000; i++)
        {
            filter.Add(Key("k", i));
        }

        var copy = BlockedBloomFilter.Read(filter.ToArray());
        Assert.Equal(filter.Count, copy.Count);
        Assert.Equal(filter.Blocks, copy.Blocks);
        Assert.Equal(filter.Hashes, copy.Hashes);
        for (var i = 0; i < 50_000; i++)
        {
            var key = Key("k", i);
            Assert.Equal(filter.MayContain(key), copy.MayContain(key));
        }
    }

    [Fact]
    public void Read_CorruptBytes_ThrowsNamingOffset()
    {
        var filter = new BlockedBloomFilter(BloomFilterParameters.ForFalsePositiveRate(100, 0.01));
        filter.Add("x"u8);
        var bytes = filter.ToArray();

        Assert.Equal(0, Assert.Throws<BloomFilterFormatException>(() => BlockedBloomFilter.Read(bytes.AsSpan(0, 10))).Offset);
        Assert.Equal(8, Assert.Throws<BloomFilterFormatException>(() => BlockedBloomFilter.Read(bytes.AsSpan(0, bytes.Length - 1))).Offset);

        var badVersion = (byte[])bytes.Clone();
        badVersion[4] = 9;
        Assert.Equal(4, Assert.Throws<BloomFilterFormatException>(() => BlockedBloomFilter.Read(badVersion)).Offset);

        var flipped = (byte[])bytes.Clone();
        flipped[40] ^= 1;
        var error = Assert.Throws<BloomFilterFormatException>(() => BlockedBloomFilter.Read(flipped));
        Assert.Contains("checksum", error.Message, StringComparison.Ordinal);

        var badMagic = (byte[])bytes.Clone();
        badMagic[0] = (byte)'X';
        Assert.Contains("magic", Assert.Throws<BloomFilterFormatException>(() => BlockedBloomFilter.Read(badMagic)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hash_StringAndUtf8Bytes_Agree()
    {
        Assert.Equal(BlockedBloomFilter.Hash("pin-ü"), BlockedBloomFilter.Hash(Encoding.UTF8.GetBytes("pin-ü")));
        var filter = new BlockedBloomFilter(BloomFilterParameters.ForFalsePositiveRate(1, 0.01));
        filter.AddHash(BlockedBloomFilter.Hash("123"));
        Assert.True(filter.MayContain("123"u8));
    }
}
