namespace Tributary.Agent.Options;

/// <summary>
/// The agent's main configuration file. Log streams come from <see cref="Streams"/>, from one JSON file
/// each in <see cref="ConfDirectory"/> (picked up while running) and from Kubernetes discovery.
/// </summary>
public sealed class AgentOptions
{
    /// <summary>Host name reported in heartbeats and audit records (default: the machine name).</summary>
    public string? Host { get; set; }

    /// <summary>The agent's zone (rack) for the locality-aware partitioner.</summary>
    public string? Zone { get; set; }

    /// <summary>Where watermarks and quarantine files live (required).</summary>
    public string DataDirectory { get; set; } = string.Empty;

    /// <summary>Folder of log-stream files (<c>*.json</c>, one stream each); relative to the main file. Optional.</summary>
    public string? ConfDirectory { get; set; }

    /// <summary>How often the conf.d folder and the Kubernetes root are rescanned.</summary>
    public int ConfPollIntervalMs { get; set; } = 1000;

    /// <summary>librdkafka settings of every producer (at least <c>bootstrap.servers</c>).</summary>
    public Dictionary<string, string> Kafka { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Heartbeats (host, version, streams, lag).</summary>
    public HeartbeatOptions Heartbeat { get; set; } = new();

    /// <summary>Per-batch audit records.</summary>
    public AuditOptions Audit { get; set; } = new();

    /// <summary>Kubernetes pod log discovery.</summary>
    public KubernetesOptions Kubernetes { get; set; } = new();

    /// <summary>Streams declared in the main file.</summary>
    public List<LogStreamOptions> Streams { get; set; } = [];
}

/// <summary>Heartbeat settings.</summary>
public sealed class HeartbeatOptions
{
    /// <summary>Heartbeat topic; empty disables heartbeats.</summary>
    public string? Topic { get; set; } = "tributary_agent_heartbeat";

    /// <summary>Seconds between heartbeats.</summary>
    public double IntervalSeconds { get; set; } = 10;
}

/// <summary>Audit settings.</summary>
public sealed class AuditOptions
{
    /// <summary>Audit topic; empty disables audit records.</summary>
    public string? Topic { get; set; } = "tributary_agent_audit";
}

/// <summary>
/// Kubernetes discovery: every <c>{Root}/{namespace}_{pod}_{uid}/{container}/*.log</c> becomes a stream built
/// from <see cref="Stream"/> (its directory and pattern are filled in), with namespace, pod and container headers.
/// </summary>
public sealed class KubernetesOptions
{
    /// <summary>Turns discovery on.</summary>
    public bool Enabled { get; set; }

    /// <summary>The pod log root.</summary>
    public string Root { get; set; } = "/var/log/pods";

    /// <summary>Template of the discovered streams (topic, reader, partitioner, batching).</summary>
    public LogStreamOptions Stream { get; set; } = new();
}
