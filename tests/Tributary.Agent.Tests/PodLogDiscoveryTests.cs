using Tributary.Agent.Kubernetes;
using Tributary.Agent.Options;

namespace Tributary.Agent.Tests;

public sealed class PodLogDiscoveryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tributary-pods-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("default_web-0_3f2a", true, "default", "web-0", "3f2a")]
    [InlineData("kube-system_coredns-5d78c9869d-abcde_8d6b2c1e-0000-4a4a-9f9f-123456789abc", true, "kube-system", "coredns-5d78c9869d-abcde", "8d6b2c1e-0000-4a4a-9f9f-123456789abc")]
    [InlineData("no-underscores", false, "", "", "")]
    [InlineData("a_b_c_d", false, "", "", "")]
    [InlineData("a__c", false, "", "", "")]
    public void TryParsePodDirectory_Name_SplitsNamespacePodAndUid(string name, bool ok, string ns, string pod, string uid)
    {
        Assert.Equal(ok, PodLogDiscovery.TryParsePodDirectory(name, out var n, out var p, out var u));
        Assert.Equal((ns, pod, uid), (n, p, u));
    }

    [Fact]
    public void Discover_PodLayout_OneStreamPerLogFileWithHeadersAndKubeletRotationPattern()
    {
        var container = Directory.CreateDirectory(Path.Combine(_root, "shop_cart-1_uid-1", "app")).FullName;
        File.WriteAllText(Path.Combine(container, "0.log"), "x\n");
        File.WriteAllText(Path.Combine(container, "1.log"), "y\n");
        File.WriteAllText(Path.Combine(container, "0.log.20240102-150405"), "old\n");
        var template = new LogStreamOptions { Topic = "pods", BatchMaxRecords = 7 };

        var streams = PodLogDiscovery.Discover(new KubernetesOptions { Enabled = true, Root = _root, Stream = template }).ToList();

        Assert.Equal(["k8s/shop/cart-1/uid-1/app/0.log", "k8s/shop/cart-1/uid-1/app/1.log"], streams.Select(s => s.Name));
        var first = streams[0];
        Assert.Equal(container, first.Directory);
        Assert.Equal("0.log", first.Pattern);
        Assert.Equal("0.log.????????-??????", first.RotatedPattern);
        Assert.Equal(7, first.BatchMaxRecords);
        Assert.Equal("shop", first.Headers[PodLogDiscovery.NamespaceHeader]);
        Assert.Equal("cart-1", first.Headers[PodLogDiscovery.PodHeader]);
        Assert.Equal("app", first.Headers[PodLogDiscovery.ContainerHeader]);
        Assert.Empty(template.Headers);
    }
}
