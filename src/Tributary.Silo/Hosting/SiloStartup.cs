using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Tributary.Silo;

/// <summary>
/// The silo process's one error path: builds and runs the host, and turns every start-up failure into one line on
/// standard error naming the configuration key as written (or the host that did not answer) and an exit code, never a
/// stack trace: 2 for an invalid setting, 1 for a dependency that could not be reached or another failure to run.
/// </summary>
public static class SiloStartup
{
    /// <summary>Exit code of an invalid setting.</summary>
    public const int ConfigurationError = 2;

    /// <summary>Exit code of a failure to reach a dependency or to run.</summary>
    public const int RunFailure = 1;

    /// <summary>Builds, checks the reachability of Redis, and runs the silo until it stops; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(error);
        TributarySettings? settings = null;
        try
        {
            var app = TributarySiloHost.Build(args);
            settings = app.Services.GetRequiredService<TributarySettings>();
            // Options validated on start, validated here: the host would log each failure with a stack trace first.
            app.Services.GetService<IStartupValidator>()?.Validate();
            // Before joining: a silo that binds a port already taken only after it joined the cluster breaks the running one.
            if (PortInUse(settings) is { } taken)
            {
                await error.WriteLineAsync(taken);
                return ConfigurationError;
            }

            // Checked before Orleans starts: its own failure is a stack trace in the logs and an abort.
            if (await RedisUnreachableAsync(settings) is { } unreachable)
            {
                await error.WriteLineAsync(unreachable);
                return RunFailure;
            }

            await app.RunAsync();
            return 0;
        }
        catch (Exception ex)
        {
            var (message, code) = Describe(ex, settings);
            await error.WriteLineAsync(message);
            return code;
        }
    }

    /// <summary>The one-line message and exit code of a start-up failure.</summary>
    public static (string Message, int ExitCode) Describe(Exception error, TributarySettings? settings)
    {
        ArgumentNullException.ThrowIfNull(error);
        var failures = Flatten(error).ToList();
        var invalid = failures.OfType<OptionsValidationException>().SelectMany(e => e.Failures).Distinct(StringComparer.Ordinal).ToList();
        if (invalid.Count > 0)
        {
            return ("Invalid configuration: " + string.Join(" ", invalid.Select(OneLine)), ConfigurationError);
        }

        if (failures.OfType<RedisConnectionException>().FirstOrDefault() is { } redis)
        {
            return (Unreachable(settings, redis), RunFailure);
        }

        if (failures.OfType<IOException>().FirstOrDefault(e => e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase)) is { } bind)
        {
            return ($"Cannot listen: {OneLine(bind.Message)} (check {TributarySettings.SectionName}:HttpUrls)", ConfigurationError);
        }

        var root = failures.LastOrDefault(e => e is not AggregateException) ?? error;
        return ($"The silo failed to start: {OneLine(root.Message)} ({root.GetType().Name})", RunFailure);
    }

    /// <summary>The first of the silo, gateway and HTTP ports that cannot be bound, as a message naming its key; null when all are free.</summary>
    public static string? PortInUse(TributarySettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var p = TributarySettings.SectionName;
        var address = IPAddress.Parse(settings.ListenAddress);
        var checks = new List<(string Key, IPAddress Address, int Port)> { ($"{p}:SiloPort", address, settings.SiloPort), ($"{p}:GatewayPort", address, settings.GatewayPort) };
        foreach (var url in settings.HttpUrls.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            if (Uri.TryCreate(url, UriKind.Absolute, out var uri))
            {
                var host = uri.Host is "localhost" ? IPAddress.Loopback : IPAddress.TryParse(uri.Host, out var ip) ? ip : IPAddress.Any;
                checks.Add(($"{p}:HttpUrls", host, uri.Port));
            }
        }

        foreach (var (key, ip, port) in checks)
        {
            try
            {
                using var listener = new TcpListener(ip, port);
                listener.Server.ExclusiveAddressUse = true;
                listener.Start();
                listener.Stop();
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
            {
                return $"{key}: port {port} on {ip} is already in use (another silo or process listens there); refusing to start so the running one is not disturbed.";
            }
        }

        return null;
    }

    private static async Task<string?> RedisUnreachableAsync(TributarySettings settings)
    {
        if (settings.Clustering != "redis" && settings.GrainStorage != "redis")
        {
            return null;
        }

        var options = ConfigurationOptions.Parse(settings.RedisConnectionString!);
        options.AbortOnConnectFail = true;
        options.ConnectRetry = 1;
        options.ConnectTimeout = Math.Max(1000, (int)settings.HealthTimeout.TotalMilliseconds);
        try
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
            await redis.GetDatabase().PingAsync();
            return null;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return Unreachable(settings, ex);
        }
    }

    private static string Unreachable(TributarySettings? settings, Exception error)
        => $"Redis at {RedisEndpoints(settings)} ({TributarySettings.SectionName}:RedisConnectionString) is unreachable: "
           + (error is RedisConnectionException c ? $"{c.FailureType}" : OneLine(error.Message));

    private static string RedisEndpoints(TributarySettings? settings)
    {
        try
        {
            return settings?.RedisConnectionString is { } c ? string.Join(",", ConfigurationOptions.Parse(c).EndPoints.Select(e => e.ToString())) : "(unknown)";
        }
        catch (ArgumentException)
        {
            return "(unparsable)";
        }
    }

    private static IEnumerable<Exception> Flatten(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            yield return e;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Flatten))
                {
                    yield return inner;
                }

                yield break;
            }
        }
    }

    private static string OneLine(string text) => string.Join(" ", text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
