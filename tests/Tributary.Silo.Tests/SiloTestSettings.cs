using System.Globalization;
using Tributary.TestKit;

namespace Tributary.Silo.Tests;

/// <summary>The overrides every embedded-silo test gives: its own HTTP, silo and gateway ports, and a segment store of its own.</summary>
internal static class SiloTestSettings
{
    /// <summary>Overrides for an embedded silo serving HTTP on <paramref name="http"/> and keeping segments under <paramref name="segmentStore"/>.</summary>
    public static Dictionary<string, string?> Embedded(int http, string segmentStore) => new()
    {
        ["Tributary:HttpUrls"] = $"http://127.0.0.1:{http}",
        ["Tributary:SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
        ["Tributary:GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
        ["Tributary:Segments:Store:LocalPath"] = segmentStore,
    };
}
