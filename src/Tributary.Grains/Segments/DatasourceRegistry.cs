using Tributary.Query;
using Tributary.Segments.Schema;
using Tributary.Kafka;

namespace Tributary.Grains.Segments;

/// <summary>The datasource specs a silo serves, loaded once at start-up (a bad spec fails start-up naming the file and key).</summary>
public sealed class DatasourceRegistry
{
    private readonly Dictionary<string, DatasourceSpec> _byName;
    private readonly Dictionary<string, DatasourceSpec> _byTopic;
    private readonly Dictionary<string, PartitionLayout> _layouts;

    /// <summary>Creates a registry of <paramref name="specs"/>; two datasources on one topic are refused.</summary>
    public DatasourceRegistry(IEnumerable<DatasourceSpec> specs)
    {
        ArgumentNullException.ThrowIfNull(specs);
        _byName = new(StringComparer.Ordinal);
        _byTopic = new(StringComparer.Ordinal);
        _layouts = new(StringComparer.Ordinal);
        foreach (var spec in specs)
        {
            _byName.Add(spec.Name, spec);
            if (!_byTopic.TryAdd(spec.Topic, spec))
            {
                throw new InvalidOperationException($"Datasources '{_byTopic[spec.Topic].Name}' and '{spec.Name}' both read topic '{spec.Topic}'; one segment sink per topic is supported.");
            }

            _layouts[spec.Name] = new PartitionLayout(spec.Partitioning.Key, spec.Partitioning.Partitions, spec.Partitioning.FanOutSize, static (key, n) => Murmur2Partitioner.Partition(key, n));
        }
    }

    /// <summary>Loads every <c>*.json</c> spec in <paramref name="directory"/>.</summary>
    public static DatasourceRegistry Load(string directory) => new(DatasourceSpecLoader.LoadDirectory(directory).Values);

    /// <summary>Datasource names, sorted.</summary>
    public IReadOnlyList<string> Names => [.. _byName.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The spec of <paramref name="name"/>, or null.</summary>
    public DatasourceSpec? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The spec reading <paramref name="topic"/>, or null.</summary>
    public DatasourceSpec? FindByTopic(string topic) => _byTopic.GetValueOrDefault(topic);

    /// <summary>The partition layout the planner inverts for <paramref name="name"/>.</summary>
    public PartitionLayout? Layout(string name) => _layouts.GetValueOrDefault(name);
}
