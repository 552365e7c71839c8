using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Tributary.Silo.Tests.Logging;

/// <summary>One log record as written, with the structured fields of every scope around it.</summary>
internal sealed record CapturedLog(string Category, int EventId, IReadOnlyDictionary<string, object?> ScopeFields);

/// <summary>A logger provider that keeps every record with its scopes' fields (the silo's real logging pipeline feeds it).</summary>
internal sealed class ScopeCapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    /// <summary>The records so far.</summary>
    public ConcurrentQueue<CapturedLog> Records { get; } = new();

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <inheritdoc />
    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private sealed class Logger(ScopeCapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var fields = new Dictionary<string, object?>(StringComparer.Ordinal);
            provider._scopes.ForEachScope(
                (scope, into) =>
                {
                    if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
                    {
                        foreach (var (key, value) in pairs)
                        {
                            into[key] = value;
                        }
                    }
                },
                fields);
            provider.Records.Enqueue(new CapturedLog(category, eventId.Id, fields));
        }
    }
}
