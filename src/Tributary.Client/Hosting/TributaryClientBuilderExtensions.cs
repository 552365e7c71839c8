using Microsoft.Extensions.Hosting;
using StackExchange.Redis;
using Tributary.Client;

namespace Orleans.Hosting;

/// <summary>Connects an Orleans client to a Tributary cluster.</summary>
public static class TributaryClientBuilderExtensions
{
    /// <summary>
    /// Configures clustering (Redis membership or a localhost gateway) and the Kafka stream providers the
    /// service publishes through; afterwards resolve <see cref="IClusterClient"/> and call Tributary's grains.
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

        return client;
    }
}
