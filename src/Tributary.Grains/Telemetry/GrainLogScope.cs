using System.Collections;
using Microsoft.Extensions.Logging;

namespace Tributary.Grains.Telemetry;

/// <summary>
/// The logging scope of one grain's work: its key and Kafka partition (and the sink, for sink grains) as structured
/// fields <c>GrainKey</c>, <c>Partition</c> and <c>Sink</c>, so every log line written while the grain works carries them
/// (console with <c>IncludeScopes</c>, OpenTelemetry logs, JSON loggers).
/// </summary>
public sealed class GrainLogScope : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly KeyValuePair<string, object?>[] _fields;

    /// <summary>The scope of grain <paramref name="grainKey"/> working on Kafka partition <paramref name="partition"/>, for <paramref name="sink"/> when it is a sink's grain.</summary>
    public GrainLogScope(string grainKey, int partition, string? sink = null)
    {
        GrainKey = grainKey;
        Partition = partition;
        Sink = sink;
        _fields = sink is null
            ? [new("GrainKey", grainKey), new("Partition", partition)]
            : [new("GrainKey", grainKey), new("Partition", partition), new("Sink", sink)];
    }

    /// <summary>The grain's primary key.</summary>
    public string GrainKey { get; }

    /// <summary>The Kafka partition.</summary>
    public int Partition { get; }

    /// <summary>The sink (segments, archive, sql, stats), or null.</summary>
    public string? Sink { get; }

    /// <inheritdoc />
    public int Count => _fields.Length;

    /// <inheritdoc />
    public KeyValuePair<string, object?> this[int index] => _fields[index];

    /// <summary>Begins the scope on <paramref name="logger"/> (every logger of its factory sees it).</summary>
    public IDisposable? Begin(ILogger logger) => logger.BeginScope(this);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_fields).GetEnumerator();

    /// <inheritdoc />
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public override string ToString()
        => Sink is null ? $"grain {GrainKey} partition {Partition}" : $"{Sink} grain {GrainKey} partition {Partition}";
}
