using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tributary.Enrich;
using Tributary.MySqlLoad;

namespace Tributary.Grains.Sql;

/// <summary>
/// The SQL sink's row transform over the filter-and-enrich stage (<see cref="EnrichPipeline"/>, section
/// <c>Tributary:Enrich</c>): a filtered event is counted under its rule's name, a malformed one is dead-lettered with
/// the pipeline's reason, and a kept one becomes a row of the configured columns (read from the event's fields by
/// <see cref="SqlColumnOptions.Source"/>) followed by the enrichers' output columns.
/// </summary>
public sealed class EnrichRowTransform(EnrichPipeline pipeline, IReadOnlyList<SqlColumnOptions> columns) : ISqlRowTransform
{
    private readonly string[] _sources = [.. columns.Select(c => c.Source ?? c.Name).Concat(pipeline.OutputColumns.Select(c => c.Name))];

    /// <inheritdoc />
    public IReadOnlyList<(string Name, string SqlType)> ExtraColumns { get; } = [.. pipeline.OutputColumns.Select(c => (c.Name, c.SqlType))];

    /// <inheritdoc />
    public SqlRowOutcome Transform(ReadOnlySpan<byte> value)
    {
        var outcome = pipeline.Process(value);
        switch (outcome.Kind)
        {
            case EnrichOutcomeKind.Kept:
                var fields = outcome.Fields!;
                var values = new object?[_sources.Length];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = fields.TryGetValue(_sources[i], out var v) ? v : null;
                }

                return SqlRowOutcome.Row(values);
            case EnrichOutcomeKind.Filtered:
                return SqlRowOutcome.Filtered(outcome.Reason ?? "filtered");
            default:
                return SqlRowOutcome.Malformed(outcome.Reason ?? "malformed");
        }
    }
}

/// <summary>
/// Builds the silo's one <see cref="EnrichPipeline"/> at start-up (it is thread-safe and shared by every partition)
/// and hands each partition an <see cref="EnrichRowTransform"/> over it. Registered by
/// <c>Tributary:SqlSink:Enrich=true</c>.
/// </summary>
public sealed class EnrichRowTransformFactory(IOptions<EnrichOptions> enrich, IOptions<SqlLoadOptions> load, TimeProvider time, ILoggerFactory loggers)
    : ISqlRowTransformFactory, IAsyncDisposable
{
    private EnrichPipeline? _pipeline;

    /// <summary>The pipeline (after <see cref="StartAsync"/>).</summary>
    public EnrichPipeline Pipeline => _pipeline ?? throw new InvalidOperationException("the enrich pipeline is built when the silo starts");

    /// <inheritdoc />
    public IReadOnlyList<(string Name, string SqlType)> ExtraColumns => [.. Pipeline.OutputColumns.Select(c => (c.Name, c.SqlType))];

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
        => _pipeline ??= await EnrichPipeline.CreateAsync(enrich.Value, time, loggers, cancellationToken);

    /// <inheritdoc />
    public ISqlRowTransform Create() => new EnrichRowTransform(Pipeline, load.Value.Columns);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_pipeline is not null)
        {
            await _pipeline.DisposeAsync();
        }
    }
}
