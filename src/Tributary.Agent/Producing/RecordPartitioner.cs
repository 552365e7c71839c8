using System.Text;
using System.Text.Json;
using Tributary.Agent.Options;
using Tributary.Kafka;

namespace Tributary.Agent.Producing;

/// <summary>Chooses the partition (and the key) of each record of a stream.</summary>
public abstract class RecordPartitioner
{
    /// <summary>Creates the partitioner configured for a stream.</summary>
    public static RecordPartitioner Create(PartitionerOptions options, string? zone)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Type switch
        {
            PartitionerKind.Murmur2 => new Murmur2JsonFieldPartitioner(options.KeyField!),
            PartitionerKind.RoundRobin => new RoundRobinPartitioner(),
            PartitionerKind.Single => new SinglePartitioner(options.Partition),
            PartitionerKind.Fixed => new FixedListPartitioner([.. options.Partitions]),
            PartitionerKind.Locality => new LocalityPartitioner(zone),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Type, "unknown partitioner"),
        };
    }

    /// <summary>Called whenever the topic layout is (re)loaded.</summary>
    public virtual void Update(TopicLayout layout)
    {
    }

    /// <summary>The partition of <paramref name="payload"/>; <paramref name="key"/> is the Kafka key to send (null: none).</summary>
    public abstract int Partition(ReadOnlySpan<byte> payload, TopicLayout layout, out byte[]? key);

    /// <summary>Throws when the configuration does not fit the topic (named partitions that do not exist).</summary>
    public virtual void Check(TopicLayout layout)
    {
    }
}

/// <summary>
/// Java-compatible murmur2 of the UTF-8 key read from a top-level JSON field (strings: their text; other
/// values: their raw JSON), the same function as every Tributary producer, so the topic's keyed
/// partitioning holds. Records that are not JSON objects or lack the field go round-robin without key.
/// </summary>
public sealed class Murmur2JsonFieldPartitioner(string keyField) : RecordPartitioner
{
    private readonly byte[] _field = Encoding.UTF8.GetBytes(keyField);
    private int _next;

    /// <summary>Records without a key (not JSON, or the field is missing).</summary>
    public long Keyless { get; private set; }

    /// <inheritdoc />
    public override int Partition(ReadOnlySpan<byte> payload, TopicLayout layout, out byte[]? key)
    {
        key = ExtractKey(payload, _field);
        if (key is null)
        {
            Keyless++;
            AgentMetrics.KeylessRecords.Add(1);
            return (int)((uint)_next++ % (uint)layout.PartitionCount);
        }

        return Murmur2Partitioner.Partition(key, layout.PartitionCount);
    }

    /// <summary>The key bytes of a top-level field, or null.</summary>
    public static byte[]? ExtractKey(ReadOnlySpan<byte> json, ReadOnlySpan<byte> field)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { AllowTrailingCommas = true });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    return null;
                }

                var match = reader.ValueTextEquals(field);
                reader.Read();
                if (match)
                {
                    return reader.TokenType switch
                    {
                        JsonTokenType.String => Encoding.UTF8.GetBytes(reader.GetString()!),
                        JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False => reader.ValueSpan.ToArray(),
                        _ => null,
                    };
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // not JSON, or cut short before the field: no key
        }

        return null;
    }
}

/// <summary>Each record to the next partition.</summary>
public sealed class RoundRobinPartitioner : RecordPartitioner
{
    private uint _next;

    /// <inheritdoc />
    public override int Partition(ReadOnlySpan<byte> payload, TopicLayout layout, out byte[]? key)
    {
        key = null;
        return (int)(_next++ % (uint)layout.PartitionCount);
    }
}

/// <summary>Every record to one partition.</summary>
public sealed class SinglePartitioner(int partition) : RecordPartitioner
{
    /// <inheritdoc />
    public override void Check(TopicLayout layout)
    {
        if (partition >= layout.PartitionCount)
        {
            throw new InvalidOperationException($"partitioner.partition: {partition} does not exist in topic '{layout.Topic}' ({layout.PartitionCount} partitions)");
        }
    }

    /// <inheritdoc />
    public override int Partition(ReadOnlySpan<byte> payload, TopicLayout layout, out byte[]? key)
    {
        key = null;
        return partition;
    }
}

/// <summary>Round-robin over a fixed list of partitions.</summary>
public sealed class FixedListPartitioner(int[] partitions) : RecordPartitioner
{
    private uint _next;

    /// <inheritdoc />
    public override void Check(TopicLayout layout)
    {
        if (partitions.FirstOrDefault(p => p >= layout.PartitionCount, -1) is var missing and >= 0)
        {
            throw new InvalidOperationException($"partitioner.partitions: {missing} does not exist in topic '{layout.Topic}' ({layout.PartitionCount} partitions)");
        }
    }

    /// <inheritdoc />
    public override int Partition(ReadOnlySpan<byte> payload, TopicLayout layout, out byte[]? key)
    {
        key = null;
        return partitions[_next++ % (uint)partitions.Length];
    }
}

/// <summary>
/// Round-robin over the partitions whose leader broker's rack equals the agent's zone, so records stay
/// in the zone (no cross-zone traffic); when no leader is in the zone, over all partitions, counted in
/// the <c>tributary.agent.locality.fallbacks</c> metric.
/// </summary>
public sealed class LocalityPartitioner(string? zone) : RecordPartitioner
{
    private int[] _local = [];
    private uint _next;

    /// <summary>Whether the last layout had no partition in the zone.</summary>
    public bool FellBack { get; private set; }

    /// <summary>The partitions in use.</summary>
    public IReadOnlyList<int> LocalPartitions => _local;

    /// <inheritdoc />
    public override void Update(TopicLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        _local = layout.PartitionsInZone(zone);
        FellBack = _local.Length == 0;
        if (FellBack)
        {
            _local = [.. Enumerable.Range(0, layout.PartitionCount)];
            AgentMetrics.LocalityFallbacks.Add(1, new KeyValuePair<string, object?>("topic", layout.Topic));
        }
    }

    /// <inheritdoc />
    public override int Partition(ReadOnlySpan<byte> payload, TopicLayout layout, out byte[]? key)
    {
        key = null;
        return _local[_next++ % (uint)_local.Length];
    }
}
