using System.Text;
using Tributary.Agent.Producing;

namespace Tributary.Agent.Tests;

public sealed class Crc32CTests
{
    [Fact]
    public void Compute_CheckString_MatchesCastagnoliCheckValue()
        => Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));

    [Fact]
    public void Compute_AnyLength_EqualsBytewisePortablePath()
    {
        var random = new Random(5);
        for (var length = 0; length < 200; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);
            Assert.Equal(Crc32C.ComputePortable(data), Crc32C.Compute(data));
        }
    }

    [Fact]
    public void Append_SplitInput_EqualsWholeInput()
    {
        var data = Encoding.UTF8.GetBytes("the quick brown fox jumps over the lazy dog, twice over");
        var state = Crc32C.Append(Crc32C.Start, data.AsSpan(0, 13));
        state = Crc32C.Append(state, data.AsSpan(13));
        Assert.Equal(Crc32C.Compute(data), Crc32C.Finish(state));
    }
}
