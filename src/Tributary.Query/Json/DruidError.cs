using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Tributary.Query;

/// <summary>
/// Druid's error response body <c>{"error":..,"errorMessage":..,"errorClass":..,"host":null}</c> and the HTTP
/// status that goes with it, so existing Druid clients show Tributary's errors the way they show Druid's.
/// </summary>
/// <param name="StatusCode">400 for bad queries, unsupported features and exceeded limits (as Druid), 504 for timeouts, 500 otherwise.</param>
/// <param name="Error">Druid's error code (e.g. "Json parse failed", "Query timeout").</param>
/// <param name="ErrorMessage">The message, naming the bad field for validation errors.</param>
/// <param name="ErrorClass">The Java class Druid would report, for clients that switch on it.</param>
public sealed record DruidError(int StatusCode, string Error, string ErrorMessage, string ErrorClass)
{
    /// <summary>Maps an exception from parsing, planning or running a query to Druid's error.</summary>
    public static DruidError FromException(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            QueryUnsupportedException u => new DruidError(400, "Unsupported operation", u.Message, "java.lang.UnsupportedOperationException"),
            QueryValidationException v when v.Path.Length == 0 && v.InnerException is JsonException =>
                new DruidError(400, "Json parse failed", v.Message, "com.fasterxml.jackson.core.JsonParseException"),
            QueryValidationException v => new DruidError(400, "Json parse failed", v.Message, "com.fasterxml.jackson.databind.exc.ValueInstantiationException"),
            QueryLimitExceededException l => new DruidError(400, "Resource limit exceeded", l.Message, "org.apache.druid.query.ResourceLimitExceededException"),
            QueryTimeoutException t => new DruidError(504, "Query timeout", t.Message, "java.util.concurrent.TimeoutException"),
            _ => new DruidError(500, "Unknown exception", exception.Message, exception.GetType().FullName ?? "Exception"),
        };
    }

    /// <summary>Writes the error body.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("error", Error);
        writer.WriteString("errorMessage", ErrorMessage);
        writer.WriteString("errorClass", ErrorClass);
        writer.WriteNull("host");
        writer.WriteEndObject();
    }

    /// <summary>The error body as JSON text.</summary>
    public string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

/// <summary>The query ran past its timeout; reported as Druid's "Query timeout".</summary>
public sealed class QueryTimeoutException(TimeSpan timeout)
    : TimeoutException($"Query timeout: the query did not finish within {(long)timeout.TotalMilliseconds} ms (context.timeout)")
{
    /// <summary>The timeout that elapsed.</summary>
    public TimeSpan Timeout { get; } = timeout;
}
