using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tributary.Storage;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Tributary's <see cref="IObjectStore"/>.</summary>
public static class ObjectStoreServiceCollectionExtensions
{
    /// <summary>Registers an <see cref="S3ObjectStore"/> as the <see cref="IObjectStore"/>; options are validated at start-up.</summary>
    public static IServiceCollection AddS3ObjectStore(this IServiceCollection services, Action<OptionsBuilder<S3ObjectStoreOptions>> configure)
    {
        var options = services.AddOptions<S3ObjectStoreOptions>();
        configure(options);
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<S3ObjectStoreOptions>, S3ObjectStoreOptionsValidator>());
        services.RemoveAll<IObjectStore>();
        services.AddSingleton<IObjectStore>(sp =>
        {
            var o = sp.GetRequiredService<IOptions<S3ObjectStoreOptions>>().Value;
            var store = new S3ObjectStore(o);
            StorageLog.S3StoreCreated(sp.GetRequiredService<ILoggerFactory>().CreateLogger<S3ObjectStore>(), store.Location, OptionsDescriber.Describe(o));
            if (o.CreateBucketIfMissing)
            {
                // Runs once at first resolution, on a thread-pool thread (never a grain thread).
                Task.Run(() => store.EnsureBucketAsync()).GetAwaiter().GetResult();
            }

            return store;
        });
        return services;
    }

    /// <summary>Registers a <see cref="LocalDirectoryObjectStore"/> rooted at <paramref name="root"/> as the <see cref="IObjectStore"/>.</summary>
    public static IServiceCollection AddLocalDirectoryObjectStore(this IServiceCollection services, string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        services.RemoveAll<IObjectStore>();
        services.AddSingleton<IObjectStore>(_ => new LocalDirectoryObjectStore(root));
        return services;
    }
}
