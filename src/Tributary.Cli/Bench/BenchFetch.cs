namespace Tributary.Cli.Bench;

/// <summary>
/// The librdkafka fetch settings every consuming bench gives both sides (the raw consumer and the silo's
/// provider), so a ratio measures the code, not the tuning.
/// </summary>
internal static class BenchFetch
{
    /// <summary>Fetch settings; copy before handing them to a <c>ConsumerConfig</c> (it wraps and mutates the dictionary).</summary>
    public static IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["fetch.wait.max.ms"] = "10",
        ["max.partition.fetch.bytes"] = "8388608",
        ["queued.min.messages"] = "100000",
        // The provider's default too (librdkafka's 1 s backoff once a prefetch queue fills would throttle the raw peer).
        ["fetch.queue.backoff.ms"] = "20",
    };

    /// <summary>A fresh copy of <see cref="Settings"/> for one consumer.</summary>
    public static Dictionary<string, string> Copy() => new(Settings, StringComparer.Ordinal);

    /// <summary>Adds the settings to a silo's overrides as <c>Tributary:Kafka:Settings:*</c>.</summary>
    public static void AddTo(IDictionary<string, string?> overrides)
    {
        foreach (var (key, value) in Settings)
        {
            overrides[$"Tributary:Kafka:Settings:{key}"] = value;
        }
    }
}
