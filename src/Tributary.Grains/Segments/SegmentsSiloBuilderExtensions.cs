using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Tributary.Grains;
using Tributary.Grains.Segments;

namespace Orleans.Hosting;

/// <summary>Registers the segment sink, segment grains, catalog and query brokers on a silo.</summary>
public static class SegmentsSiloBuilderExtensions
{
    /// <summary>
    /// Adds the segment subsystem from configuration section <paramref name="section"/> (<c>Tributary:Segments</c>):
    /// <see cref="SegmentsOptions"/> keys at its top level, the object store under <c>Store</c> (<c>Kind</c>
    /// <c>local</c> with <c>LocalPath</c>, or <c>s3</c> with <c>S3</c>; the <see cref="ObjectStoreKeys.Segments"/> store). The Kafka stream provider feeding it is
    /// configured separately with <c>StreamNamespace</c> <see cref="SegmentIngestGrain.StreamNamespace"/>. Dead letters
    /// go to <paramref name="bootstrapServers"/>. Bad options or datasource specs fail start-up naming the key.
    /// </summary>
    public static ISiloBuilder AddTributarySegments(this ISiloBuilder silo, IConfigurationSection section, string bootstrapServers, IReadOnlyDictionary<string, string>? kafkaSettings = null)
    {
        ArgumentNullException.ThrowIfNull(section);
        var services = silo.Services;
        // Validated at start-up like every other options type; checked here too because the datasource specs are
        // loaded now, from DatasourcesPath, so a bad path or spec fails when the host is built, naming the key.
        var options = new SegmentsOptions();
        section.Bind(options);
        var failures = SegmentsOptionsValidator.Collect(options, section.Path).ToList();
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(section.Path, typeof(SegmentsOptions), failures);
        }

        services.AddOptions<SegmentsOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SegmentsOptions>>(new SegmentsOptionsValidator(section.Path)));
        var registry = DatasourceRegistry.Load(options.DatasourcesPath);
        var retention = SegmentsOptionsValidator.CollectRetention(options, registry.Names.Select(n => registry.Find(n)!), section.Path).ToList();
        if (retention.Count > 0)
        {
            throw new OptionsValidationException(section.Path, typeof(SegmentsOptions), retention);
        }

        services.TryAddSingleton(registry);
        services.AddObjectStore(ObjectStoreKeys.Segments, section.GetSection("Store"), "segments-store");
        services.TryAddSingleton<ISegmentQueryExecutor, SegmentEngineQueryExecutor>();
        services.TryAddSingleton<BloomFilterCache>();
        services.TryAddSingleton<SegmentMemoryBudget>();
        services.TryAddSingleton(_ => new DeadLetterProducer(bootstrapServers, kafkaSettings));
        return silo;
    }
}
