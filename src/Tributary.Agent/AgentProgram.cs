using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tributary.Agent.Options;

namespace Tributary.Agent;

/// <summary>Runs the agent as a process (the worker executable and <c>tributary agent</c> share this) until SIGTERM or Ctrl-C.</summary>
public static class AgentProgram
{
    /// <summary>Runs until the process is asked to stop; stopping is graceful (final watermarks written).</summary>
    public static async Task<int> RunAsync(AgentOptions options, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            // ISO-8601 UTC, as the silo logs: hosts' logs correlate.
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
        });
        builder.Logging.AddFilter("Tributary.Agent", LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Services.AddTributaryAgent(options);
        using var host = builder.Build();
        await host.RunAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }
}
