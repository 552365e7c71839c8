namespace Tributary.Query;

/// <summary>
/// Druid's <c>search</c> query: the values of <see cref="SearchDimensions"/> (all dimensions when null) that match
/// <see cref="Query"/> among the rows passing the filter and intervals, with their row counts, per granularity bucket,
/// sorted by <see cref="Sort"/> and cut to <see cref="Limit"/> hits per bucket.
/// </summary>
public sealed record SearchQuery : NativeQuery
{
    /// <summary>The bucketing (Druid's default: all).</summary>
    public Granularity Granularity { get; init; } = Granularity.All;

    /// <summary>The dimensions searched (<see cref="DimensionSpec.OutputName"/> is what a hit reports); null means every dimension.</summary>
    public IReadOnlyList<DimensionSpec>? SearchDimensions { get; init; }

    /// <summary>What a value must match.</summary>
    public required SearchQuerySpec Query { get; init; }

    /// <summary>The order of hits: by value under this ordering, then by dimension name (Druid's <c>sort</c>).</summary>
    public StringOrdering Sort { get; init; } = StringOrdering.Lexicographic;

    /// <summary>Hits returned per bucket at most (Druid's default 1000).</summary>
    public int Limit { get; init; } = 1000;

    /// <inheritdoc />
    public override string QueryType => "search";

    /// <summary>The dimensions to search: <see cref="SearchDimensions"/>, or every one of <paramref name="all"/>.</summary>
    public IReadOnlyList<DimensionSpec> DimensionsOf(IEnumerable<string> all) =>
        SearchDimensions ?? [.. all.Select(d => new DimensionSpec(d, d))];
}

/// <summary>Druid's <c>dataSourceMetadata</c> query: the latest event time ingested (<c>maxIngestedEventTime</c>).</summary>
public sealed record DataSourceMetadataQuery : NativeQuery
{
    /// <inheritdoc />
    public override string QueryType => "dataSourceMetadata";
}

/// <summary>A search hit's identity: the dimension (its output name) and the value.</summary>
public readonly record struct SearchHitKey(string Dimension, string Value);

/// <summary>
/// A search partial: per granularity bucket (<see cref="Granularity.AllBucket"/> for all), every matching
/// (dimension, value) with its row count. Segments ship every hit (no per-segment limit), so the merge is exact.
/// </summary>
public sealed class SearchPartial : PartialResult
{
    /// <summary>Bucket start to hit to count.</summary>
    public Dictionary<long, Dictionary<SearchHitKey, long>> Buckets { get; } = [];

    /// <summary>The earliest matching row time (the "all" bucket's time for unbounded intervals).</summary>
    public long? MinTimestamp { get; set; }

    /// <summary>Adds <paramref name="count"/> rows at <paramref name="timestamp"/> to a hit.</summary>
    public void Add(Granularity granularity, long timestamp, SearchHitKey key, long count)
    {
        ArgumentNullException.ThrowIfNull(granularity);
        if (MinTimestamp is not { } min || timestamp < min)
        {
            MinTimestamp = timestamp;
        }

        var bucket = granularity.Truncate(timestamp);
        if (!Buckets.TryGetValue(bucket, out var hits))
        {
            hits = [];
            Buckets[bucket] = hits;
        }

        hits[key] = hits.GetValueOrDefault(key) + count;
    }
}

/// <summary>A dataSourceMetadata partial: the segment's latest row time, if it has rows.</summary>
public sealed class DataSourceMetadataPartial(long? maxIngestedEventTime) : PartialResult
{
    /// <summary>The latest row time.</summary>
    public long? MaxIngestedEventTime { get; } = maxIngestedEventTime;
}

/// <summary>One search hit: <c>{"dimension":..,"value":..,"count":..}</c>.</summary>
public sealed record SearchHit(string Dimension, string Value, long Count);

/// <summary>One search bucket: <c>{"timestamp":..,"result":[hits]}</c>.</summary>
public sealed record SearchBucket(long Timestamp, IReadOnlyList<SearchHit> Result);

/// <summary>A search result.</summary>
public sealed class SearchResult(IReadOnlyList<SearchBucket> buckets) : QueryResult
{
    /// <summary>The non-empty buckets in time order.</summary>
    public IReadOnlyList<SearchBucket> Buckets { get; } = buckets;
}

/// <summary>A dataSourceMetadata result; empty when the datasource has no rows.</summary>
public sealed class DataSourceMetadataResult(long? maxIngestedEventTime) : QueryResult
{
    /// <summary>The latest ingested row time.</summary>
    public long? MaxIngestedEventTime { get; } = maxIngestedEventTime;
}
