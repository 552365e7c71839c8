using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tributary.Streaming.Kafka;

namespace Orleans.Hosting;

/// <summary>Registers Kafka stream providers on silos and clients.</summary>
public static class KafkaStreamingHostingExtensions
{
    /// <summary>
    /// Adds a Kafka persistent stream provider named <paramref name="name"/> to the silo: each Kafka
    /// partition of the configured topics is one Orleans queue, balanced over the silos on the consistent ring.
    /// </summary>
    public static ISiloBuilder AddKafkaStreams(this ISiloBuilder builder, string name, Action<KafkaStreamOptions> configure)
        => builder.AddKafkaStreams(name, ob => ob.Configure(configure));

    /// <summary>
    /// Adds a Kafka stream provider whose options come from an <see cref="OptionsBuilder{TOptions}"/> (bind configuration
    /// here). Give the <paramref name="configurationSection"/> path it binds (<c>Tributary:Streams:stats</c>) and start-up
    /// errors name its keys as users write them.
    /// </summary>
    public static ISiloBuilder AddKafkaStreams(this ISiloBuilder builder, string name, Action<OptionsBuilder<KafkaStreamOptions>> configureOptions, string? configurationSection = null)
    {
        AddCommon(builder.Services, name, configureOptions, configurationSection);
        builder.AddPersistentStreams(name, KafkaQueueAdapterFactory.Create, stream =>
        {
            stream.UseConsistentRingQueueBalancer();
            stream.ConfigurePullingAgent(agent => agent.Configure<IOptionsMonitor<KafkaStreamOptions>>((o, kafka) =>
            {
                var k = kafka.Get(name);
                o.GetQueueMsgsTimerPeriod = k.PollInterval;
                o.MaxEventDeliveryTime = k.MaxDeliveryTime == Timeout.InfiniteTimeSpan ? TimeSpan.MaxValue : k.MaxDeliveryTime;
                // Containers already carry BatchSize records each; deliver them one container at a time.
                o.BatchContainerBatchSize = 1;
            }));
        });
        return builder;
    }

    /// <summary>Adds a Kafka stream provider to a client, for publishing with <c>OnNextAsync</c>.</summary>
    public static IClientBuilder AddKafkaStreams(this IClientBuilder builder, string name, Action<KafkaStreamOptions> configure)
        => builder.AddKafkaStreams(name, ob => ob.Configure(configure));

    /// <summary>Adds a Kafka stream provider to a client, options from an <see cref="OptionsBuilder{TOptions}"/>.</summary>
    public static IClientBuilder AddKafkaStreams(this IClientBuilder builder, string name, Action<OptionsBuilder<KafkaStreamOptions>> configureOptions, string? configurationSection = null)
    {
        AddCommon(builder.Services, name, configureOptions, configurationSection);
        builder.AddPersistentStreams(name, KafkaQueueAdapterFactory.Create, _ => { });
        return builder;
    }

    private static void AddCommon(IServiceCollection services, string name, Action<OptionsBuilder<KafkaStreamOptions>> configureOptions, string? configurationSection)
    {
        var options = services.AddOptions<KafkaStreamOptions>(name);
        configureOptions(options);
        options.ValidateOnStart();
        // One validator per provider: each names its own section's keys.
        services.AddSingleton<IValidateOptions<KafkaStreamOptions>>(new KafkaStreamOptionsValidator(name, configurationSection));
        services.AddKeyedSingleton(name, (sp, _) => new KafkaProviderRuntime(
            name, sp.GetRequiredService<IOptionsMonitor<KafkaStreamOptions>>().Get(name), sp.GetRequiredService<ILoggerFactory>(), configurationSection));
        services.AddKeyedSingleton<IKafkaCheckpointer>(name, (sp, _) => sp.GetRequiredKeyedService<KafkaProviderRuntime>(name).Checkpointer);
    }
}
