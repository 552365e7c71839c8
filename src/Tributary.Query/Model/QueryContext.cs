namespace Tributary.Query;

/// <summary>
/// The query <c>context</c>: the keys Tributary reads, validated when parsed (see README for the list); other
/// keys are kept in <see cref="Other"/> and otherwise ignored, as Druid does.
/// </summary>
public sealed record QueryContext
{
    /// <summary>An empty context.</summary>
    public static readonly QueryContext Empty = new();

    /// <summary><c>timeout</c> in milliseconds, if given.</summary>
    public long? TimeoutMillis { get; init; }

    /// <summary><c>priority</c>.</summary>
    public int Priority { get; init; }

    /// <summary><c>queryId</c>.</summary>
    public string? QueryId { get; init; }

    /// <summary><c>explain</c>: answer with the pruning report instead of (HTTP layer: along with) the result.</summary>
    public bool Explain { get; init; }

    /// <summary><c>skipEmptyBuckets</c>: timeseries does not zero-fill empty buckets.</summary>
    public bool SkipEmptyBuckets { get; init; }

    /// <summary><c>grandTotal</c>: timeseries appends a row totalling all buckets, with a null timestamp.</summary>
    public bool GrandTotal { get; init; }

    /// <summary><c>maxResultRows</c>: groupBy groups / topN candidates / scan rows held, if given.</summary>
    public long? MaxResultRows { get; init; }

    /// <summary><c>maxBuckets</c>: granularity buckets, if given.</summary>
    public long? MaxBuckets { get; init; }

    /// <summary><c>maxSegments</c>: segments a query may scan after pruning, if given.</summary>
    public long? MaxSegments { get; init; }

    /// <summary>Every other key, as raw JSON text.</summary>
    public IReadOnlyDictionary<string, string> Other { get; init; } = new Dictionary<string, string>();
}
