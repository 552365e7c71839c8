using Microsoft.Extensions.Options;
using Tributary.Kafka;

namespace Tributary.Streaming.Kafka;

/// <summary>Where a partition's consumer starts when its consumer group has no committed offset yet.</summary>
public enum KafkaStartOffset
{
    /// <summary>The oldest retained record (no loss; the default).</summary>
    Earliest,
    /// <summary>Only records produced after the queue was first assigned.</summary>
    Latest,
}

/// <summary>
/// Settings of one Kafka stream provider (named by the provider name). One provider is one consumer
/// group: give every sink its own provider so that each keeps, and shows, its own lag. The connection
/// (<see cref="KafkaClientOptions.BootstrapServers"/> and the librdkafka passthrough settings) is inherited.
/// </summary>
public sealed class KafkaStreamOptions : KafkaClientOptions
{
    /// <summary>Topics this provider consumes; each partition of each topic becomes one Orleans queue. Required.</summary>
    public List<string> Topics { get; set; } = [];

    /// <summary>Kafka consumer group whose committed offsets are the provider's checkpoints. Default: <c>tributary-{provider}</c>.</summary>
    public string? ConsumerGroup { get; set; }

    /// <summary>
    /// Orleans stream namespace of the records. Default: the topic name. Implicit subscriptions match on
    /// the namespace, so two providers over one topic that feed different grain classes set different namespaces.
    /// </summary>
    public string? StreamNamespace { get; set; }

    /// <summary>Most records one batch container (one grain delivery) carries. Default 1,000.</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>Records fetched ahead per partition before the partition is paused (back pressure). Default 20,000.</summary>
    public int MaxBufferedRecordsPerPartition { get; set; } = 20_000;

    /// <summary>Batch containers the Orleans queue cache holds per partition before the agent stops reading. Default 32.</summary>
    public int CacheBatchesPerQueue { get; set; } = 32;

    /// <summary>How often the pulling agent polls a queue when it found nothing. Default 20 ms.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How often reported checkpoints are committed to Kafka. Default 1 s.</summary>
    public TimeSpan CommitInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long start-up waits for broker metadata before failing. Default 15 s.</summary>
    public TimeSpan MetadataTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Start position when the group has no committed offset. Default <see cref="KafkaStartOffset.Earliest"/>.</summary>
    public KafkaStartOffset StartOffset { get; set; } = KafkaStartOffset.Earliest;

    /// <summary>
    /// How long the pulling agent keeps retrying a failing delivery before giving up on a batch.
    /// Default: never give up (a poison batch stalls its partition and shows as lag instead of being lost).
    /// </summary>
    public TimeSpan MaxDeliveryTime { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>The consumer group in effect for provider <paramref name="providerName"/>.</summary>
    public string EffectiveConsumerGroup(string providerName)
        => string.IsNullOrWhiteSpace(ConsumerGroup) ? $"tributary-{providerName}" : ConsumerGroup;
}

/// <summary>
/// Validates <see cref="KafkaStreamOptions"/> at start-up; every message names the setting. Built with the
/// configuration section a provider binds (<c>Tributary:Streams:stats</c>), it validates that provider only and
/// names keys as users write them (<c>Tributary:Streams:stats:BatchSize</c>); without one it validates every
/// provider and names the property (<c>KafkaStreamOptions.BatchSize</c>), for options built in code.
/// </summary>
public sealed class KafkaStreamOptionsValidator(string? providerName = null, string? section = null) : IValidateOptions<KafkaStreamOptions>
{
    private static readonly HashSet<string> ReservedSettings = new(StringComparer.Ordinal)
    {
        "group.id", "enable.auto.commit", "enable.auto.offset.store", "bootstrap.servers",
    };

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, KafkaStreamOptions options)
    {
        if (providerName is not null && !string.Equals(name, providerName, StringComparison.Ordinal))
        {
            return ValidateOptionsResult.Skip;
        }

        var failures = Collect(name ?? Microsoft.Extensions.Options.Options.DefaultName, options, section).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>
    /// How a message names <paramref name="setting"/>: the configuration key under <paramref name="section"/>, or
    /// <c>KafkaStreamOptions.{setting}</c> without one.
    /// </summary>
    public static string Key(string? section, string setting)
        => section is null ? $"{nameof(KafkaStreamOptions)}.{setting}" : $"{section}:{setting}";

    /// <summary>The problems with <paramref name="options"/>, each naming its setting (see <see cref="Key"/>); empty when valid.</summary>
    public static IEnumerable<string> Collect(string providerName, KafkaStreamOptions options, string? section = null)
    {
        var p = $"Kafka stream provider '{providerName}'";
        if (string.IsNullOrWhiteSpace(options.BootstrapServers))
        {
            yield return $"{p}: {Key(section, "BootstrapServers")} is required (comma-separated host:port list).";
        }
        else
        {
            foreach (var server in options.BootstrapServers.Split(',', StringSplitOptions.TrimEntries))
            {
                var colon = server.LastIndexOf(':');
                if (colon <= 0 || !int.TryParse(server.AsSpan(colon + 1), out var port) || port is <= 0 or > 65535)
                {
                    yield return $"{p}: {Key(section, "BootstrapServers")} entry '{server}' is not host:port.";
                }
            }
        }

        if (options.Topics is null || options.Topics.Count == 0)
        {
            yield return $"{p}: {Key(section, "Topics")} must name at least one topic.";
        }
        else
        {
            foreach (var topic in options.Topics)
            {
                if (!IsLegalTopicName(topic))
                {
                    yield return $"{p}: {Key(section, "Topics")} entry '{topic}' is not a legal Kafka topic name ([a-zA-Z0-9._-], 1 to 249 characters).";
                }
            }

            if (options.Topics.Distinct(StringComparer.Ordinal).Count() != options.Topics.Count)
            {
                yield return $"{p}: {Key(section, "Topics")} lists a topic twice.";
            }
        }

        if (options.BatchSize is < 1 or > 1_000_000)
        {
            yield return $"{p}: {Key(section, "BatchSize")} must be between 1 and 1,000,000 (was {options.BatchSize}).";
        }

        if (options.MaxBufferedRecordsPerPartition < options.BatchSize)
        {
            yield return $"{p}: {Key(section, "MaxBufferedRecordsPerPartition")} ({options.MaxBufferedRecordsPerPartition}) must be at least BatchSize ({options.BatchSize}).";
        }

        if (options.CacheBatchesPerQueue < 2)
        {
            yield return $"{p}: {Key(section, "CacheBatchesPerQueue")} must be at least 2 (was {options.CacheBatchesPerQueue}).";
        }

        if (options.PollInterval <= TimeSpan.Zero || options.PollInterval > TimeSpan.FromSeconds(10))
        {
            yield return $"{p}: {Key(section, "PollInterval")} must be between 0 and 10 s (was {options.PollInterval}).";
        }

        if (options.CommitInterval <= TimeSpan.Zero)
        {
            yield return $"{p}: {Key(section, "CommitInterval")} must be positive (was {options.CommitInterval}).";
        }

        if (options.MetadataTimeout <= TimeSpan.Zero)
        {
            yield return $"{p}: {Key(section, "MetadataTimeout")} must be positive (was {options.MetadataTimeout}).";
        }

        if (options.StreamNamespace is { Length: 0 })
        {
            yield return $"{p}: {Key(section, "StreamNamespace")} must not be empty (leave it unset to use the topic name).";
        }

        foreach (var (name, settings) in new[] { ("Settings", options.Settings), ("ConsumerSettings", options.ConsumerSettings), ("ProducerSettings", options.ProducerSettings) })
        {
            foreach (var key in settings.Keys)
            {
                if (ReservedSettings.Contains(key))
                {
                    yield return $"{p}: {SettingKey(section, name, key)} is managed by the provider; use the typed option instead.";
                }
            }
        }
    }

    private static string SettingKey(string? section, string dictionary, string key)
        => section is null ? $"{nameof(KafkaStreamOptions)}.{dictionary}['{key}']" : $"{section}:{dictionary}:{key}";

    /// <summary>Kafka's rule for topic names.</summary>
    public static bool IsLegalTopicName(string? topic)
        => !string.IsNullOrEmpty(topic) && topic.Length <= 249 && topic != "." && topic != ".."
           && topic.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
