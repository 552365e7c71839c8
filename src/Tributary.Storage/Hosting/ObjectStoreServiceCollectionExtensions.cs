using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tributary.Storage;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Tributary's object stores, one keyed <see cref="IObjectStore"/> per part that keeps objects.</summary>
public static class ObjectStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <see cref="IObjectStore"/> keyed <paramref name="key"/> (consumers take
    /// <c>[FromKeyedServices("archive")] IObjectStore</c>), from configuration section <paramref name="section"/>
    /// (<c>Tributary:Archive:Store</c>: <c>Kind</c> <c>local</c> with <c>LocalPath</c>, default
    /// <paramref name="defaultLocalPath"/>, or <c>s3</c> with <c>S3</c>). The section binds the
    /// <see cref="ObjectStoreOptions"/> named <paramref name="key"/>, validated at start-up by
    /// <see cref="ObjectStoreOptionsValidator"/> with messages naming the key as written in configuration. An unknown
    /// <c>Kind</c> fails here already, when the host is built. A store registered under <paramref name="key"/>
    /// before (a test's own) is kept.
    /// </summary>
    public static IServiceCollection AddObjectStore(this IServiceCollection services, string key, IConfigurationSection section, string defaultLocalPath)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        ArgumentNullException.ThrowIfNull(section);
        var kind = section[nameof(ObjectStoreOptions.Kind)] ?? ObjectStoreOptions.LocalKind;
        if (!ObjectStoreOptions.IsKnownKind(kind))
        {
            throw new OptionsValidationException(key, typeof(ObjectStoreOptions), [ObjectStoreOptionsValidator.KindFailure(kind, section.Path)]);
        }

        services.AddOptions<ObjectStoreOptions>(key)
            .Configure(o => o.LocalPath = defaultLocalPath)
            .Bind(section)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ObjectStoreOptions>>(new ObjectStoreOptionsValidator(key, section.Path));
        services.TryAddKeyedSingleton<IObjectStore>(key, (sp, _) => Create(sp, key));
        return services;
    }

    private static IObjectStore Create(IServiceProvider services, string key)
    {
        var options = services.GetRequiredService<IOptionsMonitor<ObjectStoreOptions>>().Get(key);
        if (options.Kind != ObjectStoreOptions.S3Kind)
        {
            return new LocalDirectoryObjectStore(options.LocalPath);
        }

        var store = new S3ObjectStore(options.S3);
        StorageLog.S3StoreCreated(services.GetRequiredService<ILoggerFactory>().CreateLogger<S3ObjectStore>(), store.Location, OptionsDescriber.Describe(options.S3));
        if (options.S3.CreateBucketIfMissing)
        {
            // Runs once at first resolution, on a thread-pool thread (never a grain thread).
            Task.Run(() => store.EnsureBucketAsync()).GetAwaiter().GetResult();
        }

        return store;
    }
}
