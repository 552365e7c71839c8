using System.Diagnostics.Metrics;

namespace Tributary.Enrich;

/// <summary>
/// The pipeline's instruments on the meter <c>Tributary.Enrich</c> (<see cref="MeterName"/>):
/// <c>tributary.enrich.filtered</c> (tag <c>reason</c> = rule name), <c>tributary.enrich.kept</c>,
/// <c>tributary.enrich.malformed</c>, <c>tributary.enrich.pin_category.missing</c>.
/// </summary>
internal sealed class EnrichMetrics : IDisposable
{
    public const string MeterName = "Tributary.Enrich";

    private readonly Meter _meter;

    public EnrichMetrics(IMeterFactory? factory)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        Filtered = _meter.CreateCounter<long>("tributary.enrich.filtered", "{event}", "Events dropped by a filter rule, by rule name (tag reason).");
        Kept = _meter.CreateCounter<long>("tributary.enrich.kept", "{event}", "Events that passed the filter and were enriched.");
        Malformed = _meter.CreateCounter<long>("tributary.enrich.malformed", "{event}", "Events that are not a JSON object.");
        PinCategoryMissing = _meter.CreateCounter<long>("tributary.enrich.pin_category.missing", "{event}", "Events whose pin id the dimension table does not have.");
    }

    public Counter<long> Filtered { get; }

    public Counter<long> Kept { get; }

    public Counter<long> Malformed { get; }

    public Counter<long> PinCategoryMissing { get; }

    public void Dispose() => _meter.Dispose();
}
