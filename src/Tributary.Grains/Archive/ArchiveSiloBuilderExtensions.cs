using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Tributary.Grains.Archive;
using Tributary.Storage;
using Tributary.Storage.Archive;

namespace Orleans.Hosting;

/// <summary>Where the archive sink stores its files.</summary>
public sealed class ArchiveStoreSettings
{
    /// <summary><c>local</c> (a directory, the embedded default) or <c>s3</c>.</summary>
    public string Kind { get; set; } = "local";

    /// <summary>Root directory of the local store. Default <c>archive</c> under the current directory.</summary>
    public string LocalPath { get; set; } = "archive";

    /// <summary>S3 settings when <see cref="Kind"/> is <c>s3</c>.</summary>
    public S3ObjectStoreOptions S3 { get; set; } = new();
}

/// <summary>Registers the archive sink (grains, options, object store, notifier) on a silo.</summary>
public static class ArchiveSiloBuilderExtensions
{
    /// <summary>
    /// Adds the archive sink from configuration section <paramref name="section"/> (<c>Tributary:Archive</c>):
    /// <see cref="ArchiveOptions"/> keys at its top level, the store under <c>Store</c>. The Kafka stream provider
    /// feeding it is configured separately with <c>StreamNamespace</c> <see cref="ArchiveIngestGrain.StreamNamespace"/>.
    /// Announcements go to <paramref name="bootstrapServers"/>.
    /// </summary>
    public static ISiloBuilder AddTributaryArchive(this ISiloBuilder silo, IConfigurationSection section, string bootstrapServers, IReadOnlyDictionary<string, string>? kafkaSettings = null)
    {
        var services = silo.Services;
        services.AddOptions<ArchiveOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ArchiveOptions>>(new PrefixedArchiveValidator(section.Path)));
        var store = new ArchiveStoreSettings();
        section.GetSection("Store").Bind(store);
        switch (store.Kind)
        {
            case "s3":
                services.AddS3ObjectStore(o => o.Bind(section.GetSection("Store:S3")));
                break;
            case "local":
                services.AddLocalDirectoryObjectStore(store.LocalPath);
                break;
            default:
                throw new OptionsValidationException(section.Path, typeof(ArchiveStoreSettings), [$"{section.Path}:Store:Kind must be 'local' or 's3' (was '{store.Kind}')."]);
        }

        services.TryAddSingleton<IArchiveNotifier>(sp => new KafkaArchiveNotifier(
            bootstrapServers, sp.GetRequiredService<IOptions<ArchiveOptions>>().Value.NotificationTopic, kafkaSettings));
        return silo;
    }

    private sealed class PrefixedArchiveValidator(string prefix) : IValidateOptions<ArchiveOptions>
    {
        public ValidateOptionsResult Validate(string? name, ArchiveOptions options)
        {
            var failures = ArchiveOptionsValidator.Collect(options, prefix).ToList();
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
