using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Tributary.Grains;
using Tributary.Grains.Archive;
using Tributary.Storage.Archive;

namespace Orleans.Hosting;

/// <summary>Registers the archive sink (grains, options, object store, notifier) on a silo.</summary>
public static class ArchiveSiloBuilderExtensions
{
    /// <summary>
    /// Adds the archive sink from configuration section <paramref name="section"/> (<c>Tributary:Archive</c>):
    /// <see cref="ArchiveOptions"/> keys at its top level, the store under <c>Store</c> (the <see cref="ObjectStoreKeys.Archive"/> store). The Kafka stream provider
    /// feeding it is configured separately with <c>StreamNamespace</c> <see cref="ArchiveIngestGrain.StreamNamespace"/>.
    /// Announcements go to <paramref name="bootstrapServers"/>.
    /// </summary>
    public static ISiloBuilder AddTributaryArchive(this ISiloBuilder silo, IConfigurationSection section, string bootstrapServers, IReadOnlyDictionary<string, string>? kafkaSettings = null)
    {
        var services = silo.Services;
        services.AddOptions<ArchiveOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ArchiveOptions>>(new ArchiveOptionsValidator(section.Path)));
        services.AddObjectStore(ObjectStoreKeys.Archive, section.GetSection("Store"), "archive");
        services.TryAddSingleton<IArchiveNotifier>(sp => new KafkaArchiveNotifier(
            bootstrapServers, sp.GetRequiredService<IOptions<ArchiveOptions>>().Value.NotificationTopic, kafkaSettings));
        return silo;
    }
}
