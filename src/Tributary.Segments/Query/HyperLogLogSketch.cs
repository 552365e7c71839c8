using Tributary.Bitmaps.Sketches;
using Tributary.Query;

namespace Tributary.Segments.Query;

/// <summary>
/// Tributary.Query's <see cref="ICardinalitySketch"/> over Tributary.Bitmaps' <see cref="HyperLogLog"/>: values hash
/// with the same XxHash3 of their UTF-8 bytes that ingestion uses for <c>hyperUnique</c> metrics, so a sketch fed
/// raw values at query time and one folded from a segment's stored registers agree register for register.
/// </summary>
public sealed class HyperLogLogSketch : ICardinalitySketch
{
    /// <summary>Wraps <paramref name="inner"/> (not copied).</summary>
    public HyperLogLogSketch(HyperLogLog inner) => Inner = inner ?? throw new ArgumentNullException(nameof(inner));

    /// <summary>The wrapped sketch; segment columns fold their registers straight into it.</summary>
    public HyperLogLog Inner { get; }

    /// <inheritdoc />
    public void Add(ReadOnlySpan<byte> value) => Inner.Add(value);

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="other"/> is another implementation or has another precision.</exception>
    public void Merge(ICardinalitySketch other)
    {
        if (other is not HyperLogLogSketch hll)
        {
            throw new ArgumentException($"cannot merge a {other?.GetType().Name ?? "null"} into a HyperLogLog sketch", nameof(other));
        }

        Inner.Merge(hll.Inner);
    }

    /// <inheritdoc />
    public double Estimate() => Inner.Estimate();

    /// <inheritdoc />
    public ICardinalitySketch Clone() => new HyperLogLogSketch(Inner.Clone());

    /// <inheritdoc />
    public byte[] Serialize() => Inner.ToArray();
}

/// <summary>Creates <see cref="HyperLogLogSketch"/>es of one precision (the datasource's <c>hyperUniquePrecision</c>).</summary>
public sealed class HyperLogLogSketchFactory : ICardinalitySketchFactory
{
    /// <summary>A factory at <see cref="HyperLogLog.DefaultPrecision"/>.</summary>
    public static readonly HyperLogLogSketchFactory Default = new(HyperLogLog.DefaultPrecision);

    /// <summary>Creates a factory of sketches with 2^<paramref name="precision"/> registers.</summary>
    public HyperLogLogSketchFactory(int precision)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(precision, HyperLogLog.MinPrecision);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(precision, HyperLogLog.MaxPrecision);
        Precision = precision;
    }

    /// <summary>Precision p of the sketches created.</summary>
    public int Precision { get; }

    /// <summary>The factory for <paramref name="precision"/> (shared for the default precision).</summary>
    public static HyperLogLogSketchFactory ForPrecision(int precision) => precision == HyperLogLog.DefaultPrecision ? Default : new HyperLogLogSketchFactory(precision);

    /// <inheritdoc />
    public ICardinalitySketch Create() => new HyperLogLogSketch(new HyperLogLog(Precision));

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">The bytes are not a sketch of this factory's precision.</exception>
    public ICardinalitySketch Deserialize(ReadOnlySpan<byte> bytes)
    {
        var sketch = HyperLogLog.Read(bytes);
        return sketch.Precision == Precision
            ? new HyperLogLogSketch(sketch)
            : throw new InvalidDataException($"hyperUnique sketch has precision {sketch.Precision}, expected {Precision}");
    }
}
