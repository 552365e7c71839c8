using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tributary.Grains;
using Tributary.Storage;

namespace Tributary.Silo.Tests;

/// <summary>Each part of the silo that keeps objects (archive, segments, Tracker) gets its own keyed, validated store.</summary>
[Collection(nameof(SiloHostTests))]
public sealed class ObjectStoreRegistrationTests
{
    [Fact]
    public async Task Build_EmbeddedProfile_ArchiveSegmentsAndTrackerEachResolveTheirOwnStore()
    {
        var root = Directory.CreateTempSubdirectory("tributary-stores-").FullName;
        await using var app = Build(new Dictionary<string, string?>
        {
            ["Tributary:Tracker:Enabled"] = "true",
            ["Tributary:Archive:Store:LocalPath"] = Path.Combine(root, "archive"),
            ["Tributary:Segments:Store:LocalPath"] = Path.Combine(root, "segments"),
            ["Tributary:Tracker:Store:LocalPath"] = Path.Combine(root, "tracker"),
        });

        foreach (var key in new[] { ObjectStoreKeys.Archive, ObjectStoreKeys.Segments, ObjectStoreKeys.Tracker })
        {
            var store = Assert.IsType<LocalDirectoryObjectStore>(app.Services.GetRequiredKeyedService<IObjectStore>(key));
            Assert.Equal(new Uri(Path.Combine(root, key) + Path.DirectorySeparatorChar).AbsoluteUri, store.Location);
        }
    }

    [Fact]
    public async Task Build_S3Store_ResolvesAnS3StoreForThatPartOnly()
    {
        await using var app = Build(new Dictionary<string, string?>
        {
            ["Tributary:Segments:Store:Kind"] = "s3",
            ["Tributary:Segments:Store:S3:Bucket"] = "segments-bucket",
            ["Tributary:Segments:Store:S3:Prefix"] = "seg",
            ["Tributary:Segments:Store:S3:ServiceUrl"] = "http://127.0.0.1:9",
            ["Tributary:Archive:Store:LocalPath"] = Directory.CreateTempSubdirectory("tributary-stores-").FullName,
        });

        var segments = Assert.IsType<S3ObjectStore>(app.Services.GetRequiredKeyedService<IObjectStore>(ObjectStoreKeys.Segments));
        Assert.Equal("s3://segments-bucket/seg", segments.Location);
        Assert.IsType<LocalDirectoryObjectStore>(app.Services.GetRequiredKeyedService<IObjectStore>(ObjectStoreKeys.Archive));
    }

    [Fact]
    public async Task StartAsync_SegmentsS3WithoutBucket_FailsNamingTheKey()
    {
        await using var app = Build(new Dictionary<string, string?>
        {
            ["Tributary:Segments:Store:Kind"] = "s3",
            ["Tributary:Segments:Store:S3:ServiceUrl"] = "http://127.0.0.1:9",
            ["Tributary:Archive:Store:LocalPath"] = Directory.CreateTempSubdirectory("tributary-stores-").FullName,
        });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("Tributary:Segments:Store:S3:Bucket is required when Tributary:Segments:Store:Kind is 's3'.", ex.Failures);
    }

    [Fact]
    public void Build_UnknownSegmentsStoreKind_FailsNamingTheKey()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Build(new Dictionary<string, string?> { ["Tributary:Segments:Store:Kind"] = "ftp" }));
        Assert.Contains("Tributary:Segments:Store:Kind must be 'local' or 's3' (was 'ftp').", ex.Failures);
    }

    [Fact]
    public void AddObjectStore_TwoKeys_EachResolvesItsOwnStoreWithItsDefaultPath()
    {
        var root = Directory.CreateTempSubdirectory("tributary-stores-").FullName;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["A:Store:Kind"] = "local",
            ["A:Store:LocalPath"] = Path.Combine(root, "a"),
        }).Build();
        var services = new ServiceCollection().AddLogging()
            .AddObjectStore("a", configuration.GetSection("A:Store"), Path.Combine(root, "unused"))
            .AddObjectStore("b", configuration.GetSection("B:Store"), Path.Combine(root, "b-default"));
        using var provider = services.BuildServiceProvider();

        Assert.EndsWith("/a/", provider.GetRequiredKeyedService<IObjectStore>("a").Location, StringComparison.Ordinal);
        Assert.EndsWith("/b-default/", provider.GetRequiredKeyedService<IObjectStore>("b").Location, StringComparison.Ordinal);
        Assert.Null(provider.GetService<IObjectStore>());
    }

    [Fact]
    public void AddObjectStore_StoreRegisteredBefore_IsKept()
    {
        var own = new LocalDirectoryObjectStore(Directory.CreateTempSubdirectory("tributary-stores-").FullName);
        var configuration = new ConfigurationBuilder().Build();
        var services = new ServiceCollection().AddLogging().AddKeyedSingleton<IObjectStore>("a", own)
            .AddObjectStore("a", configuration.GetSection("A:Store"), "elsewhere");
        using var provider = services.BuildServiceProvider();

        Assert.Same(own, provider.GetRequiredKeyedService<IObjectStore>("a"));
    }

    // Nothing here starts a silo (validation fails first, or the test only builds), so the default ports are never bound.
    private static WebApplication Build(Dictionary<string, string?> overrides)
        => TributarySiloHost.Build(["--profile", "embedded"], c => c.AddInMemoryCollection(overrides));
}
