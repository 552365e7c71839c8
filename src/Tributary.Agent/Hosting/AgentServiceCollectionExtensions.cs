using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tributary.Agent;
using Tributary.Agent.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the log agent as a hosted service.</summary>
public static class AgentServiceCollectionExtensions
{
    /// <summary>Adds a <see cref="LogAgent"/> running with <paramref name="options"/> for the host's lifetime.</summary>
    public static IServiceCollection AddTributaryAgent(this IServiceCollection services, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(sp => new LogAgent(options, sp.GetService<ILoggerFactory>()));
        services.AddHostedService<LogAgentHostedService>();
        return services;
    }
}

/// <summary>Runs the registered <see cref="LogAgent"/>.</summary>
internal sealed class LogAgentHostedService(LogAgent agent) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => agent.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => agent.StopAsync(cancellationToken);
}
