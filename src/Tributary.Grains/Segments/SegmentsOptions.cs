using Microsoft.Extensions.Options;
using Tributary.Query;

namespace Tributary.Grains.Segments;

/// <summary>Options of the segment sink, segment grains and query brokers (section <c>Tributary:Segments</c>).</summary>
public sealed class SegmentsOptions
{
    /// <summary>Directory of datasource spec files (<c>*.json</c>). Default <c>silo-config/datasources</c> under the app directory.</summary>
    public string DatasourcesPath { get; set; } = Path.Combine(AppContext.BaseDirectory, "silo-config", "datasources");

    /// <summary>Dead-letter topic; <c>{datasource}</c> is replaced by the datasource name. Default <c>{datasource}.deadletter</c>.</summary>
    public string DeadLetterTopic { get; set; } = "{datasource}.deadletter";

    /// <summary>A segment persists its open state once this many events are pending. Default 200,000.</summary>
    public int PersistEveryEvents { get; set; } = 200_000;

    /// <summary>How often the sink persists pending segments and moves its checkpoint. Default 5 s.</summary>
    public TimeSpan PersistInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Extra wall-clock time after a segment's hour plus late window before its own timer seals it when no watermark did. Default 1 min.</summary>
    public TimeSpan SealGrace { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Segment queries a broker runs at once per query. Default 32.</summary>
    public int MaxQueryParallelism { get; set; } = 32;

    /// <summary>Object-store key prefix of segments. Default <c>segments</c>.</summary>
    public string KeyPrefix { get; set; } = "segments";

    /// <summary>Bytes of decoded Bloom filters of sealed segments the query brokers of a silo keep (LRU beyond it; 64 MiB).</summary>
    public long BloomCacheBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// How long segments are kept: a segment whose hour ended longer ago than this is dropped from its datasource's
    /// timeline and deleted from the object store (hourly, by the catalog's reminder). Null (the default) keeps
    /// segments forever. Must be longer than every datasource's late window plus its hour, so no segment that still
    /// takes events is dropped.
    /// </summary>
    public TimeSpan? Retention { get; set; }

    /// <summary>
    /// Memory budget of this silo's loaded sealed segments, MiB (fractions allowed); beyond it the least recently
    /// queried sealed segments unload and reload from the object store on their next query (see
    /// <see cref="SegmentMemoryBudget"/>). Open segments do not count and never unload. Default 2048.
    /// </summary>
    public double MemoryBudgetMb { get; set; } = 2048;

    /// <summary>Query limits (timeouts, rows, buckets, segments).</summary>
    public QueryLimitsOptions Limits { get; set; } = new();
}

/// <summary>Validates <see cref="SegmentsOptions"/> bound from configuration section <paramref name="section"/>, naming the bad key.</summary>
/// <param name="section">The section's path as users write it, <c>Tributary:Segments</c>.</param>
public sealed class SegmentsOptionsValidator(string section) : IValidateOptions<SegmentsOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SegmentsOptions options)
    {
        var failures = Collect(options, section).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Every problem, each naming its key under <paramref name="section"/>.</summary>
    public static IEnumerable<string> Collect(SegmentsOptions options, string section)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.DatasourcesPath) || !Directory.Exists(options.DatasourcesPath))
        {
            yield return $"{section}:DatasourcesPath '{options.DatasourcesPath}' is not a directory.";
        }

        if (string.IsNullOrWhiteSpace(options.DeadLetterTopic))
        {
            yield return $"{section}:DeadLetterTopic must not be empty.";
        }

        if (options.PersistEveryEvents <= 0)
        {
            yield return $"{section}:PersistEveryEvents must be positive (was {options.PersistEveryEvents}).";
        }

        if (options.PersistInterval <= TimeSpan.Zero)
        {
            yield return $"{section}:PersistInterval must be positive (was {options.PersistInterval}).";
        }

        if (options.SealGrace < TimeSpan.Zero)
        {
            yield return $"{section}:SealGrace must not be negative (was {options.SealGrace}).";
        }

        if (options.MaxQueryParallelism <= 0)
        {
            yield return $"{section}:MaxQueryParallelism must be positive (was {options.MaxQueryParallelism}).";
        }

        if (options.BloomCacheBytes <= 0)
        {
            yield return $"{section}:BloomCacheBytes must be positive (was {options.BloomCacheBytes}).";
        }

        if (!(options.MemoryBudgetMb > 0) || double.IsInfinity(options.MemoryBudgetMb) || options.MemoryBudgetMb * 1024 * 1024 < 1)
        {
            yield return $"{section}:MemoryBudgetMb must be a positive number of MiB (was {options.MemoryBudgetMb.ToString(System.Globalization.CultureInfo.InvariantCulture)}).";
        }

        if (string.IsNullOrWhiteSpace(options.KeyPrefix))
        {
            yield return $"{section}:KeyPrefix must not be empty.";
        }

        if (options.Retention is { } retention && retention <= TimeSpan.Zero)
        {
            yield return $"{section}:Retention must be positive when set (was {retention}); leave it unset to keep segments forever.";
        }

        foreach (var failure in QueryLimitsOptionsValidator.Validate(options.Limits, $"{section}:Limits"))
        {
            yield return failure;
        }
    }

    /// <summary>
    /// The retention problems against the datasources served: <see cref="SegmentsOptions.Retention"/> must be longer than
    /// each datasource's late window plus one hour (a segment takes events until its hour plus the late window has
    /// passed), naming the key and the datasource.
    /// </summary>
    public static IEnumerable<string> CollectRetention(SegmentsOptions options, IEnumerable<Tributary.Segments.Schema.DatasourceSpec> datasources, string section)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(datasources);
        if (options.Retention is not { } retention || retention <= TimeSpan.Zero)
        {
            yield break;
        }

        foreach (var spec in datasources)
        {
            var open = spec.LateWindow + TimeSpan.FromHours(1);
            if (retention <= open)
            {
                yield return $"{section}:Retention ({retention}) must be longer than datasource '{spec.Name}'s late window plus its hour ({open}): a segment still taking events would be dropped.";
            }
        }
    }
}
