using System.Net;
using System.Net.Sockets;
using Tributary.Silo;

namespace Tributary.Cli;

/// <summary>Starts the silo host in this process with settings overridden for a command (demo, bench).</summary>
internal static class EmbeddedSilo
{
    private static readonly HashSet<int> HandedOut = [];

    public static WebApplication Build(string profile, IDictionary<string, string?> overrides, bool quiet)
    {
        var args = new List<string> { "--profile", profile };
        return TributarySiloHost.Build([.. args], config =>
        {
            var all = new Dictionary<string, string?>(overrides);
            if (quiet)
            {
                all.TryAdd("Logging:LogLevel:Default", "Warning");
                all.TryAdd("Logging:LogLevel:Tributary", "Warning");
                all.TryAdd("Logging:LogLevel:Orleans.Runtime.Silo", "Warning");
                all.TryAdd("Logging:LogLevel:Microsoft.Hosting.Lifetime", "Warning");
            }

            config.AddInMemoryCollection(all);
        },
        services => services.AddSingleton<IHostLifetime, CommandLifetime>());
    }

    /// <summary>
    /// The command that embeds the silo decides when it stops (on Ctrl-C the demo drains, queries and reports first),
    /// so the host does not listen to Ctrl-C or SIGTERM itself as the console lifetime would.
    /// </summary>
    private sealed class CommandLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>
    /// Adds to <paramref name="overrides"/> what keeps only the named stream providers of the embedded profile
    /// (<c>stats</c>, <c>segments</c>, <c>archive</c>, <c>sql</c>) and switches off the sinks of the others, so a benchmark
    /// measures one pipeline.
    /// </summary>
    public static void KeepOnlyStreams(IDictionary<string, string?> overrides, params string[] keep)
    {
        foreach (var stream in new[] { "stats", "segments", "archive", "sql" }.Except(keep, StringComparer.Ordinal))
        {
            overrides[$"Tributary:Streams:{stream}:Enabled"] = "false";
        }

        overrides["Tributary:Segments:Enabled"] = keep.Contains("segments", StringComparer.Ordinal) ? "true" : "false";
        overrides["Tributary:Archive:Enabled"] = keep.Contains("archive", StringComparer.Ordinal) ? "true" : "false";
        overrides["Tributary:SqlSink:Enabled"] = keep.Contains("sql", StringComparer.Ordinal) ? "true" : "false";
        if (keep.Contains("sql", StringComparer.Ordinal))
        {
            overrides["Tributary:Streams:sql:Enabled"] = "true";
        }
    }

    /// <summary>
    /// A free TCP port on 127.0.0.1 (the OS picks it), never one this process handed out before: the listener is closed
    /// before the silo binds, so the OS may offer the same port to the next call (a bench binds three at once).
    /// </summary>
    public static int FreePort()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            lock (HandedOut)
            {
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }
    }
}
