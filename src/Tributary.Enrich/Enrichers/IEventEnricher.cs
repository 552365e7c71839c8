using Tributary.Enrich.Json;

namespace Tributary.Enrich;

/// <summary>A column an enricher adds to every kept event: its name and the SQL type a table holds it in.</summary>
public sealed record EnrichColumn(string Name, string SqlType);

/// <summary>
/// One enrich step: reads fields of a parsed event and writes its columns' values. Implementations are thread-safe
/// (<see cref="EnrichPipeline.Process"/> is called from many threads) and never throw on bad event data: a value
/// they cannot use gives their "unknown" output.
/// </summary>
internal interface IEventEnricher : IAsyncDisposable
{
    /// <summary>The columns this enricher writes, in the order of <see cref="Enrich"/>'s output.</summary>
    IReadOnlyList<EnrichColumn> Columns { get; }

    /// <summary>Writes one value per column into <paramref name="output"/>.</summary>
    void Enrich(in EventView e, Span<object?> output);
}
