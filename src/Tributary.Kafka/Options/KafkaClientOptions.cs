namespace Tributary.Kafka;

/// <summary>
/// How a Kafka client reaches its cluster: the bootstrap servers and the librdkafka settings passed through to
/// every client (SASL, TLS, timeouts, ...). The Orleans stream provider's options extend it; anything else that
/// talks to Kafka (the range reader, readers of the archive's live tail) takes it as is.
/// </summary>
public class KafkaClientOptions
{
    /// <summary>Comma-separated <c>host:port</c> list of Kafka brokers. Required.</summary>
    public string BootstrapServers { get; set; } = string.Empty;

    /// <summary>
    /// librdkafka settings passed to every client, e.g. <c>security.protocol</c>, <c>sasl.mechanism</c>,
    /// <c>sasl.username</c>, <c>sasl.password</c>. Values of keys containing "password", "secret" or ".key" are
    /// redacted when logged.
    /// </summary>
    public Dictionary<string, string> Settings { get; set; } = new(StringComparer.Ordinal);

    /// <summary>librdkafka settings for consumers only (override <see cref="Settings"/>).</summary>
    public Dictionary<string, string> ConsumerSettings { get; set; } = new(StringComparer.Ordinal);

    /// <summary>librdkafka settings for producers only (override <see cref="Settings"/>).</summary>
    public Dictionary<string, string> ProducerSettings { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Renders librdkafka passthrough settings with secrets redacted, for logs.</summary>
    public static string Redact(IEnumerable<KeyValuePair<string, string>> settings)
        => string.Join(", ", settings.Select(kv => $"{kv.Key}={(IsSecret(kv.Key) ? "***" : kv.Value)}"));

    /// <summary>Whether the value of librdkafka setting <paramref name="key"/> is a secret (never logged).</summary>
    public static bool IsSecret(string key)
        => key.Contains("password", StringComparison.OrdinalIgnoreCase)
           || key.Contains("secret", StringComparison.OrdinalIgnoreCase)
           || key.EndsWith(".key", StringComparison.OrdinalIgnoreCase)
           || key.Contains("jaas", StringComparison.OrdinalIgnoreCase);
}
