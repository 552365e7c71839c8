using System.Net;
using System.Net.Sockets;

namespace Tributary.TestKit;

/// <summary>
/// Free TCP ports on 127.0.0.1 for test hosts (silo, gateway, HTTP, services started by a test). The OS picks
/// the port, and the listener is closed before the caller binds it, so the OS may offer the same port again to
/// the next call; this remembers every port it handed out in this process and never hands one out twice (a
/// test that binds three ports at once would otherwise collide with itself).
/// </summary>
public static class FreePort
{
    private static readonly HashSet<int> HandedOut = [];
    private static readonly Lock Gate = new();

    /// <summary>A port that nothing listened on a moment ago and that this process has not been given before.</summary>
    public static int Next()
    {
        while (true)
        {
            var port = Probe();
            lock (Gate)
            {
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }
    }

    /// <summary>Whether <see cref="Next"/> has handed out <paramref name="port"/> in this process.</summary>
    public static bool WasHandedOut(int port)
    {
        lock (Gate)
        {
            return HandedOut.Contains(port);
        }
    }

    private static int Probe()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
