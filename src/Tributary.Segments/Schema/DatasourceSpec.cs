using Tributary.Query;

namespace Tributary.Segments.Schema;

/// <summary>
/// What a datasource ingests and how it stores it (one JSON file per datasource in
/// <c>silo-config/datasources/</c>, loaded and validated by <see cref="DatasourceSpecLoader"/>).
/// </summary>
public sealed record DatasourceSpec
{
    /// <summary>Datasource name, as queries name it (<c>dataSource</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Kafka topic the datasource ingests.</summary>
    public required string Topic { get; init; }

    /// <summary>Where each event's time comes from.</summary>
    public required TimestampSpec Timestamp { get; init; }

    /// <summary>Dimension columns, in the order rows are sorted when a segment seals.</summary>
    public required IReadOnlyList<DimensionSpec> Dimensions { get; init; }

    /// <summary>Metric columns (aggregated at ingestion when <see cref="GranularitySpec.Rollup"/> is on).</summary>
    public required IReadOnlyList<MetricSpec> Metrics { get; init; }

    /// <summary>How events are spread over Kafka partitions (and so over segments).</summary>
    public required PartitionSpec Partitioning { get; init; }

    /// <summary>Segment and query granularity.</summary>
    public required GranularitySpec Granularity { get; init; }

    /// <summary>How late (after its segment's end) an event is still accepted; default 3 hours. A segment seals at its end plus this.</summary>
    public TimeSpan LateWindow { get; init; } = TimeSpan.FromHours(3);

    /// <summary>How far ahead of the ingesting clock an event may be; later events are rejected. Null: no limit.</summary>
    public TimeSpan? EarlyRejection { get; init; }

    /// <summary>Precision of hyperUnique sketches (registers = 2^p).</summary>
    public int HyperUniquePrecision { get; init; } = Bitmaps.Sketches.HyperLogLog.DefaultPrecision;

    /// <summary>Target false-positive rate of a sealed segment's partition-key Bloom filter.</summary>
    public double BloomFilterFalsePositiveRate { get; init; } = 0.01;

    /// <summary>The dimension that is the partition key.</summary>
    public DimensionSpec PartitionDimension => Dimensions.First(d => d.Name == Partitioning.Key);

    /// <summary>Index of <paramref name="name"/> in <see cref="Dimensions"/>, or -1.</summary>
    public int DimensionIndex(string name)
    {
        for (var i = 0; i < Dimensions.Count; i++)
        {
            if (Dimensions[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Index of <paramref name="name"/> in <see cref="Metrics"/>, or -1.</summary>
    public int MetricIndex(string name)
    {
        for (var i = 0; i < Metrics.Count; i++)
        {
            if (Metrics[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Start (Unix ms) of the segment that holds an event at <paramref name="timestampMs"/>.</summary>
    public long SegmentStart(long timestampMs) => Granularity.Segment.Truncate(timestampMs);

    /// <summary>Whether an event at <paramref name="timestampMs"/> is accepted at <paramref name="nowMs"/>, or why not.</summary>
    public EventAdmission Admit(long timestampMs, long nowMs)
    {
        var segmentEnd = Granularity.Segment.Truncate(timestampMs) + Granularity.Segment.Milliseconds;
        if (segmentEnd + (long)LateWindow.TotalMilliseconds <= nowMs)
        {
            return EventAdmission.TooLate;
        }

        return EarlyRejection is { } early && timestampMs > nowMs + (long)early.TotalMilliseconds
            ? EventAdmission.TooEarly
            : EventAdmission.Accepted;
    }
}

/// <summary>Outcome of <see cref="DatasourceSpec.Admit"/>.</summary>
public enum EventAdmission
{
    /// <summary>Goes into its hour's segment.</summary>
    Accepted,

    /// <summary>Its segment sealed already (segment end + late window has passed): dead-lettered.</summary>
    TooLate,

    /// <summary>Further ahead of the clock than the early-rejection period: dead-lettered.</summary>
    TooEarly,
}

/// <summary>Event-time field and its format.</summary>
/// <param name="Field">JSON field holding the time.</param>
/// <param name="Format">How the field is written.</param>
public sealed record TimestampSpec(string Field, TimestampFormat Format);

/// <summary>Supported event-time formats.</summary>
public enum TimestampFormat
{
    /// <summary>ISO-8601 string (<c>2026-11-23T10:00:01.123Z</c>, offsets allowed).</summary>
    Iso,

    /// <summary>Unix epoch milliseconds (number or numeric string).</summary>
    Millis,

    /// <summary>Unix epoch seconds (number or numeric string, fractions allowed).</summary>
    Posix,
}

/// <summary>A dimension column.</summary>
/// <param name="Name">Column name in queries.</param>
/// <param name="FieldName">JSON field it is read from.</param>
/// <param name="Type">Value type.</param>
public sealed record DimensionSpec(string Name, string FieldName, DimensionType Type);

/// <summary>Dimension value types.</summary>
public enum DimensionType
{
    /// <summary>UTF-8 text; JSON numbers and booleans are kept as their text.</summary>
    String,

    /// <summary>64-bit integer (JSON number or numeric string).</summary>
    Long,
}

/// <summary>A metric column.</summary>
/// <param name="Type">Aggregation applied at ingestion (rollup): the same types, with the same names, as query aggregators.</param>
/// <param name="Name">Column name in queries.</param>
/// <param name="FieldName">JSON field it is computed from; null for <see cref="AggregatorType.Count"/>.</param>
public sealed record MetricSpec(AggregatorType Type, string Name, string? FieldName);

/// <summary>Partitioning of the source topic.</summary>
/// <param name="Key">Dimension that is the Kafka key (murmur2-partitioned).</param>
/// <param name="Partitions">Partition count of the topic.</param>
/// <param name="FanOutSize">Partitions one key may be spread over (hot keys); 1 = exactly one.</param>
public sealed record PartitionSpec(string Key, int Partitions, int FanOutSize);

/// <summary>Segment and rollup granularity.</summary>
/// <param name="Segment">Time span of one segment (hour or day).</param>
/// <param name="Query">Timestamps are truncated to this before rollup.</param>
/// <param name="Rollup">Whether rows with the same truncated time and dimension values merge.</param>
public sealed record GranularitySpec(FixedGranularity Segment, FixedGranularity Query, bool Rollup);
