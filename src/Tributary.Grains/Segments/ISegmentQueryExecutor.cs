using Tributary.Query;
using Tributary.Segments;
using Tributary.Segments.Query;
using Tributary.Segments.Schema;

namespace Tributary.Grains.Segments;

/// <summary>Runs a native query on one segment and returns its partial result (a seam for tests and alternative engines).</summary>
public interface ISegmentQueryExecutor
{
    /// <summary>The sketch factory matching the partials this executor produces (for decoding and merging them).</summary>
    ICardinalitySketchFactory Sketches(DatasourceSpec spec);

    /// <summary>The partial result of <paramref name="query"/> over <paramref name="segment"/>.</summary>
    PartialResult Execute(NativeQuery query, ISegment segment, QueryLimits limits, CancellationToken cancellationToken);
}

/// <summary>The bitmap-based engine of Tributary.Segments (<see cref="SegmentQueryEngine"/>).</summary>
public sealed class SegmentEngineQueryExecutor : ISegmentQueryExecutor
{
    /// <inheritdoc />
    public ICardinalitySketchFactory Sketches(DatasourceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return HyperLogLogSketchFactory.ForPrecision(spec.HyperUniquePrecision);
    }

    /// <inheritdoc />
    public PartialResult Execute(NativeQuery query, ISegment segment, QueryLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(segment);
        return SegmentQueryEngine.Execute(segment, query, Sketches(segment.Spec), limits, cancellationToken);
    }
}
