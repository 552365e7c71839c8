using System.Globalization;
using Microsoft.Extensions.Options;
using Tributary.Silo;
using Tributary.TestKit;

namespace Tributary.Archive.Tests;

/// <summary>Bad archive settings stop the silo at start-up with a message naming the key.</summary>
public sealed class ArchiveSiloConfigurationTests
{
    [Fact]
    public async Task StartAsync_ReservedFieldName_FailsNamingTheKey()
    {
        var app = Build(new Dictionary<string, string?>
        {
            ["Tributary:Archive:Fields:0:Name"] = "_kafka_offset",
        });
        try
        {
            var ex = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync(TestContext.Current.CancellationToken));
            Assert.Contains("Tributary:Archive:Fields:0:Name '_kafka_offset' is reserved", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    [Fact]
    public void Build_UnknownStoreKind_FailsNamingTheKey()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Build(new Dictionary<string, string?>
        {
            ["Tributary:Archive:Store:Kind"] = "ftp",
        }));
        Assert.Contains("Tributary:Archive:Store:Kind must be 'local' or 's3' (was 'ftp')", ex.Message, StringComparison.Ordinal);
    }

    private static WebApplication Build(Dictionary<string, string?> overrides)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Tributary:HttpUrls"] = $"http://127.0.0.1:{FreePort.Next()}",
            ["Tributary:SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["Tributary:GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["Tributary:Archive:Enabled"] = "true",
            ["Tributary:Archive:Store:LocalPath"] = Directory.CreateTempSubdirectory("tributary-archive-config-").FullName,
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return TributarySiloHost.Build(["--profile", "embedded"], c => c.AddInMemoryCollection(settings));
    }
}
