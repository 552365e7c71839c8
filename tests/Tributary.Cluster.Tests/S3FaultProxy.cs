using System.Net;
using System.Net.Sockets;
using System.Text;
using Tributary.TestKit;

namespace Tributary.Cluster.Tests;

/// <summary>
/// A TCP proxy in front of s3rver that the silos use as their S3 endpoint. While <see cref="Failing"/> is set, every new
/// connection is answered with <c>503 Slow Down</c> (what S3 returns under throttling) and closed, and open connections
/// are cut; otherwise bytes pass through unchanged.
/// </summary>
internal sealed class S3FaultProxy : IAsyncDisposable
{
    private static readonly byte[] SlowDown = Encoding.ASCII.GetBytes(
        "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: 95\r\nConnection: close\r\n\r\n" +
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>x</Message></Error>");
    private readonly TcpListener _listener;
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly List<TcpClient> _open = [];
    private volatile bool _failing;

    public S3FaultProxy(string upstreamEndpoint)
    {
        var uri = new Uri(upstreamEndpoint);
        _upstream = new IPEndPoint(IPAddress.Loopback, uri.Port);
        _listener = new TcpListener(IPAddress.Loopback, FreePort.Next());
        _listener.Start();
        Endpoint = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _accepting = AcceptAsync();
    }

    public string Endpoint { get; }

    private int _refused;

    /// <summary>Connections answered with 503 so far.</summary>
    public int Refused => Volatile.Read(ref _refused);

    public bool Failing
    {
        get => _failing;
        set
        {
            _failing = value;
            if (value)
            {
                lock (_open)
                {
                    foreach (var client in _open)
                    {
                        client.Dispose();
                    }

                    _open.Clear();
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // stopped
        }

        Failing = true;
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        TcpClient? upstreamClient = null;
        try
        {
            if (_failing)
            {
                Interlocked.Increment(ref _refused);
                var stream = client.GetStream();
                await stream.WriteAsync(SlowDown);
                await stream.FlushAsync();
                return;
            }

            using var upstream = upstreamClient = new TcpClient();
            await upstream.ConnectAsync(_upstream);
            lock (_open)
            {
                _open.Add(client);
                _open.Add(upstream);
            }

            var down = client.GetStream();
            var up = upstream.GetStream();
            await Task.WhenAny(down.CopyToAsync(up), up.CopyToAsync(down));
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // a cut connection: the client retries
        }
        finally
        {
            lock (_open)
            {
                _open.Remove(client);
                if (upstreamClient is not null)
                {
                    _open.Remove(upstreamClient);
                }
            }
        }
    }
}
