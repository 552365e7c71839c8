namespace Tributary.Client;

/// <summary>How a service reaches a Tributary cluster.</summary>
public sealed class TributaryClientOptions
{
    /// <summary>Orleans cluster id of the silos.</summary>
    public string ClusterId { get; set; } = "tributary";

    /// <summary>Orleans service id of the silos.</summary>
    public string ServiceId { get; set; } = "tributary";

    /// <summary>Redis connection string of the cluster's membership table; null for a localhost silo.</summary>
    public string? RedisConnectionString { get; set; }

    /// <summary>Gateway port of a localhost silo (used when <see cref="RedisConnectionString"/> is null).</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Configuration section the unified source reads (<c>{root}:Unified</c>, <c>{root}:Archive</c>, <c>{root}:Kafka</c>). Default <c>Tributary</c>.</summary>
    public string ConfigurationRoot { get; set; } = "Tributary";

    /// <summary>Kafka stream providers to publish through, by name (the same names the silos use).</summary>
    public Dictionary<string, Tributary.Streaming.Kafka.KafkaStreamOptions> Streams { get; set; } = new(StringComparer.Ordinal);
}
