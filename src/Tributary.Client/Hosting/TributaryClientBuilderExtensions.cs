using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Tributary.Client;
using Tributary.Client.Unified;
using Tributary.Kafka;
using Tributary.Storage.Archive;

namespace Orleans.Hosting;

/// <summary>Connects an Orleans client to a Tributary cluster.</summary>
public static class TributaryClientBuilderExtensions
{
    /// <summary>
    /// Configures clustering (Redis membership or a localhost gateway) and the Kafka stream providers the
    /// service publishes through; afterwards resolve <see cref="IClusterClient"/> and call Tributary's grains.
    /// With <c>Tributary:Unified:Enabled</c> true in the client's configuration it also registers
    /// <see cref="IUnifiedSourceFactory"/>: the archive's store from <c>Tributary:Archive:Store</c> and its layout from
    /// <c>Tributary:Archive</c> (the silos' keys), Kafka from <c>Tributary:Kafka</c>, reader settings from
    /// <c>Tributary:Unified</c>, all validated at start-up with messages naming the key; aligned sources report to
    /// their job's watermark grain through this client.
    /// </summary>
    public static IClientBuilder AddTributaryClient(this IClientBuilder client, Action<TributaryClientOptions> configure)
    {
        var options = new TributaryClientOptions();
        configure(options);
        client.Configure<Orleans.Configuration.ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = options.ServiceId;
        });
        if (options.RedisConnectionString is { } redis)
        {
            client.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(redis));
        }
        else
        {
            client.UseLocalhostClustering(options.GatewayPort, options.ServiceId, options.ClusterId);
        }

        foreach (var (name, stream) in options.Streams)
        {
            client.AddKafkaStreams(name, o =>
            {
                o.BootstrapServers = stream.BootstrapServers;
                o.Topics = [.. stream.Topics];
                o.StreamNamespace = stream.StreamNamespace;
                o.Settings = new(stream.Settings);
                o.ProducerSettings = new(stream.ProducerSettings);
                o.ConsumerGroup = stream.ConsumerGroup;
            });
        }

        var unified = client.Configuration.GetSection($"{options.ConfigurationRoot}:Unified");
        if (unified.GetValue<bool>(nameof(UnifiedClientOptions.Enabled)))
        {
            AddUnifiedSource(client.Services, client.Configuration.GetSection(options.ConfigurationRoot));
        }

        return client;
    }

    private static void AddUnifiedSource(IServiceCollection services, IConfigurationSection root)
    {
        var archive = root.GetSection("Archive");
        services.AddOptions<UnifiedClientOptions>().Bind(root.GetSection("Unified")).ValidateOnStart();
        services.AddOptions<KafkaClientOptions>(TributaryClientKeys.Kafka).Bind(root.GetSection("Kafka"));
        services.AddOptions<ArchiveOptions>().Bind(archive).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ArchiveOptions>>(new ArchiveOptionsValidator(archive.Path)));
        services.AddSingleton<IValidateOptions<UnifiedClientOptions>>(sp => new UnifiedClientOptionsValidator(
            sp.GetRequiredService<IOptionsMonitor<KafkaClientOptions>>(), root.Path));
        services.AddObjectStore(TributaryClientKeys.ArchiveStore, archive.GetSection("Store"), "archive");
        services.TryAddSingleton<IUnifiedSourceFactory, UnifiedSourceFactory>();
    }
}
