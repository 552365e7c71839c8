using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Tributary;
using Tributary.Grains.Tracker;
using Tributary.Tracker;

namespace Orleans.Hosting;

/// <summary>Registers Tracker (MySQL shard snapshots) in a silo.</summary>
public static class TrackerSiloBuilderExtensions
{
    /// <summary>
    /// Binds <see cref="TrackerOptions"/> from <c>Tributary:Tracker</c>, validates them at start-up (errors name
    /// the key) and, when <see cref="TrackerOptions.ScheduleEnabled"/>, activates every configured shard's
    /// <see cref="IShardSnapshotGrain"/> at start so its daily reminder is registered. Progress is published on meter
    /// <see cref="TrackerMetrics.MeterName"/>. The host must register an
    /// <c>IObjectStore</c> (S3 or a local directory): snapshots are written through it.
    /// </summary>
    public static ISiloBuilder AddTributaryTracker(this ISiloBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<TrackerOptions>().BindConfiguration(TrackerOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TrackerOptions>, TrackerOptionsValidator>();
        builder.Services.TryAddSingleton<TrackerMetrics>();
        builder.AddStartupTask(async (services, cancellationToken) =>
        {
            var options = services.GetRequiredService<IOptions<TrackerOptions>>().Value;
            if (!options.ScheduleEnabled)
            {
                return;
            }

            var grains = services.GetRequiredService<IGrainFactory>();
            foreach (var (cluster, clusterOptions) in options.Clusters)
            {
                foreach (var shard in clusterOptions.Shards)
                {
                    await grains.GetGrain<IShardSnapshotGrain>(ShardKey.Format(cluster, shard.Id)).GetStatusAsync();
                }
            }
        });
        return builder;
    }
}
