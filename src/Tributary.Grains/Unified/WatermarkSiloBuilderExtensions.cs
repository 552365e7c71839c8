using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Tributary.Grains.Unified;

namespace Orleans.Hosting;

/// <summary>Registers the watermark grains' settings on a silo.</summary>
public static class WatermarkSiloBuilderExtensions
{
    /// <summary>
    /// Binds <see cref="WatermarkGrainOptions"/> from <paramref name="section"/> (<c>Tributary:Watermarks</c>: <c>PersistInterval</c>,
    /// <c>ReaderTimeout</c>), validated at start-up with messages naming the key. Without it the grains use the defaults.
    /// </summary>
    public static ISiloBuilder AddTributaryWatermarks(this ISiloBuilder silo, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(section);
        silo.Services.AddOptions<WatermarkGrainOptions>().Bind(section).ValidateOnStart();
        silo.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WatermarkGrainOptions>>(new WatermarkGrainOptionsValidator(section.Path)));
        return silo;
    }
}
