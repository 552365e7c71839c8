using System.Text.Json;

namespace Tributary.Agent.Files;

/// <summary>
/// One watermark file per stream under <c>{dataDirectory}/watermarks</c>, replaced atomically: written to a
/// temporary file, fsynced, and renamed over the old one, so a crash leaves either the old or the new
/// watermark, never a torn one.
/// </summary>
public sealed class WatermarkStore
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    private readonly string _directory;

    /// <summary>Creates the store (and its directory).</summary>
    public WatermarkStore(string dataDirectory)
    {
        _directory = Path.Combine(dataDirectory, "watermarks");
        Directory.CreateDirectory(_directory);
    }

    /// <summary>The watermark file of <paramref name="stream"/>.</summary>
    public string PathOf(string stream) => Path.Combine(_directory, Uri.EscapeDataString(stream) + ".json");

    /// <summary>The stream's watermark, or null when it has none.</summary>
    public Watermark? Read(string stream)
    {
        var path = PathOf(stream);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<Watermark>(File.ReadAllBytes(path), Json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Watermark file {path} is corrupt ({ex.Message}); move it away to restart the stream from its start position.", ex);
        }
    }

    /// <summary>Replaces the stream's watermark durably.</summary>
    public void Write(string stream, Watermark watermark)
    {
        var path = PathOf(stream);
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.None))
        {
            JsonSerializer.Serialize(file, watermark, Json);
            file.Flush(flushToDisk: true);
        }

        // No directory fsync after the rename: if power loss forgets the rename, the previous watermark
        // (complete, fsynced earlier) comes back and a restart re-sends a little more; nothing is lost.
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Forgets a stream.</summary>
    public void Delete(string stream) => File.Delete(PathOf(stream));
}
