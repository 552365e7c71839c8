using Microsoft.Extensions.Time.Testing;

namespace Tributary.Query.Tests;

public sealed class QueryLimitsTests
{
    private static QueryContext Context(string json) => QueryParser.Parse($$"""{"queryType":"timeBoundary","dataSource":"d","context":{{json}}}""").Context;

    [Fact]
    public void Resolve_EmptyContext_UsesServerDefaults()
    {
        var options = new QueryLimitsOptions { DefaultTimeout = TimeSpan.FromSeconds(30), DefaultMaxResultRows = 7, DefaultMaxBuckets = 8, DefaultMaxSegments = 9 };
        Assert.Equal(new QueryLimits(TimeSpan.FromSeconds(30), 7, 8, 9), QueryLimits.Resolve(QueryContext.Empty, options));
    }

    [Fact]
    public void Resolve_ContextValues_OverrideDefaults()
    {
        var limits = QueryLimits.Resolve(Context("""{"timeout":1500,"maxResultRows":"100","maxBuckets":50,"maxSegments":20}"""), new QueryLimitsOptions());
        Assert.Equal(new QueryLimits(TimeSpan.FromMilliseconds(1500), 100, 50, 20), limits);
    }

    [Fact]
    public void Resolve_ZeroTimeout_MeansServerMaximum()
    {
        var options = new QueryLimitsOptions { MaxTimeout = TimeSpan.FromMinutes(2), DefaultTimeout = TimeSpan.FromMinutes(1) };
        Assert.Equal(TimeSpan.FromMinutes(2), QueryLimits.Resolve(Context("""{"timeout":0}"""), options).Timeout);
    }

    [Theory]
    [InlineData("""{"timeout":600000}""", "context.timeout")]
    [InlineData("""{"maxResultRows":99999999999}""", "context.maxResultRows")]
    [InlineData("""{"maxBuckets":99999999999}""", "context.maxBuckets")]
    [InlineData("""{"maxSegments":99999999999}""", "context.maxSegments")]
    public void Resolve_ValueAboveServerMaximum_ThrowsNamingTheKey(string context, string path)
    {
        var ex = Assert.Throws<QueryValidationException>(() => QueryLimits.Resolve(Context(context), new QueryLimitsOptions()));
        Assert.Equal(path, ex.Path);
    }

    [Fact]
    public void Validate_BadOptions_NamesEachKey()
    {
        var errors = QueryLimitsOptionsValidator.Validate(new QueryLimitsOptions { DefaultTimeout = TimeSpan.FromMinutes(10), MaxBucketsCap = 0 });
        Assert.Contains(errors, e => e.Contains("Tributary:Query:Limits:DefaultTimeout", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Tributary:Query:Limits:MaxBucketsCap", StringComparison.Ordinal));
        Assert.Empty(QueryLimitsOptionsValidator.Validate(new QueryLimitsOptions()));
    }

    [Fact]
    public void CreateTimeoutSource_TimeAdvancesPastTimeout_Cancels()
    {
        var time = new FakeTimeProvider();
        using var cts = new QueryLimits(TimeSpan.FromSeconds(2), 1, 1, 1).CreateTimeoutSource(time);
        time.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.False(cts.IsCancellationRequested);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(cts.IsCancellationRequested);
    }
}
