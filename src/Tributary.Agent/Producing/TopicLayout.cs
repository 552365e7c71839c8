namespace Tributary.Agent.Producing;

/// <summary>A topic's partitions, their leaders, and the brokers' racks, as last refreshed.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Leaders">Leader broker id of each partition (index = partition).</param>
/// <param name="Racks">Broker id to rack.</param>
public sealed record TopicLayout(string Topic, int[] Leaders, IReadOnlyDictionary<int, string> Racks)
{
    /// <summary>Number of partitions.</summary>
    public int PartitionCount => Leaders.Length;

    /// <summary>Partitions whose leader's rack is <paramref name="zone"/>.</summary>
    public int[] PartitionsInZone(string? zone)
        => string.IsNullOrEmpty(zone) ? [] : [.. Enumerable.Range(0, Leaders.Length).Where(p => Racks.TryGetValue(Leaders[p], out var rack) && rack == zone)];
}
