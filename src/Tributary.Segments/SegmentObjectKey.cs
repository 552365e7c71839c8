using System.Globalization;

namespace Tributary.Segments;

/// <summary>
/// Formats the object-store keys of one segment, all under <c>{prefix}/{segment key}/</c> (<see cref="SegmentKey"/>):
/// the sealed segment <c>segment.tseg</c>, its Bloom filter <c>bloom.tbf</c> and the open state's event chunks
/// <c>open/{firstOffset:D20}-{lastOffset:D20}-{unique}.events</c>. This is the layout segment grains have always
/// written, so existing stores stay readable.
/// </summary>
public static class SegmentObjectKey
{
    /// <summary>The key of the sealed segment. Deterministic, so sealing again after a crash overwrites the same object.</summary>
    /// <param name="prefix">Key prefix of all segments (<c>segments</c> by default).</param>
    /// <param name="segmentKey">The segment's grain key (<see cref="SegmentKey.Format(string, long, int)"/>).</param>
    public static string Sealed(string prefix, string segmentKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        ArgumentException.ThrowIfNullOrEmpty(segmentKey);
        return $"{prefix}/{segmentKey}/segment.tseg";
    }

    /// <summary>
    /// The key of the sealed segment's Bloom filter of partition-key values, next to the segment: the catalog stores
    /// only this location, and brokers load the filter on demand. Deterministic, like <see cref="Sealed(string, string)"/>.
    /// </summary>
    public static string Bloom(string prefix, string segmentKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        ArgumentException.ThrowIfNullOrEmpty(segmentKey);
        return $"{prefix}/{segmentKey}/bloom.tbf";
    }

    /// <summary>The key of the sealed segment <paramref name="id"/>.</summary>
    public static string Sealed(string prefix, SegmentId id) => Sealed(prefix, id.ToString());

    /// <summary>
    /// The key of one chunk of an open segment's persisted events, holding offsets <paramref name="firstOffset"/> to
    /// <paramref name="lastOffset"/>. <paramref name="unique"/> keeps two activations of one segment (briefly possible
    /// after a silo failure) from overwriting each other's chunk.
    /// </summary>
    public static string Chunk(string prefix, string segmentKey, long firstOffset, long lastOffset, Guid unique)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        ArgumentException.ThrowIfNullOrEmpty(segmentKey);
        return string.Create(CultureInfo.InvariantCulture, $"{prefix}/{segmentKey}/open/{firstOffset:D20}-{lastOffset:D20}-{unique:N}.events");
    }
}
