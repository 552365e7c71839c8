namespace Tributary.Query;

/// <summary>A datasource's <c>timestampSpec</c> as segmentMetadata reports it: <c>{"column":..,"format":..,"missingValue":null}</c>.</summary>
/// <param name="Column">The input field the event time is read from.</param>
/// <param name="Format">Druid's format name (<c>iso</c>, <c>millis</c>, <c>posix</c>).</param>
public sealed record SegmentTimestampSpec(string Column, string Format);

/// <summary>
/// What a datasource's segments record about their ingestion, reported by segmentMetadata's <c>aggregators</c>,
/// <c>timestampSpec</c>, <c>queryGranularity</c> and <c>rollup</c> analyses.
/// </summary>
/// <param name="Metrics">The ingestion-time metric aggregators (as the datasource spec lists them).</param>
/// <param name="TimestampSpec">Where the event time comes from.</param>
/// <param name="QueryGranularity">The rollup granularity's Druid name (<c>none</c>, <c>minute</c>, <c>hour</c>, ...).</param>
/// <param name="Rollup">Whether rows were rolled up at ingestion.</param>
public sealed record DatasourceMetadata(IReadOnlyList<AggregatorSpec> Metrics, SegmentTimestampSpec TimestampSpec, string QueryGranularity, bool Rollup)
{
    /// <summary>
    /// The aggregators a segment reports, as Druid stores them in a segment: each metric's combining aggregator, which
    /// reads the metric column itself (<c>count</c> becomes <c>longSum</c> over the count column).
    /// </summary>
    public IEnumerable<AggregatorSpec> CombiningAggregators =>
        Metrics.Select(m => new AggregatorSpec(m.Type == AggregatorType.Count ? AggregatorType.LongSum : m.Type, m.Name, m.Name));

    /// <summary>Adds the analyses of <paramref name="query"/> that this metadata answers to <paramref name="analysis"/>.</summary>
    public SegmentAnalysis Apply(SegmentAnalysis analysis, SegmentMetadataQuery query)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(query);
        var types = query.AnalysisTypes;
        OrderedDictionary<string, AggregatorSpec?>? aggregators = null;
        if ((types & AnalysisTypes.Aggregators) != 0)
        {
            aggregators = new OrderedDictionary<string, AggregatorSpec?>(StringComparer.Ordinal);
            foreach (var a in CombiningAggregators)
            {
                aggregators[a.Name] = a;
            }
        }

        return analysis with
        {
            Aggregators = aggregators,
            TimestampSpec = (types & AnalysisTypes.TimestampSpec) != 0 ? TimestampSpec : null,
            QueryGranularity = (types & AnalysisTypes.QueryGranularity) != 0 ? QueryGranularity : null,
            Rollup = (types & AnalysisTypes.Rollup) != 0 ? Rollup : null,
        };
    }
}

/// <summary>How segmentMetadata merges the <c>aggregators</c> of several segments (Druid's <c>aggregatorMergeStrategy</c>).</summary>
public enum AggregatorMergeStrategy
{
    /// <summary>Any difference (or a segment without aggregators) makes the merged aggregators null.</summary>
    Strict,

    /// <summary>Aggregators of one name that differ become null; the others are kept.</summary>
    Lenient,

    /// <summary>The aggregators of the segment with the earliest interval.</summary>
    Earliest,

    /// <summary>The aggregators of the segment with the latest interval.</summary>
    Latest,
}
