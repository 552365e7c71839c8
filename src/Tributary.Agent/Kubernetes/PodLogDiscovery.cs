using Tributary.Agent.Options;

namespace Tributary.Agent.Kubernetes;

/// <summary>
/// Finds the container logs the kubelet writes: <c>{root}/{namespace}_{pod}_{uid}/{container}/{n}.log</c>
/// (n = restart count). Each log file becomes a stream named <c>k8s/{namespace}/{pod}/{uid}/{container}/{file}</c>
/// built from the template, with <c>namespace</c>, <c>pod</c> and <c>container</c> headers; the kubelet's
/// rotated files (<c>0.log.20240102-150405</c>) are its rotated pattern, its compressed ones are not read.
/// </summary>
public static class PodLogDiscovery
{
    /// <summary>Header with the pod's namespace.</summary>
    public const string NamespaceHeader = "namespace";

    /// <summary>Header with the pod name.</summary>
    public const string PodHeader = "pod";

    /// <summary>Header with the container name.</summary>
    public const string ContainerHeader = "container";

    /// <summary>The streams under the configured root now.</summary>
    public static IEnumerable<LogStreamOptions> Discover(KubernetesOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Directory.Exists(options.Root))
        {
            yield break;
        }

        foreach (var podDir in Directory.GetDirectories(options.Root).Order(StringComparer.Ordinal))
        {
            if (!TryParsePodDirectory(Path.GetFileName(podDir), out var ns, out var pod, out var uid))
            {
                continue;
            }

            string[] containers;
            try
            {
                containers = Directory.GetDirectories(podDir);
            }
            catch (DirectoryNotFoundException)
            {
                continue;
            }

            foreach (var containerDir in containers.Order(StringComparer.Ordinal))
            {
                var container = Path.GetFileName(containerDir);
                string[] logs;
                try
                {
                    logs = Directory.GetFiles(containerDir, "*.log");
                }
                catch (DirectoryNotFoundException)
                {
                    continue;
                }

                foreach (var log in logs.Order(StringComparer.Ordinal))
                {
                    var file = Path.GetFileName(log);
                    var stream = options.Stream.Clone();
                    stream.Name = $"k8s/{ns}/{pod}/{uid}/{container}/{file}";
                    stream.Directory = containerDir;
                    stream.Pattern = file;
                    stream.RotatedPattern = file + ".????????-??????";
                    stream.Headers[NamespaceHeader] = ns;
                    stream.Headers[PodHeader] = pod;
                    stream.Headers[ContainerHeader] = container;
                    yield return stream;
                }
            }
        }
    }

    /// <summary>Splits <c>{namespace}_{pod}_{uid}</c> (namespace and pod names cannot contain '_').</summary>
    public static bool TryParsePodDirectory(string name, out string ns, out string pod, out string uid)
    {
        ArgumentNullException.ThrowIfNull(name);
        var parts = name.Split('_');
        if (parts.Length == 3 && parts.All(p => p.Length > 0))
        {
            (ns, pod, uid) = (parts[0], parts[1], parts[2]);
            return true;
        }

        ns = pod = uid = string.Empty;
        return false;
    }
}
