using Tributary.Storage;

namespace Tributary.Segments;

/// <summary>Puts sealed segments into an <see cref="IObjectStore"/> and loads them back.</summary>
public static class SegmentStore
{
    /// <summary>The object key of a segment under the default prefix: <see cref="SegmentObjectKey.Sealed(string, SegmentId)"/>.</summary>
    public static string ObjectKey(SegmentId id) => SegmentObjectKey.Sealed("segments", id);

    /// <summary>Seals <paramref name="segment"/> and uploads it under <see cref="ObjectKey"/>; returns the sealed segment (backed by the uploaded bytes).</summary>
    public static async Task<SealedSegment> SealToAsync(IObjectStore store, OpenSegment segment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(segment);
        using var buffer = new MemoryStream();
        segment.SealTo(buffer);
        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        var sealedSegment = SealedSegment.Load(bytes);
        await store.PutAsync(ObjectKey(segment.Id), bytes, cancellationToken).ConfigureAwait(false);
        return sealedSegment;
    }

    /// <summary>Loads the segment <paramref name="id"/> from the store; null when it was never uploaded.</summary>
    /// <exception cref="InvalidDataException">The stored object is not a valid segment (names the key).</exception>
    public static async Task<SealedSegment?> LoadAsync(IObjectStore store, SegmentId id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var key = ObjectKey(id);
        var stream = await store.OpenReadAsync(key, cancellationToken).ConfigureAwait(false);
        if (stream is null)
        {
            return null;
        }

        await using (stream.ConfigureAwait(false))
        {
            try
            {
                return await SealedSegment.LoadAsync(stream, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{store.Location}{key}: {e.Message}", e);
            }
        }
    }
}
