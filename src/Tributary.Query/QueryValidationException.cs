namespace Tributary.Query;

/// <summary>
/// A query that cannot be accepted: malformed JSON, a missing or mistyped field, an unknown type, or a
/// reference to a name that does not exist. <see cref="Path"/> names the offending field the way Druid users
/// write it (<c>aggregations[1].fieldName</c>), so the HTTP layer can answer 400 naming it.
/// </summary>
public class QueryValidationException : Exception
{
    /// <summary>Creates an exception for the field at <paramref name="path"/>.</summary>
    public QueryValidationException(string path, string reason)
        : base(string.IsNullOrEmpty(path) ? reason : $"{path}: {reason}")
    {
        Path = path;
        Reason = reason;
    }

    /// <summary>Creates an exception for the field at <paramref name="path"/> caused by <paramref name="inner"/>.</summary>
    public QueryValidationException(string path, string reason, Exception inner)
        : base(string.IsNullOrEmpty(path) ? reason : $"{path}: {reason}", inner)
    {
        Path = path;
        Reason = reason;
    }

    /// <summary>The JSON path of the bad field (empty for the whole document).</summary>
    public string Path { get; }

    /// <summary>What is wrong with the field, without the path.</summary>
    public string Reason { get; }
}

/// <summary>
/// A well-formed query that asks for something Tributary does not implement (e.g. the <c>cardinality</c>
/// aggregator, extraction functions, join data sources). Reported as Druid's "Unsupported operation".
/// </summary>
public sealed class QueryUnsupportedException : QueryValidationException
{
    /// <summary>Creates an exception for the unsupported feature at <paramref name="path"/>.</summary>
    public QueryUnsupportedException(string path, string reason)
        : base(path, reason)
    {
    }
}

/// <summary>A query exceeded one of its limits (rows, buckets); reported as Druid's "Resource limit exceeded".</summary>
public sealed class QueryLimitExceededException : Exception
{
    /// <summary>Creates an exception naming the <paramref name="limit"/> (context key) that was exceeded.</summary>
    public QueryLimitExceededException(string limit, string message)
        : base(message)
    {
        Limit = limit;
    }

    /// <summary>The context key of the exceeded limit, e.g. <c>maxResultRows</c>.</summary>
    public string Limit { get; }
}
