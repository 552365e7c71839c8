using Tributary.Segments.Schema;

namespace Tributary.Segments.Ingest;

/// <summary>
/// One event parsed by <see cref="RowParser"/>: its time and the values of every dimension and metric field.
/// A scratch object that the parser refills; string values are copied into its own buffer, so the row stays
/// valid after the input bytes are reused, until the next parse into it.
/// </summary>
public sealed class ParsedRow
{
    private byte[] _scratch = new byte[512];
    private int _scratchLength;

    /// <summary>Creates a row shaped for <paramref name="spec"/>.</summary>
    public ParsedRow(DatasourceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Spec = spec;
        DimensionOffsets = new int[spec.Dimensions.Count];
        DimensionLengths = new int[spec.Dimensions.Count];
        DimensionLongs = new long[spec.Dimensions.Count];
        MetricLongs = new long[spec.Metrics.Count];
        MetricDoubles = new double[spec.Metrics.Count];
        MetricPresent = new bool[spec.Metrics.Count];
        MetricHashes = new ulong[spec.Metrics.Count];
    }

    /// <summary>The spec the row was parsed for.</summary>
    public DatasourceSpec Spec { get; }

    /// <summary>Event time, Unix epoch milliseconds.</summary>
    public long TimestampMs { get; set; }

    internal int[] DimensionOffsets { get; }

    /// <summary>-1 when the dimension is null (missing).</summary>
    internal int[] DimensionLengths { get; }

    internal long[] DimensionLongs { get; }

    internal long[] MetricLongs { get; }

    internal double[] MetricDoubles { get; }

    internal bool[] MetricPresent { get; }

    internal ulong[] MetricHashes { get; }

    /// <summary>Whether dimension <paramref name="index"/> is null (the field was missing or JSON null).</summary>
    public bool IsNull(int index) => DimensionLengths[index] < 0;

    /// <summary>UTF-8 value of string dimension <paramref name="index"/> (empty when null).</summary>
    public ReadOnlySpan<byte> DimensionUtf8(int index)
        => DimensionLengths[index] < 0 ? default : _scratch.AsSpan(DimensionOffsets[index], DimensionLengths[index]);

    /// <summary>Value of long dimension <paramref name="index"/>.</summary>
    public long DimensionLong(int index) => DimensionLongs[index];

    internal void Reset()
    {
        _scratchLength = 0;
        Array.Fill(DimensionLengths, -1);
        Array.Clear(MetricPresent);
        Array.Clear(MetricLongs);
        Array.Clear(MetricDoubles);
        TimestampMs = long.MinValue;
    }

    internal Span<byte> Reserve(int length, out int offset)
    {
        if (_scratchLength + length > _scratch.Length)
        {
            Array.Resize(ref _scratch, Math.Max(_scratch.Length * 2, _scratchLength + length));
        }

        offset = _scratchLength;
        _scratchLength += length;
        return _scratch.AsSpan(offset, length);
    }

    internal void Shrink(int offset, int length) => _scratchLength = offset + length;
}
