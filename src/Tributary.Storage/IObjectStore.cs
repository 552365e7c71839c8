namespace Tributary.Storage;

/// <summary>
/// A flat key/value object store (S3 or a local directory). Keys are <c>/</c>-separated relative
/// paths such as <c>pin_engagement/dt=2026-11-23/hr=10/3-00000000000000001000.parquet</c>.
/// </summary>
/// <remarks>
/// Guarantees every implementation keeps (proven by the conformance suite in Tributary.Storage.Tests):
/// a put is atomic (a reader sees the whole old object or the whole new one, never a torn one), a put
/// of an existing key overwrites it, listings are ordered by key (ordinal), and a missing key reads as
/// <see langword="null"/> rather than throwing.
/// </remarks>
public interface IObjectStore
{
    /// <summary>Where the store points, for logs and manifests (<c>s3://bucket/prefix</c>, <c>file:///path</c>).</summary>
    string Location { get; }

    /// <summary>Writes <paramref name="content"/> (read from its current position to its end) under <paramref name="key"/>, replacing any object there.</summary>
    Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default);

    /// <summary>Writes <paramref name="content"/> under <paramref name="key"/>, replacing any object there.</summary>
    Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    /// <summary>Opens the object for reading; <see langword="null"/> when there is none. The caller disposes the stream.</summary>
    Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Size and time of the object, or <see langword="null"/> when there is none.</summary>
    Task<ObjectInfo?> GetInfoAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Every object whose key starts with <paramref name="prefix"/>, ordered by key.</summary>
    IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Deletes the object; deleting a missing key is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken = default);
}

/// <summary>One stored object's key, size in bytes and last-modified time.</summary>
public sealed record ObjectInfo(string Key, long Size, DateTimeOffset LastModified);

/// <summary>Validation shared by the stores, so a bad key fails the same way everywhere.</summary>
public static class ObjectKey
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the key when it is empty, absolute, or climbs out with <c>..</c>.</summary>
    public static string Validate(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (key.StartsWith('/') || key.Contains('\\', StringComparison.Ordinal) || key.Split('/').Any(s => s is "" or "." or ".."))
        {
            throw new ArgumentException($"object key '{key}' must be a relative '/'-separated path without empty, '.' or '..' segments", nameof(key));
        }

        return key;
    }
}
