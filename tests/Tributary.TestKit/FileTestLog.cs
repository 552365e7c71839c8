using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Tributary.TestKit;

/// <summary>
/// A logger provider that appends every log line of a test host to the file named by the <c>TRIBUTARY_TEST_LOG</c>
/// environment variable (for diagnosing a failing multi-silo test); inactive when the variable is not set.
/// </summary>
public sealed class FileTestLog : ILoggerProvider
{
    private static readonly object Gate = new();
    private readonly string _path;
    private readonly string _host;
    private readonly ConcurrentDictionary<string, Logger> _loggers = new(StringComparer.Ordinal);

    private FileTestLog(string path, string host)
    {
        _path = path;
        _host = host;
    }

    /// <summary>The file to log to, or null when test logging is off.</summary>
    public static string? PathFromEnvironment => Environment.GetEnvironmentVariable("TRIBUTARY_TEST_LOG") is { Length: > 0 } p ? p : null;

    /// <summary>Adds the provider to <paramref name="logging"/> when <c>TRIBUTARY_TEST_LOG</c> is set.</summary>
    /// <param name="logging">The logging builder of a test host.</param>
    /// <param name="host">A name for the host (a silo name), written on every line.</param>
    public static void AddIfEnabled(ILoggingBuilder logging, string host)
    {
        ArgumentNullException.ThrowIfNull(logging);
        if (PathFromEnvironment is { } path)
        {
            logging.SetMinimumLevel(LogLevel.Debug);
            logging.AddFilter("Orleans", LogLevel.Warning);
            logging.AddFilter("Microsoft", LogLevel.Warning);
            logging.AddProvider(new FileTestLog(path, host));
        }
    }

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, c => new Logger(this, c));

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private void Write(string category, LogLevel level, string message, Exception? exception)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:HH:mm:ss.fff} {_host} {level} {category[(category.LastIndexOf('.') + 1)..]}: {message}{(exception is null ? string.Empty : " | " + exception.GetType().Name + ": " + exception.Message)}{Environment.NewLine}");
        lock (Gate)
        {
            File.AppendAllText(_path, line);
        }
    }

    private sealed class Logger(FileTestLog owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Write(category, logLevel, formatter(state, exception), exception);
    }
}
