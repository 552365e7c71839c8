using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tributary.Grains.Segments;
using Tributary.Grains.Sql;
using Tributary.MySqlLoad;

namespace Orleans.Hosting;

/// <summary>Registers the SQL sink (grains, loader, row transform, table check at start-up) on a silo.</summary>
public static class SqlSinkSiloBuilderExtensions
{
    /// <summary>
    /// Adds the SQL sink from configuration section <paramref name="section"/> (<c>Tributary:SqlSink</c>): the loader's
    /// <see cref="SqlLoadOptions"/> keys (ConnectionString, Table, Mode, Key, Columns, …) and <see cref="SqlSinkOptions"/>
    /// keys (DeadLetterTopic, BatchRecords, PersistInterval) at its top level. The Kafka stream provider feeding it is
    /// configured separately with <c>StreamNamespace</c> <see cref="SqlIngestGrain.StreamNamespace"/>. The silo does
    /// not start when an option is invalid, the database is unreachable or the table does not match (each error
    /// names the key). Rows come from <see cref="JsonRowTransformFactory"/>, or, with <c>Enrich</c> true, from the
    /// filter-and-enrich stage configured under <c>Tributary:Enrich</c> (<see cref="EnrichRowTransformFactory"/>),
    /// unless an <see cref="ISqlRowTransformFactory"/> was registered first (<see cref="UseSqlRowTransform"/>).
    /// </summary>
    public static ISiloBuilder AddTributarySqlSink(this ISiloBuilder silo, IConfigurationSection section, string bootstrapServers, IReadOnlyDictionary<string, string>? kafkaSettings = null)
    {
        ArgumentNullException.ThrowIfNull(section);
        var services = silo.Services;
        var validator = new SqlSinkOptionsValidator(section.Path);
        services.AddOptions<SqlLoadOptions>().Bind(section).ValidateOnStart();
        services.AddOptions<SqlSinkOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqlLoadOptions>>(validator));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqlSinkOptions>>(validator));
        if (section.GetValue<bool>("Enrich"))
        {
            // Tributary:SqlSink:Enrich=true: rows come through the filter-and-enrich stage of section Tributary:Enrich.
            services.AddTributaryEnrichOptions();
            services.TryAddSingleton<ISqlRowTransformFactory, EnrichRowTransformFactory>();
        }

        services.TryAddSingleton<ISqlRowTransformFactory, JsonRowTransformFactory>();
        services.TryAddSingleton<SqlSinkRuntime>();
        services.TryAddSingleton(_ => new DeadLetterProducer(bootstrapServers, kafkaSettings));
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => new SqlSinkStartup(sp, section.Path));
        return silo;
    }

    /// <summary>Swaps the row transform (e.g. a filter and enrich pipeline) for the SQL sink's partitions.</summary>
    public static ISiloBuilder UseSqlRowTransform<TFactory>(this ISiloBuilder silo)
        where TFactory : class, ISqlRowTransformFactory
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.RemoveAll<ISqlRowTransformFactory>();
        silo.Services.AddSingleton<ISqlRowTransformFactory, TFactory>();
        return silo;
    }

    /// <summary>Creates or checks the table before any stream is pulled; a failure stops the silo, naming the key.</summary>
    private sealed class SqlSinkStartup(IServiceProvider services, string section) : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle)
            => lifecycle.Subscribe(nameof(SqlSinkStartup), ServiceLifecycleStage.ApplicationServices, StartAsync);

        private async Task StartAsync(CancellationToken cancellationToken)
        {
            var load = services.GetRequiredService<IOptions<SqlLoadOptions>>().Value;
            _ = services.GetRequiredService<IOptions<SqlSinkOptions>>().Value;
            // The enrich pipeline (when configured) fails here on its own terms, naming its Tributary:Enrich key.
            await services.GetRequiredService<ISqlRowTransformFactory>().StartAsync(cancellationToken);
            SqlSinkRuntime runtime;
            try
            {
                runtime = services.GetRequiredService<SqlSinkRuntime>();
            }
            catch (ArgumentException ex)
            {
                throw new OptionsValidationException(section, typeof(SqlLoadOptions), [$"{section}:Columns: {ex.Message}"]);
            }

            try
            {
                await runtime.Loader.EnsureTableAsync(cancellationToken);
            }
            catch (SqlUnavailableException ex)
            {
                throw new OptionsValidationException(section, typeof(SqlLoadOptions), [$"{section}:ConnectionString: cannot reach the database ({ex.Message})"]);
            }
            catch (SqlSchemaMismatchException ex)
            {
                throw new OptionsValidationException(section, typeof(SqlLoadOptions), [$"{section}:Columns: {ex.Message}"]);
            }
            catch (MySqlConnector.MySqlException ex)
            {
                throw new OptionsValidationException(section, typeof(SqlLoadOptions), [$"{section}:ConnectionString: the database refused the table set-up ({ex.Message})"]);
            }

            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SqlIngestGrain));
            SqlSinkLog.TableReady(logger, load.Table, load.Mode.ToString(), runtime.Loader.Schema.AllColumns.Count);
        }
    }
}
