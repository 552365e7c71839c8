namespace Tributary.Enrich;

/// <summary>The enrich pipeline could not start: a database unreachable, a table or column missing, a data file
/// absent or unreadable. <see cref="Key"/> is the configuration key to fix, and the message starts with it.</summary>
public sealed class EnrichStartupException : Exception
{
    public EnrichStartupException(string key, string message, Exception? inner = null)
        : base($"{key}: {message}", inner)
    {
        Key = key;
    }

    /// <summary>The configuration key at fault, e.g. <c>Tributary:Enrich:Enrichers:1:ConnectionString</c>.</summary>
    public string Key { get; }
}
