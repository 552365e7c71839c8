using Tributary.Segments;
using Tributary.Storage;

namespace Tributary.Grains.Segments;

/// <summary>
/// Moves sealed segments between the segment engine (which serialises to streams and knows no object store) and an
/// <see cref="IObjectStore"/>, under the keys of <see cref="SegmentObjectKey"/>. Called on the grain scheduler, so no
/// <c>ConfigureAwait(false)</c>.
/// </summary>
public static class SegmentObjects
{
    /// <summary>
    /// Seals <paramref name="segment"/> and uploads it under <paramref name="key"/>; returns the sealed segment (backed
    /// by the uploaded bytes; <see cref="SealedSegment.SizeInBytes"/> is the object's size). Uploading the same segment
    /// again after a crash overwrites the same object.
    /// </summary>
    public static async Task<SealedSegment> SealToAsync(IObjectStore store, string key, OpenSegment segment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(segment);
        using var buffer = new MemoryStream();
        segment.SealTo(buffer);
        var bytes = buffer.ToArray();
        var sealedSegment = SealedSegment.Load(bytes);
        try
        {
            await store.PutAsync(key, bytes, cancellationToken);
        }
        catch
        {
            sealedSegment.Dispose();
            throw;
        }

        return sealedSegment;
    }

    /// <summary>Loads the sealed segment stored under <paramref name="key"/>; null when it was never uploaded.</summary>
    /// <exception cref="InvalidDataException">The stored object is not a valid segment (names the store and key).</exception>
    public static async Task<SealedSegment?> LoadAsync(IObjectStore store, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(key);
        var stream = await store.OpenReadAsync(key, cancellationToken);
        if (stream is null)
        {
            return null;
        }

        await using (stream)
        {
            try
            {
                return await SealedSegment.LoadAsync(stream, cancellationToken);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{store.Location}{key}: {e.Message}", e);
            }
        }
    }

    /// <summary>
    /// Writes the Bloom filter of <paramref name="segment"/>'s partition-key values under <paramref name="key"/>
    /// (<see cref="SegmentObjectKey.Bloom"/>), so the catalog need not hold it. Writing it again overwrites the same object.
    /// </summary>
    public static Task WriteBloomAsync(IObjectStore store, string key, SealedSegment segment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(segment);
        return store.PutAsync(key, segment.BloomFilter.ToArray(), cancellationToken);
    }
}
