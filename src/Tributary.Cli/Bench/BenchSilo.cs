namespace Tributary.Cli.Bench;

/// <summary>What the benches that host an embedded silo share: stopping it with its temporary store, and latency percentiles.</summary>
internal static class BenchSilo
{
    /// <summary>Stops and disposes <paramref name="app"/>, then deletes <paramref name="root"/> (best effort).</summary>
    public static async Task StopAndDeleteAsync(WebApplication app, string root)
    {
        await app.StopAsync(CancellationToken.None);
        await app.DisposeAsync();
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // best effort: the temp directory is reclaimed later
        }
    }

    /// <summary>The nearest-rank <paramref name="q"/> quantile of <paramref name="values"/> (0 when there are none).</summary>
    public static double Percentile(IReadOnlyCollection<double> values, double q)
    {
        if (values.Count == 0)
        {
            return 0;
        }

        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
    }
}
