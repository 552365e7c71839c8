using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tributary.Grains.Tracker;
using Tributary.Storage;
using Tributary.Tracker;

namespace Tributary.Silo.Tests.Tracker;

public sealed class TrackerHostingTests
{
    [Fact]
    public void AddTributaryTrackerFromConfiguration_UnknownStoreKind_FailsNamingTheKey()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Tributary:Tracker:Enabled"] = "true",
            ["Tributary:Tracker:Store:Kind"] = "ftp",
        };

        var ex = Assert.Throws<OptionsValidationException>(() => TributarySiloHost.Build(["--profile", "embedded"], c => c.AddInMemoryCollection(settings)));

        Assert.Contains(ex.Failures, f => f.Contains("Tributary:Tracker:Store:Kind must be 'local' or 's3' (was 'ftp')", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddTributaryTrackerFromConfiguration_EnabledNotSet_LeavesTrackerOut()
    {
        await using var app = TributarySiloHost.Build(["--profile", "embedded"]);

        Assert.Null(app.Services.GetService<TrackerMetrics>());
        Assert.Empty(app.Services.GetRequiredService<IOptions<TrackerOptions>>().Value.Clusters);
    }

    [Fact]
    public async Task AddTributaryTrackerFromConfiguration_Enabled_BindsTrackerJsonAndRegistersLocalStore()
    {
        await using var app = TributarySiloHost.Build(["--profile", "embedded"], c => c.AddInMemoryCollection(new Dictionary<string, string?> { ["Tributary:Tracker:Enabled"] = "true" }));

        Assert.NotNull(app.Services.GetService<TrackerMetrics>());
        Assert.IsType<LocalDirectoryObjectStore>(app.Services.GetRequiredKeyedService<IObjectStore>(Tributary.Grains.ObjectStoreKeys.Tracker));
        Assert.Contains("dev", app.Services.GetRequiredService<IOptions<TrackerOptions>>().Value.Clusters.Keys);
    }
}
