using Microsoft.Extensions.Options;
using Tributary.Streaming.Kafka;

namespace Tributary.Silo;

/// <summary>
/// The silo's settings: section <c>Tributary</c> of <c>silo-config/appsettings.json</c>, overlaid by
/// <c>appsettings.{profile}.json</c>, environment variables (<c>Tributary__Kafka__BootstrapServers</c>)
/// and command-line arguments (<c>--Tributary:Http:Urls=...</c>).
/// </summary>
public sealed class TributarySettings
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Tributary";

    /// <summary>Profile name: <c>embedded</c> (everything in-process) or <c>cluster</c> (Redis, external Kafka, S3).</summary>
    public string Profile { get; set; } = "embedded";

    /// <summary>
    /// How long <c>/healthz</c> waits for each dependency (Redis PING, the cluster's membership) before it answers
    /// unhealthy naming the one that did not answer. Default 2 seconds.
    /// </summary>
    public TimeSpan HealthTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Orleans cluster id.</summary>
    public string ClusterId { get; set; } = "tributary";

    /// <summary>Orleans service id (keeps grain state across cluster redeployments).</summary>
    public string ServiceId { get; set; } = "tributary";

    /// <summary>Address silos listen on and advertise. 127.0.0.1 by default.</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Client gateway port.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>HTTP endpoint of the query API, dashboard and health check.</summary>
    public string HttpUrls { get; set; } = "http://127.0.0.1:8080";

    /// <summary>Cluster membership: <c>localhost</c> (single silo) or <c>redis</c>.</summary>
    public string Clustering { get; set; } = "localhost";

    /// <summary>Grain state and reminders: <c>memory</c> or <c>redis</c>.</summary>
    public string GrainStorage { get; set; } = "memory";

    /// <summary>Redis connection string (StackExchange.Redis syntax), used when clustering or storage is <c>redis</c>.</summary>
    public string? RedisConnectionString { get; set; }

    /// <summary>Kafka connection shared by every stream provider.</summary>
    public KafkaSettings Kafka { get; set; } = new();

    /// <summary>Stream providers by name (one consumer group each); their BootstrapServers default to <see cref="KafkaSettings.BootstrapServers"/>.</summary>
    public Dictionary<string, KafkaStreamOptions> Streams { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>Kafka connection settings.</summary>
public sealed class KafkaSettings
{
    /// <summary>Brokers of an external Kafka; ignored when the dev broker is enabled.</summary>
    public string? BootstrapServers { get; set; }

    /// <summary>The in-process librdkafka mock cluster (embedded profile).</summary>
    public DevBrokerSettings DevBroker { get; set; } = new();

    /// <summary>librdkafka settings applied to every provider (SASL, TLS); secrets belong in environment variables.</summary>
    public Dictionary<string, string> Settings { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>The in-process dev broker.</summary>
public sealed class DevBrokerSettings
{
    /// <summary>Whether the silo hosts a mock Kafka cluster itself.</summary>
    public bool Enabled { get; set; }

    /// <summary>Mock brokers.</summary>
    public int Brokers { get; set; } = 3;

    /// <summary>Topics to create, as <c>name:partitions</c>.</summary>
    public List<string> Topics { get; set; } = [];
}

/// <summary>Validates <see cref="TributarySettings"/>; each message names the configuration key.</summary>
public sealed class TributarySettingsValidator : IValidateOptions<TributarySettings>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, TributarySettings s)
    {
        var errors = new List<string>();
        const string p = TributarySettings.SectionName;
        if (s.Clustering is not ("localhost" or "redis"))
        {
            errors.Add($"{p}:Clustering must be 'localhost' or 'redis' (was '{s.Clustering}').");
        }

        if (s.GrainStorage is not ("memory" or "redis"))
        {
            errors.Add($"{p}:GrainStorage must be 'memory' or 'redis' (was '{s.GrainStorage}').");
        }

        if ((s.Clustering == "redis" || s.GrainStorage == "redis") && string.IsNullOrWhiteSpace(s.RedisConnectionString))
        {
            errors.Add($"{p}:RedisConnectionString is required when {p}:Clustering or {p}:GrainStorage is 'redis'.");
        }

        if (s.HealthTimeout <= TimeSpan.Zero || s.HealthTimeout > TimeSpan.FromMinutes(1))
        {
            errors.Add($"{p}:HealthTimeout must be positive and at most 00:01:00 (was {s.HealthTimeout}).");
        }

        if (!System.Net.IPAddress.TryParse(s.ListenAddress, out _))
        {
            errors.Add($"{p}:ListenAddress must be an IP address (was '{s.ListenAddress}').");
        }

        foreach (var (key, port) in new[] { ("SiloPort", s.SiloPort), ("GatewayPort", s.GatewayPort) })
        {
            if (port is <= 0 or > 65535)
            {
                errors.Add($"{p}:{key} must be a TCP port (was {port}).");
            }
        }

        foreach (var url in s.HttpUrls.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                errors.Add($"{p}:HttpUrls entry '{url}' is not an http(s) URL.");
            }
        }

        if ((s.Clustering == "redis" || s.GrainStorage == "redis") && !string.IsNullOrWhiteSpace(s.RedisConnectionString))
        {
            try
            {
                if (StackExchange.Redis.ConfigurationOptions.Parse(s.RedisConnectionString).EndPoints.Count == 0)
                {
                    errors.Add($"{p}:RedisConnectionString names no host:port (was '{Redact(s.RedisConnectionString)}').");
                }
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or NotSupportedException)
            {
                errors.Add($"{p}:RedisConnectionString is not a StackExchange.Redis configuration: {ex.Message}");
            }
        }

        // Checked here, where the user wrote it, not only in each stream provider that inherits it.
        if (!s.Kafka.DevBroker.Enabled && !string.IsNullOrWhiteSpace(s.Kafka.BootstrapServers))
        {
            foreach (var server in s.Kafka.BootstrapServers.Split(',', StringSplitOptions.TrimEntries))
            {
                var colon = server.LastIndexOf(':');
                if (colon <= 0 || !int.TryParse(server.AsSpan(colon + 1), out var port) || port is <= 0 or > 65535)
                {
                    errors.Add($"{p}:Kafka:BootstrapServers entry '{server}' is not host:port.");
                }
            }
        }

        if (s.Kafka.DevBroker.Enabled)
        {
            if (s.Kafka.DevBroker.Brokers is < 1 or > 16)
            {
                errors.Add($"{p}:Kafka:DevBroker:Brokers must be between 1 and 16 (was {s.Kafka.DevBroker.Brokers}).");
            }

            foreach (var topic in s.Kafka.DevBroker.Topics)
            {
                if (!DevBrokerTopic.TryParse(topic, out _))
                {
                    errors.Add($"{p}:Kafka:DevBroker:Topics entry '{topic}' is not 'name:partitions'.");
                }
            }
        }
        else if (s.Streams.Count > 0 && string.IsNullOrWhiteSpace(s.Kafka.BootstrapServers)
                 && s.Streams.Values.Any(o => string.IsNullOrWhiteSpace(o.BootstrapServers)))
        {
            errors.Add($"{p}:Kafka:BootstrapServers is required when {p}:Kafka:DevBroker:Enabled is false.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary><paramref name="connection"/> with its password replaced, for messages.</summary>
    internal static string Redact(string connection)
        => string.Join(",", connection.Split(',').Select(part => part.TrimStart().StartsWith("password=", StringComparison.OrdinalIgnoreCase) ? "password=***" : part));
}

/// <summary>A <c>name:partitions</c> topic spec of the dev broker.</summary>
public readonly record struct DevBrokerTopic(string Name, int Partitions)
{
    /// <summary>Parses <c>name:partitions</c>.</summary>
    public static bool TryParse(string spec, out DevBrokerTopic topic)
    {
        topic = default;
        var colon = spec.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(spec.AsSpan(colon + 1), out var partitions) || partitions is < 1 or > 10_000)
        {
            return false;
        }

        var name = spec[..colon];
        if (!KafkaStreamOptionsValidator.IsLegalTopicName(name))
        {
            return false;
        }

        topic = new DevBrokerTopic(name, partitions);
        return true;
    }

    /// <summary>Parses <c>name:partitions</c> or throws naming the spec.</summary>
    public static DevBrokerTopic Parse(string spec)
        => TryParse(spec, out var topic) ? topic : throw new FormatException($"'{spec}' is not a topic spec 'name:partitions'.");
}
