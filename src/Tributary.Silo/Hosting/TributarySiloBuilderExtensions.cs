using StackExchange.Redis;
using Tributary.Silo;
using Tributary.Streaming.Kafka;

namespace Orleans.Hosting;

/// <summary>Composes a Tributary silo from <see cref="TributarySettings"/>.</summary>
public static class TributarySiloBuilderExtensions
{
    /// <summary>Grain storage every Tributary grain uses.</summary>
    public const string StorageName = "tributary";

    /// <summary>
    /// Adds Tributary's grain storage, reminders and Kafka stream providers. Clustering is configured
    /// separately (<see cref="UseTributaryClustering"/>) so test clusters can bring their own.
    /// </summary>
    public static ISiloBuilder AddTributary(this ISiloBuilder silo, TributarySettings settings, IConfiguration configuration)
    {
        if (settings.GrainStorage == "redis")
        {
            var redis = ConfigurationOptions.Parse(settings.RedisConnectionString!);
            silo.AddRedisGrainStorage(StorageName, o => o.ConfigurationOptions = redis);
            silo.AddRedisGrainStorage("PubSubStore", o => o.ConfigurationOptions = redis);
            silo.UseRedisReminderService(o => o.ConfigurationOptions = redis);
        }
        else
        {
            silo.AddMemoryGrainStorage(StorageName);
            silo.AddMemoryGrainStorage("PubSubStore");
            silo.UseInMemoryReminderService();
        }

        foreach (var name in settings.Streams.Keys)
        {
            var section = configuration.GetSection($"{TributarySettings.SectionName}:Streams:{name}");
            // Tributary:Streams:{name}:Enabled=false drops a provider a profile defines (benchmarks, one-sink silos).
            if (!section.GetValue("Enabled", true))
            {
                continue;
            }

            silo.AddKafkaStreams(name, options => options
                .Bind(section)
                .PostConfigure(o => ApplyKafkaDefaults(o, settings.Kafka)), section.Path);
        }

        // The archive sink (Kafka to Hive-partitioned Parquet) when Tributary:Archive:Enabled is true.
        var archive = configuration.GetSection($"{TributarySettings.SectionName}:Archive");
        if (archive.GetValue<bool>("Enabled"))
        {
            silo.AddTributaryArchive(archive, settings.Kafka.BootstrapServers ?? string.Empty, settings.Kafka.Settings);
        }

        // Real-time segments (Kafka to queryable segments, query brokers) when Tributary:Segments:Enabled is true.
        var segments = configuration.GetSection($"{TributarySettings.SectionName}:Segments");
        if (segments.GetValue<bool>("Enabled"))
        {
            silo.AddTributarySegments(segments, settings.Kafka.BootstrapServers ?? string.Empty, settings.Kafka.Settings);
        }

        // The SQL sink (filtered, transformed rows in a MySQL-protocol table, offsets in the same transaction) when
        // Tributary:SqlSink:Enabled is true; its stream provider has StreamNamespace tributary.sql.
        var sql = configuration.GetSection(Tributary.Grains.Sql.SqlSink.SectionName);
        if (sql.GetValue<bool>("Enabled"))
        {
            silo.AddTributarySqlSink(sql, settings.Kafka.BootstrapServers ?? string.Empty, settings.Kafka.Settings);
        }

        // Watermark alignment of unified-source jobs (WatermarkGrain): always there, tuned by Tributary:Watermarks.
        silo.AddTributaryWatermarks(configuration.GetSection($"{TributarySettings.SectionName}:Watermarks"));

        // Tracker (MySQL shard snapshots, silo-config/tracker.json) when Tributary:Tracker:Enabled is true.
        silo.AddTributaryTrackerFromConfiguration(configuration);
        return silo;
    }

    /// <summary>Localhost clustering (one silo) or Redis membership, as <see cref="TributarySettings.Clustering"/> says.</summary>
    public static ISiloBuilder UseTributaryClustering(this ISiloBuilder silo, TributarySettings settings)
    {
        silo.Configure<Orleans.Configuration.ClusterOptions>(o =>
        {
            o.ClusterId = settings.ClusterId;
            o.ServiceId = settings.ServiceId;
        });
        var address = System.Net.IPAddress.Parse(settings.ListenAddress);
        if (settings.Clustering == "redis")
        {
            silo.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(settings.RedisConnectionString!));
            silo.ConfigureEndpoints(address, settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: false);
        }
        else
        {
            silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort, null, settings.ServiceId, settings.ClusterId);
        }

        return silo;
    }

    /// <summary>Stream providers inherit the shared Kafka connection unless they set their own.</summary>
    public static void ApplyKafkaDefaults(KafkaStreamOptions options, KafkaSettings kafka)
    {
        if (string.IsNullOrWhiteSpace(options.BootstrapServers) && !string.IsNullOrWhiteSpace(kafka.BootstrapServers))
        {
            options.BootstrapServers = kafka.BootstrapServers;
        }

        foreach (var (key, value) in kafka.Settings)
        {
            options.Settings.TryAdd(key, value);
        }
    }
}
