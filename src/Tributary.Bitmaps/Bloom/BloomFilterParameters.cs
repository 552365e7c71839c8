namespace Tributary.Bitmaps.Bloom;

/// <summary>Size (512-bit blocks) and bits per key of a <see cref="BlockedBloomFilter"/>.</summary>
/// <param name="Blocks">Number of 512-bit blocks.</param>
/// <param name="Hashes">Bits set and tested per key, all inside one block.</param>
public readonly record struct BloomFilterParameters(uint Blocks, int Hashes)
{
    /// <summary>
    /// The smallest filter whose theoretical false-positive rate at <paramref name="expectedKeys"/> keys is at most
    /// <paramref name="falsePositiveRate"/>: for each k in 1..16 it finds the fewest blocks that reach the target
    /// and keeps the smallest (then fewest hashes).
    /// </summary>
    public static BloomFilterParameters ForFalsePositiveRate(long expectedKeys, double falsePositiveRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedKeys);
        if (!(falsePositiveRate > 0 && falsePositiveRate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(falsePositiveRate), falsePositiveRate, "the false-positive rate must be in (0, 1)");
        }

        var keys = Math.Max(expectedKeys, 1);
        var best = new BloomFilterParameters(uint.MaxValue, 0);
        for (var k = 1; k <= 16; k++)
        {
            // FalsePositiveRate falls monotonically with the number of blocks: binary search the fewest.
            ulong low = 1, high = (ulong)Math.Ceiling(keys * 64.0 / BlockedBloomFilter.BlockBits) + 1;
            if (FalsePositiveRate(keys, (uint)Math.Min(high, uint.MaxValue), k) > falsePositiveRate)
            {
                continue;
            }

            while (low < high)
            {
                var mid = (low + high) / 2;
                if (FalsePositiveRate(keys, (uint)mid, k) <= falsePositiveRate)
                {
                    high = mid;
                }
                else
                {
                    low = mid + 1;
                }
            }

            if (low < best.Blocks)
            {
                best = new BloomFilterParameters((uint)low, k);
            }
        }

        return best.Hashes == 0
            ? throw new ArgumentOutOfRangeException(nameof(falsePositiveRate), falsePositiveRate, "no filter up to 64 bits per key reaches this rate")
            : best;
    }

    /// <summary>Bits per key at <paramref name="keys"/> keys.</summary>
    public double BitsPerKey(long keys) => (double)Blocks * BlockedBloomFilter.BlockBits / Math.Max(keys, 1);

    /// <summary>
    /// The theoretical false-positive rate of a blocked filter: a block's load is Poisson with mean
    /// λ = keys / blocks, and a block holding i keys answers a foreign key wrongly with probability
    /// (1 − (1 − 1/512)^(k·i))^k. The rate is Σ_i Poisson(i; λ) · that.
    /// </summary>
    public static double FalsePositiveRate(long keys, uint blocks, int hashes)
    {
        if (keys <= 0)
        {
            return 0;
        }

        var lambda = (double)keys / blocks;
        var keep = 1.0 - (1.0 / BlockedBloomFilter.BlockBits);
        var upper = (int)Math.Ceiling(lambda + (12 * Math.Sqrt(lambda)) + 20);
        var lower = Math.Max(0, (int)Math.Floor(lambda - (12 * Math.Sqrt(lambda))));
        var sum = 0.0;
        for (var i = lower; i <= upper; i++)
        {
            // Poisson pmf in log space: λ can be in the hundreds for sparse filters.
            var logPmf = (i * Math.Log(lambda)) - lambda - LogFactorial(i);
            sum += Math.Exp(logPmf) * Math.Pow(1 - Math.Pow(keep, (double)hashes * i), hashes);
        }

        return sum;
    }

    private static double LogFactorial(int n)
    {
        if (n < 2)
        {
            return 0;
        }

        // Stirling with the 1/12n and 1/360n^3 terms: exact to ~1e-10 from n = 2.
        double x = n;
        return (x * Math.Log(x)) - x + (0.5 * Math.Log(2 * Math.PI * x)) + (1 / (12 * x)) - (1 / (360 * x * x * x));
    }
}
