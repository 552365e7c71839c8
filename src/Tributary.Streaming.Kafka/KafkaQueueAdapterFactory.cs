using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Providers.Streams.Common;
using Orleans.Streams;

namespace Tributary.Streaming.Kafka;

/// <summary>Creates the Kafka queue adapter, its queue mapper, cache and failure handler.</summary>
public sealed class KafkaQueueAdapterFactory : IQueueAdapterFactory
{
    private readonly KafkaProviderRuntime _runtime;
    private readonly ILoggerFactory _loggerFactory;
    private KafkaQueueMapper? _mapper;
    private SimpleQueueAdapterCache? _cache;

    /// <summary>Creates the factory of provider <paramref name="runtime"/>.</summary>
    public KafkaQueueAdapterFactory(KafkaProviderRuntime runtime, ILoggerFactory loggerFactory)
    {
        _runtime = runtime;
        _loggerFactory = loggerFactory;
    }

    /// <summary>The factory method handed to <c>AddPersistentStreams</c>.</summary>
    public static KafkaQueueAdapterFactory Create(IServiceProvider services, string name)
        => new(services.GetRequiredKeyedService<KafkaProviderRuntime>(name), services.GetRequiredService<ILoggerFactory>());

    /// <inheritdoc />
    public async Task<IQueueAdapter> CreateAdapter()
    {
        // Fails start-up, naming the setting, when the brokers are unreachable or a topic is missing.
        var topology = await _runtime.GetTopologyAsync().ConfigureAwait(false);
        _mapper ??= new KafkaQueueMapper(topology, _runtime.Options.StreamNamespace);
        return new KafkaQueueAdapter(_runtime, _mapper);
    }

    /// <inheritdoc />
    public IQueueAdapterCache GetQueueAdapterCache()
        => _cache ??= new SimpleQueueAdapterCache(new SimpleQueueCacheOptions { CacheSize = _runtime.Options.CacheBatchesPerQueue }, _runtime.Name, _loggerFactory);

    /// <inheritdoc />
    public IStreamQueueMapper GetStreamQueueMapper()
        => _mapper ??= new KafkaQueueMapper(_runtime.Topology, _runtime.Options.StreamNamespace);

    /// <inheritdoc />
    public Task<IStreamFailureHandler> GetDeliveryFailureHandler(QueueId queueId)
        => Task.FromResult<IStreamFailureHandler>(new KafkaDeliveryFailureHandler(_runtime.Logger));
}

/// <summary>
/// Logs deliveries the pulling agent gave up on. Nothing is lost: the consumer's checkpoint did not
/// move past the batch, so the committed offset stays below it and the next owner replays it.
/// </summary>
internal sealed class KafkaDeliveryFailureHandler(ILogger logger) : IStreamFailureHandler
{
    public bool ShouldFaultSubsriptionOnError => false;

    public Task OnDeliveryFailure(GuidId subscriptionId, string streamProviderName, StreamId streamIdentity, StreamSequenceToken? sequenceToken)
    {
        KafkaLog.DeliveryFailed(logger, streamIdentity.ToString(), sequenceToken?.ToString() ?? "?", subscriptionId.ToString());
        return Task.CompletedTask;
    }

    public Task OnSubscriptionFailure(GuidId subscriptionId, string streamProviderName, StreamId streamIdentity, StreamSequenceToken? sequenceToken)
        => OnDeliveryFailure(subscriptionId, streamProviderName, streamIdentity, sequenceToken);
}
