using System.Globalization;

namespace Tributary;

/// <summary>
/// Formats and parses the <c>{cluster}/{shard}</c> key of one MySQL shard: the grain key of its
/// <see cref="IShardSnapshotGrain"/>.
/// </summary>
public static class ShardKey
{
    /// <summary>Builds the key for <paramref name="cluster"/> and <paramref name="shard"/>.</summary>
    public static string Format(string cluster, int shard)
    {
        ArgumentException.ThrowIfNullOrEmpty(cluster);
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        if (cluster.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"cluster name '{cluster}' must not contain '/'.", nameof(cluster));
        }

        return string.Create(CultureInfo.InvariantCulture, $"{cluster}/{shard}");
    }

    /// <summary>Parses a key made by <see cref="Format"/>; throws <see cref="FormatException"/> naming the key otherwise.</summary>
    public static (string Cluster, int Shard) Parse(string key)
        => TryParse(key, out var cluster, out var shard)
            ? (cluster, shard)
            : throw new FormatException($"'{key}' is not a shard key of the form '{{cluster}}/{{shard}}'.");

    /// <summary>Parses a key made by <see cref="Format"/>.</summary>
    public static bool TryParse(string? key, out string cluster, out int shard)
    {
        cluster = string.Empty;
        shard = -1;
        var slash = key?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        if (key is null || slash <= 0 || slash != key.LastIndexOf('/')
            || !int.TryParse(key.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            return false;
        }

        cluster = key[..slash];
        shard = parsed;
        return true;
    }
}
