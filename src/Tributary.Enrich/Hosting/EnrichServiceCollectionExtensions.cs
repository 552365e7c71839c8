using Microsoft.Extensions.Options;
using Tributary.Enrich;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the enrich options (section <c>Tributary:Enrich</c>) with their validator.</summary>
public static class EnrichServiceCollectionExtensions
{
    /// <summary>Binds <see cref="EnrichOptions"/> from <see cref="EnrichOptions.SectionName"/>, validated on start.
    /// The pipeline itself is built with <see cref="EnrichPipeline.CreateAsync(EnrichOptions, TimeProvider, Microsoft.Extensions.Logging.ILoggerFactory?, CancellationToken)"/>.</summary>
    public static IServiceCollection AddTributaryEnrichOptions(this IServiceCollection services)
    {
        services.AddOptions<EnrichOptions>().BindConfiguration(EnrichOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<EnrichOptions>, EnrichOptionsValidator>();
        return services;
    }
}
