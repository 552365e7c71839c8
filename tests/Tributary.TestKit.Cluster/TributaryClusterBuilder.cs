using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Tributary.Silo;

namespace Tributary.TestKit.Cluster;

/// <summary>
/// Builds an Orleans <see cref="TestCluster"/> whose silos are composed exactly like production silos
/// (<see cref="TributarySiloBuilderExtensions.AddTributary"/> from the host configuration): Redis grain storage
/// (<see cref="RedisServer"/>), the Kafka mock cluster (<see cref="KafkaTestCluster"/>) with a short fetch wait, and
/// per-test file logging (<see cref="FileTestLog"/>, off unless <c>TRIBUTARY_TEST_LOG</c> is set). A test adds its
/// streams and sink settings, then deploys.
/// </summary>
public sealed class TributaryClusterBuilder
{
    private readonly Dictionary<string, string?> _settings;

    /// <summary>Starts a builder for <paramref name="silos"/> silos of service <paramref name="serviceId"/>.</summary>
    /// <param name="silos">Initial silo count.</param>
    /// <param name="serviceId">The Orleans service id (also names the consumer groups of <see cref="WithStream"/>).</param>
    /// <param name="clusterId">The Orleans cluster id; the service id when null.</param>
    public TributaryClusterBuilder(short silos, string serviceId, string? clusterId = null)
    {
        ServiceId = serviceId;
        Builder = new TestClusterBuilder(silos);
        Builder.Options.ClusterId = clusterId ?? serviceId;
        Builder.Options.ServiceId = serviceId;
        // first, so configurators a test adds through Builder run after the production composition
        Builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        _settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["Tributary:GrainStorage"] = "redis",
            ["Tributary:RedisConnectionString"] = RedisServer.ConnectionString,
            ["Tributary:Kafka:BootstrapServers"] = KafkaTestCluster.BootstrapServers,
            ["Tributary:Kafka:Settings:fetch.wait.max.ms"] = "10",
        };
    }

    /// <summary>The Orleans service id.</summary>
    public string ServiceId { get; }

    /// <summary>The underlying builder, for extra silo configurators (they run after the production composition).</summary>
    public TestClusterBuilder Builder { get; }

    /// <summary>A new random id of <paramref name="length"/> characters starting with <paramref name="prefix"/>.</summary>
    public static string NewId(char prefix, int length = 12) => $"{prefix}{Guid.NewGuid():N}"[..length];

    /// <summary>Adds Kafka stream provider <paramref name="name"/> over <paramref name="topic"/>, consumer group <c>group-{ServiceId}</c>.</summary>
    public TributaryClusterBuilder WithStream(string name, string topic, string streamNamespace, int batchSize)
    {
        _settings[$"Tributary:Streams:{name}:Topics:0"] = topic;
        _settings[$"Tributary:Streams:{name}:StreamNamespace"] = streamNamespace;
        _settings[$"Tributary:Streams:{name}:ConsumerGroup"] = $"group-{ServiceId}";
        _settings[$"Tributary:Streams:{name}:BatchSize"] = batchSize.ToString(CultureInfo.InvariantCulture);
        return this;
    }

    /// <summary>Sets (or overrides) host configuration keys; a null dictionary changes nothing.</summary>
    public TributaryClusterBuilder With(IEnumerable<KeyValuePair<string, string?>>? settings)
    {
        foreach (var (key, value) in settings ?? [])
        {
            _settings[key] = value;
        }

        return this;
    }

    /// <summary>Builds and deploys the cluster.</summary>
    public async Task<TestCluster> DeployAsync()
    {
        Builder.ConfigureHostConfiguration(c => c.AddInMemoryCollection(_settings));
        var cluster = Builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var settings = TributarySiloHost.LoadSettings(siloBuilder.Configuration);
            siloBuilder.AddTributary(settings, siloBuilder.Configuration);
            var name = siloBuilder.Configuration["Orleans:Name"] ?? siloBuilder.Configuration["SiloName"] ?? "silo";
            siloBuilder.Services.AddLogging(l => FileTestLog.AddIfEnabled(l, name));
        }
    }
}
