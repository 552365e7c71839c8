using System.Globalization;
using Tributary.TestKit;

namespace Tributary.Cli.Tests;

/// <summary>The overrides every embedded-silo test of the commands gives: its own HTTP, silo and gateway ports, and a segment store of its own.</summary>
internal static class SiloSettings
{
    /// <summary>Overrides for an embedded silo keeping segments under <paramref name="segmentStore"/>.</summary>
    public static Dictionary<string, string?> Embedded(string segmentStore) => new()
    {
        ["Tributary:HttpUrls"] = $"http://127.0.0.1:{FreePort.Next()}",
        ["Tributary:SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
        ["Tributary:GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
        ["Tributary:Segments:Store:LocalPath"] = segmentStore,
    };
}

/// <summary>Tests that run an embedded silo (one at a time: each hosts a Kafka mock cluster and a silo on the 2 shared cores).</summary>
[CollectionDefinition(nameof(SiloCollection), DisableParallelization = true)]
public sealed class SiloCollection;
