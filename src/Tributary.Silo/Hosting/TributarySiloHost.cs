using Microsoft.Extensions.Options;
using Orleans.Dashboard;
using Tributary.Silo.Sql;
using Tributary.Kafka.DevBroker;

namespace Tributary.Silo;

/// <summary>Builds the Tributary silo web host from <c>silo-config/</c>, the environment and arguments.</summary>
public static class TributarySiloHost
{
    /// <summary>The console logs' timestamp format (with <c>UseUtcTimestamp</c>): ISO-8601 UTC to the millisecond.</summary>
    public const string LogTimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";

    /// <summary>
    /// Builds the host. The profile comes from <c>--profile NAME</c>, <c>TRIBUTARY_PROFILE</c>, or
    /// <c>Tributary:Profile</c> (default <c>embedded</c>). Invalid settings throw
    /// <see cref="OptionsValidationException"/> naming the key, before anything starts.
    /// </summary>
    public static WebApplication Build(string[] args, Action<IConfigurationBuilder>? configureOverrides = null, Action<IServiceCollection>? configureServices = null)
    {
        var (profile, rest) = ExtractProfile(args);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = rest, ContentRootPath = AppContext.BaseDirectory });
        var configDir = Environment.GetEnvironmentVariable("TRIBUTARY_CONFIG_DIR") ?? Path.Combine(AppContext.BaseDirectory, "silo-config");
        builder.Configuration.Sources.Clear();
        builder.Configuration
            .AddJsonFile(Path.Combine(configDir, "appsettings.json"), optional: false)
            .AddJsonFile(Path.Combine(configDir, $"appsettings.{profile}.json"), optional: false)
            .AddJsonFile(Path.Combine(configDir, "tracker.json"), optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(rest);
        configureOverrides?.Invoke(builder.Configuration);

        var settings = LoadSettings(builder.Configuration);
        settings.Profile = profile;

        // The embedded profile hosts its own Kafka: a librdkafka mock cluster speaking the real protocol.
        if (settings.Kafka.DevBroker.Enabled)
        {
            var cluster = MockKafkaCluster.Start(settings.Kafka.DevBroker.Brokers);
            foreach (var spec in settings.Kafka.DevBroker.Topics)
            {
                var topic = DevBrokerTopic.Parse(spec);
                cluster.CreateTopic(topic.Name, topic.Partitions);
            }

            settings.Kafka.BootstrapServers = cluster.BootstrapServers;
            builder.Services.AddSingleton(cluster);
        }

        // One line per entry, ISO-8601 UTC timestamps: operators correlate the logs of several silos.
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = LogTimestampFormat;
        });
        builder.Services.AddSingleton(settings);
        builder.Services.AddTributaryTelemetry();
        builder.Services.AddSingleton<DruidSqlExecutor>();
        builder.Services.AddSingleton<SiloHealth>();
        builder.WebHost.UseUrls(settings.HttpUrls.Split(';', StringSplitOptions.RemoveEmptyEntries));
        builder.UseOrleans(silo =>
        {
            silo.UseTributaryClustering(settings);
            silo.AddTributary(settings, builder.Configuration);
            silo.AddDashboard(o => o.HideTrace = true);
        });

        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapGet("/healthz", (SiloHealth health, CancellationToken cancellationToken) => health.CheckAsync(cancellationToken));
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapOrleansDashboard("/dashboard");
        app.MapDruidQueryApi();
        app.MapDruidSqlApi();
        app.MapTrackerApi();
        return app;
    }

    /// <summary>Binds and validates the <c>Tributary</c> section.</summary>
    public static TributarySettings LoadSettings(IConfiguration configuration)
    {
        var settings = new TributarySettings();
        configuration.GetSection(TributarySettings.SectionName).Bind(settings);
        var result = new TributarySettingsValidator().Validate(null, settings);
        if (result.Failed)
        {
            throw new OptionsValidationException(TributarySettings.SectionName, typeof(TributarySettings), result.Failures);
        }

        return settings;
    }

    private static (string Profile, string[] Remaining) ExtractProfile(string[] args)
    {
        var profile = Environment.GetEnvironmentVariable("TRIBUTARY_PROFILE") ?? "embedded";
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--profile" && i + 1 < args.Length)
            {
                profile = args[++i];
            }
            else if (args[i].StartsWith("--profile=", StringComparison.Ordinal))
            {
                profile = args[i]["--profile=".Length..];
            }
            else
            {
                rest.Add(args[i]);
            }
        }

        if (profile is not ("embedded" or "cluster") && !File.Exists(Path.Combine(AppContext.BaseDirectory, "silo-config", $"appsettings.{profile}.json")))
        {
            throw new OptionsValidationException("profile", typeof(TributarySettings), [$"--profile '{profile}' has no silo-config/appsettings.{profile}.json."]);
        }

        return (profile, [.. rest]);
    }
}
