using System.Text;

namespace Tributary.Query;

/// <summary>
/// How a datasource's rows are spread over Kafka partitions, which the planner inverts to prune partitions.
/// <para>
/// The fanOutSize rule: a row whose partition-key value is <c>k</c> (UTF-8 bytes, exactly as the producer keyed the
/// Kafka record) lives in one of the <c>min(fanOutSize, partitionCount)</c> consecutive partitions
/// <c>(home(k) + i) mod partitionCount</c> for <c>i = 0 .. fanOutSize-1</c>, where
/// <c>home(k) = partitioner(k, partitionCount)</c>, which for Kafka's default partitioner is
/// <c>toPositive(murmur2(k)) mod partitionCount</c>. With <c>fanOutSize = 1</c> a key lives only in its home partition.
/// Rows with a null key may be anywhere, so a filter that admits a null key prunes nothing.
/// </para>
/// </summary>
public sealed class PartitionLayout
{
    private readonly Func<ReadOnlySpan<byte>, int, int> _partitioner;

    /// <summary>Creates a spec; <paramref name="partitioner"/> maps (key bytes, partition count) to the home partition.</summary>
    public PartitionLayout(string keyDimension, int partitionCount, int fanOutSize, Func<ReadOnlySpan<byte>, int, int> partitioner)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyDimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitionCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fanOutSize);
        KeyDimension = keyDimension;
        PartitionCount = partitionCount;
        FanOutSize = fanOutSize;
        _partitioner = partitioner ?? throw new ArgumentNullException(nameof(partitioner));
    }

    /// <summary>The dimension holding the Kafka record key.</summary>
    public string KeyDimension { get; }

    /// <summary>Partitions of the topic.</summary>
    public int PartitionCount { get; }

    /// <summary>Consecutive partitions one key may be spread over (1 = no spreading).</summary>
    public int FanOutSize { get; }

    /// <summary>The key's home partition.</summary>
    public int HomePartition(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var max = Encoding.UTF8.GetMaxByteCount(key.Length);
        Span<byte> buffer = max <= 512 ? stackalloc byte[max] : new byte[max];
        var n = Encoding.UTF8.GetBytes(key, buffer);
        var home = _partitioner(buffer[..n], PartitionCount);
        if ((uint)home >= (uint)PartitionCount)
        {
            throw new InvalidOperationException($"The partitioner returned partition {home} for {PartitionCount} partitions.");
        }

        return home;
    }

    /// <summary>Every partition a row with partition-key value <paramref name="key"/> may be in (the fanOutSize rule).</summary>
    public IEnumerable<int> PartitionsOf(string key)
    {
        var home = HomePartition(key);
        var spread = Math.Min(FanOutSize, PartitionCount);
        for (var i = 0; i < spread; i++)
        {
            yield return (home + i) % PartitionCount;
        }
    }
}

/// <summary>
/// What a filter implies about the partition key of every row it can match: either nothing
/// (<see cref="IsUnconstrained"/>) or a finite set of values (empty when no row can match at all).
/// </summary>
public sealed class KeyConstraint
{
    /// <summary>Any key (and null) may match.</summary>
    public static readonly KeyConstraint Unconstrained = new(null);

    private KeyConstraint(IReadOnlySet<string>? values) => Values = values;

    /// <summary>True when the filter does not restrict the key (or the restriction cannot be derived soundly).</summary>
    public bool IsUnconstrained => Values is null;

    /// <summary>The only key values a matching row can have, or null when unconstrained.</summary>
    public IReadOnlySet<string>? Values { get; }

    /// <summary>A finite set of values.</summary>
    public static KeyConstraint Of(IEnumerable<string> values) => new(new HashSet<string>(values, StringComparer.Ordinal));

    /// <summary>
    /// Derives the constraint of <paramref name="filter"/> on <paramref name="keyDimension"/>. Sound: every row the
    /// filter matches has a key in the result. <c>selector</c>/<c>in</c> (and a lexicographic <c>bound</c> with equal
    /// inclusive ends) on the key give their values; <c>and</c> intersects what its children give (ignoring
    /// unconstrained ones); <c>or</c> unions and is unconstrained if any child is; <c>not</c> is pushed down with
    /// De Morgan's laws and a negated leaf is unconstrained; <c>false</c> (or a negated <c>true</c>) allows no key. Values
    /// that admit a null key make it unconstrained.
    /// </summary>
    public static KeyConstraint Derive(Filter? filter, string keyDimension)
    {
        return filter is null ? Unconstrained : Derive(filter, keyDimension, negated: false);
    }

    private static KeyConstraint Derive(Filter filter, string key, bool negated)
    {
        switch (filter)
        {
            case NotFilter not:
                return Derive(not.Field, key, !negated);
            case AndFilter and:
                return negated ? Union(and.Fields, key, true) : Intersect(and.Fields, key, false);
            case OrFilter or:
                return negated ? Intersect(or.Fields, key, true) : Union(or.Fields, key, false);
            case DimensionFilter { ExtractionFn: not null }:
                // the filter tests an extracted value, which says nothing about the key itself
                return Unconstrained;
            case SelectorFilter { Value: { } value } selector when !negated && selector.Dimension == key:
                return Of([value]);
            case InFilter { MatchesNull: false } inFilter when !negated && inFilter.Dimension == key:
                return Of(inFilter.Values.OfType<string>());
            case BoundFilter { Lower: { } lower, Upper: { } upper, LowerStrict: false, UpperStrict: false, Ordering: StringOrdering.Lexicographic } bound
                when !negated && bound.Dimension == key && lower == upper:
                return Of([lower]);
            case FalseFilter when !negated:
            case TrueFilter when negated:
                return Of([]);
            default:
                return Unconstrained;
        }
    }

    private static KeyConstraint Intersect(IReadOnlyList<Filter> fields, string key, bool negated)
    {
        HashSet<string>? result = null;
        foreach (var field in fields)
        {
            var c = Derive(field, key, negated);
            if (c.Values is null)
            {
                continue;
            }

            if (result is null)
            {
                result = new HashSet<string>(c.Values, StringComparer.Ordinal);
            }
            else
            {
                result.IntersectWith(c.Values);
            }
        }

        return result is null ? Unconstrained : new KeyConstraint(result);
    }

    private static KeyConstraint Union(IReadOnlyList<Filter> fields, string key, bool negated)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in fields)
        {
            var c = Derive(field, key, negated);
            if (c.Values is null)
            {
                return Unconstrained;
            }

            result.UnionWith(c.Values);
        }

        return new KeyConstraint(result);
    }
}
