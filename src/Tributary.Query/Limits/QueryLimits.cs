namespace Tributary.Query;

/// <summary>
/// Server-side bounds for query limits: the defaults applied when a query's context is silent and the maxima a
/// context may ask for. Bind from configuration section <c>Tributary:Query:Limits</c> and check with
/// <see cref="QueryLimitsOptionsValidator"/> at start-up.
/// </summary>
public sealed class QueryLimitsOptions
{
    /// <summary>Timeout when <c>context.timeout</c> is absent (Druid's default: 300000 ms).</summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The largest timeout a query may ask for; <c>context.timeout: 0</c> means this.</summary>
    public TimeSpan MaxTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Default for <c>context.maxResultRows</c>: groupBy groups and scan rows held in memory.</summary>
    public long DefaultMaxResultRows { get; set; } = 500_000;

    /// <summary>The largest <c>context.maxResultRows</c> accepted.</summary>
    public long MaxResultRowsCap { get; set; } = 5_000_000;

    /// <summary>Default for <c>context.maxBuckets</c>: granularity buckets in one result.</summary>
    public long DefaultMaxBuckets { get; set; } = 100_000;

    /// <summary>The largest <c>context.maxBuckets</c> accepted.</summary>
    public long MaxBucketsCap { get; set; } = 1_000_000;

    /// <summary>Default for <c>context.maxSegments</c>: segments scanned after pruning.</summary>
    public long DefaultMaxSegments { get; set; } = 100_000;

    /// <summary>The largest <c>context.maxSegments</c> accepted.</summary>
    public long MaxSegmentsCap { get; set; } = 1_000_000;
}

/// <summary>Validates <see cref="QueryLimitsOptions"/>, naming the bad key (wrap it in an <c>IValidateOptions</c> in the host).</summary>
public static class QueryLimitsOptionsValidator
{
    /// <summary>Every problem found, each naming its key; empty when valid.</summary>
    public static IReadOnlyList<string> Validate(QueryLimitsOptions options, string section = "Tributary:Query:Limits")
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        void Positive(string key, double value)
        {
            if (value <= 0)
            {
                errors.Add($"{section}:{key} must be positive, got {value}.");
            }
        }

        void AtMost(string key, long value, string capKey, long cap)
        {
            if (value > cap)
            {
                errors.Add($"{section}:{key} ({value}) must not exceed {section}:{capKey} ({cap}).");
            }
        }

        Positive(nameof(options.DefaultTimeout), options.DefaultTimeout.TotalMilliseconds);
        Positive(nameof(options.MaxTimeout), options.MaxTimeout.TotalMilliseconds);
        Positive(nameof(options.DefaultMaxResultRows), options.DefaultMaxResultRows);
        Positive(nameof(options.MaxResultRowsCap), options.MaxResultRowsCap);
        Positive(nameof(options.DefaultMaxBuckets), options.DefaultMaxBuckets);
        Positive(nameof(options.MaxBucketsCap), options.MaxBucketsCap);
        Positive(nameof(options.DefaultMaxSegments), options.DefaultMaxSegments);
        Positive(nameof(options.MaxSegmentsCap), options.MaxSegmentsCap);
        AtMost(nameof(options.DefaultTimeout), (long)options.DefaultTimeout.TotalMilliseconds, nameof(options.MaxTimeout), (long)options.MaxTimeout.TotalMilliseconds);
        AtMost(nameof(options.DefaultMaxResultRows), options.DefaultMaxResultRows, nameof(options.MaxResultRowsCap), options.MaxResultRowsCap);
        AtMost(nameof(options.DefaultMaxBuckets), options.DefaultMaxBuckets, nameof(options.MaxBucketsCap), options.MaxBucketsCap);
        AtMost(nameof(options.DefaultMaxSegments), options.DefaultMaxSegments, nameof(options.MaxSegmentsCap), options.MaxSegmentsCap);
        return errors;
    }
}

/// <summary>
/// The limits one query runs under, resolved from its context against the server's <see cref="QueryLimitsOptions"/>.
/// The builders and the merger enforce rows and buckets (throwing <see cref="QueryLimitExceededException"/>); the
/// broker enforces <see cref="Timeout"/> with <see cref="CreateTimeoutSource"/>, and <see cref="MaxSegments"/> after pruning.
/// </summary>
public sealed record QueryLimits(TimeSpan Timeout, long MaxResultRows, long MaxBuckets, long MaxSegments)
{
    /// <summary>No practical limit (for tests and offline tools).</summary>
    public static readonly QueryLimits Unlimited = new(System.Threading.Timeout.InfiniteTimeSpan, long.MaxValue, long.MaxValue, long.MaxValue);

    /// <summary>Resolves a query's limits; a context value above the server maximum fails naming <c>context.KEY</c>.</summary>
    public static QueryLimits Resolve(QueryContext context, QueryLimitsOptions options)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        var maxTimeoutMs = (long)options.MaxTimeout.TotalMilliseconds;
        var timeoutMs = context.TimeoutMillis switch
        {
            null => (long)options.DefaultTimeout.TotalMilliseconds,
            0 => maxTimeoutMs,
            var t when t > maxTimeoutMs => throw new QueryValidationException("context.timeout", $"{t} ms exceeds the server's maximum of {maxTimeoutMs} ms"),
            var t => t.Value,
        };
        return new QueryLimits(
            TimeSpan.FromMilliseconds(timeoutMs),
            Pick(context.MaxResultRows, options.DefaultMaxResultRows, options.MaxResultRowsCap, "maxResultRows"),
            Pick(context.MaxBuckets, options.DefaultMaxBuckets, options.MaxBucketsCap, "maxBuckets"),
            Pick(context.MaxSegments, options.DefaultMaxSegments, options.MaxSegmentsCap, "maxSegments"));
    }

    /// <summary>A cancellation source that fires when the timeout elapses on <paramref name="timeProvider"/>.</summary>
    public CancellationTokenSource CreateTimeoutSource(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        return Timeout == System.Threading.Timeout.InfiniteTimeSpan ? new CancellationTokenSource() : new CancellationTokenSource(Timeout, timeProvider);
    }

    /// <summary>Throws if <paramref name="rows"/> exceeds <see cref="MaxResultRows"/>.</summary>
    public void CheckRows(long rows, string what)
    {
        if (rows > MaxResultRows)
        {
            throw new QueryLimitExceededException("maxResultRows", $"Resource limit exceeded: {what} exceeds maxResultRows ({MaxResultRows}); narrow the query or raise context.maxResultRows");
        }
    }

    /// <summary>Throws if <paramref name="buckets"/> exceeds <see cref="MaxBuckets"/>.</summary>
    public void CheckBuckets(long buckets)
    {
        if (buckets > MaxBuckets)
        {
            throw new QueryLimitExceededException("maxBuckets", $"Resource limit exceeded: more than {MaxBuckets} granularity buckets (maxBuckets); use a coarser granularity, shorter intervals, or raise context.maxBuckets");
        }
    }

    /// <summary>Throws if <paramref name="segments"/> exceeds <see cref="MaxSegments"/>.</summary>
    public void CheckSegments(long segments)
    {
        if (segments > MaxSegments)
        {
            throw new QueryLimitExceededException("maxSegments", $"Resource limit exceeded: the query would scan {segments} segments, more than maxSegments ({MaxSegments})");
        }
    }

    private static long Pick(long? requested, long defaultValue, long cap, string key)
    {
        return requested switch
        {
            null => defaultValue,
            var r when r > cap => throw new QueryValidationException($"context.{key}", $"{r} exceeds the server's maximum of {cap}"),
            var r => r.Value,
        };
    }
}
