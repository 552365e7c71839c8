namespace Tributary.Enrich;

/// <summary>What <see cref="EnrichPipeline.Process"/> did with an event.</summary>
public enum EnrichOutcomeKind
{
    /// <summary>Passed the filter; <see cref="EnrichOutcome.Fields"/> holds its fields and the enrichers' outputs.</summary>
    Kept,

    /// <summary>Dropped by a filter rule; <see cref="EnrichOutcome.Reason"/> is the rule's name.</summary>
    Filtered,

    /// <summary>Not a JSON object; <see cref="EnrichOutcome.Reason"/> says what is wrong and where. The caller keeps it (dead letter).</summary>
    Malformed,
}

/// <summary>
/// The result of one event. Kept: <see cref="Fields"/> = the event's top-level fields (string, long, double, bool,
/// null; nested objects and arrays as their raw JSON text) plus one entry per <see cref="EnrichPipeline.OutputColumns"/>
/// (an enricher's output replaces an event field of the same name). Filtered: <see cref="Reason"/> = the rule's name.
/// Malformed: <see cref="Reason"/> = what is wrong.
/// </summary>
public readonly record struct EnrichOutcome(EnrichOutcomeKind Kind, string? Reason, IReadOnlyDictionary<string, object?>? Fields);

/// <summary>A snapshot of the pipeline's counters since it started (the same counts the metrics report).</summary>
public sealed record EnrichStats(
    long Kept,
    long Malformed,
    IReadOnlyDictionary<string, long> FilteredByReason,
    long PinCategoryMissing,
    long GeoUnknown)
{
    /// <summary>Events dropped by any rule.</summary>
    public long Filtered => FilteredByReason.Values.Sum();
}
