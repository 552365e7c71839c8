using Confluent.Kafka;

namespace Tributary.Streaming.Kafka;

/// <summary>
/// The partition counts of a provider's topics, read from broker metadata at start-up. Start-up fails,
/// naming the setting, when no broker answers or a topic does not exist.
/// </summary>
public sealed class KafkaTopology
{
    private readonly Dictionary<string, int> _partitionCounts;

    /// <summary>Builds a topology from known partition counts.</summary>
    public KafkaTopology(IReadOnlyDictionary<string, int> partitionCounts)
    {
        _partitionCounts = new Dictionary<string, int>(partitionCounts, StringComparer.Ordinal);
    }

    /// <summary>Topics in configuration order.</summary>
    public IReadOnlyCollection<string> Topics => _partitionCounts.Keys;

    /// <summary>Partition count of <paramref name="topic"/>; throws naming the topic if it is not one of the provider's.</summary>
    public int PartitionCount(string topic)
        => _partitionCounts.TryGetValue(topic, out var count)
            ? count
            : throw new ArgumentException($"Topic '{topic}' is not one of this provider's topics ({string.Join(", ", _partitionCounts.Keys)}).", nameof(topic));

    /// <summary>Whether <paramref name="topic"/> is one of the provider's topics.</summary>
    public bool Contains(string topic) => _partitionCounts.ContainsKey(topic);

    /// <summary>Every (topic, partition) of the provider, topic by topic.</summary>
    public IEnumerable<(string Topic, int Partition)> AllPartitions()
        => _partitionCounts.SelectMany(kv => Enumerable.Range(0, kv.Value).Select(p => (kv.Key, p)));

    /// <summary>
    /// Reads the topology from the brokers (blocking; call it off any grain thread). Errors name the settings under
    /// <paramref name="configurationSection"/> when given, else the <see cref="KafkaStreamOptions"/> properties.
    /// </summary>
    public static KafkaTopology Discover(string providerName, KafkaStreamOptions options, string? configurationSection = null)
    {
        Metadata metadata;
        using (var admin = new AdminClientBuilder(KafkaStreamClients.Admin(providerName, options))
                   .SetLogHandler((_, _) => { })
                   .Build())
        {
            try
            {
                // All-topics metadata never auto-creates a topic, unlike a request naming one.
                metadata = admin.GetMetadata(options.MetadataTimeout);
            }
            catch (KafkaException ex)
            {
                throw new KafkaStreamConfigurationException(
                    $"Kafka stream provider '{providerName}': {KafkaStreamOptionsValidator.Key(configurationSection, "BootstrapServers")} '{options.BootstrapServers}' did not answer within {options.MetadataTimeout.TotalSeconds:0.#} s ({ex.Error.Reason}).", ex);
            }
        }

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var topic in options.Topics)
        {
            var found = metadata.Topics.FirstOrDefault(t => t.Topic == topic);
            if (found is null || found.Error.Code == Confluent.Kafka.ErrorCode.UnknownTopicOrPart || found.Partitions.Count == 0)
            {
                throw new KafkaStreamConfigurationException(
                    $"Kafka stream provider '{providerName}': {KafkaStreamOptionsValidator.Key(configurationSection, "Topics")} names '{topic}', which does not exist on '{options.BootstrapServers}'.");
            }

            if (found.Error.IsError)
            {
                throw new KafkaStreamConfigurationException(
                    $"Kafka stream provider '{providerName}': {KafkaStreamOptionsValidator.Key(configurationSection, "Topics")} entry '{topic}' cannot be used: {found.Error.Reason}.");
            }

            counts[topic] = found.Partitions.Count;
        }

        return new KafkaTopology(counts);
    }
}

/// <summary>A Kafka stream provider cannot start with its configuration; the message names the setting.</summary>
public sealed class KafkaStreamConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KafkaStreamConfigurationException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
