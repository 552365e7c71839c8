using System.Net;

namespace Tributary.Archive.Tests;

/// <summary>
/// An HTTP proxy on loopback in front of s3rver that fails a seeded share of requests: answers 500 or 503,
/// or stalls (holds the request past the client's timeout, then drops the connection). Everything else is
/// forwarded unchanged, Host header included, so SigV4 signatures still verify.
/// </summary>
internal sealed class FaultInjectingProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _client = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = Timeout.InfiniteTimeSpan };
    private readonly Random _random;
    private readonly Lock _gate = new();
    private readonly double _share;
    private readonly TimeSpan _stall;
    private int _errors;
    private int _stalls;
    private int _forwarded;

    private FaultInjectingProxy(string target, double share, int seed, TimeSpan stall)
    {
        _share = share;
        _stall = stall;
        _random = new Random(seed);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        var upstream = new Uri(target);
        _app.Run(context => HandleAsync(context, upstream));
    }

    /// <summary>The proxy's endpoint.</summary>
    public string Endpoint => _app.Urls.First();

    /// <summary>Requests answered with 500 or 503.</summary>
    public int Errors => _errors;

    /// <summary>Requests stalled and dropped.</summary>
    public int Stalls => _stalls;

    /// <summary>Requests passed through.</summary>
    public int Forwarded => _forwarded;

    /// <summary>When false, every request is forwarded (to let a run finish cleanly).</summary>
    public bool Enabled { get; set; } = true;

    public static async Task<FaultInjectingProxy> StartAsync(string target, double share, int seed, TimeSpan stall)
    {
        var proxy = new FaultInjectingProxy(target, share, seed, stall);
        await proxy._app.StartAsync();
        return proxy;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _client.Dispose();
    }

    private async Task HandleAsync(HttpContext context, Uri upstream)
    {
        int fault;
        lock (_gate)
        {
            fault = Enabled && _random.NextDouble() < _share ? _random.Next(3) : -1;
        }

        switch (fault)
        {
            case 0:
            case 1:
                Interlocked.Increment(ref _errors);
                context.Response.StatusCode = fault == 0 ? 500 : 503;
                context.Response.ContentType = "application/xml";
                await context.Response.WriteAsync(fault == 0
                    ? "<Error><Code>InternalError</Code><Message>injected</Message></Error>"
                    : "<Error><Code>SlowDown</Code><Message>injected</Message></Error>");
                return;
            case 2:
                Interlocked.Increment(ref _stalls);
                try
                {
                    // the injected fault: hold the request past the client's timeout, then drop it
                    await Task.Delay(_stall, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    // the client gave up first
                }

                context.Abort();
                return;
        }

        Interlocked.Increment(ref _forwarded);
        var request = context.Request;
        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(upstream, request.Path + request.QueryString));
        var body = new MemoryStream();
        await request.Body.CopyToAsync(body, context.RequestAborted);
        body.Position = 0;
        forward.Content = new StreamContent(body);
        foreach (var (name, values) in request.Headers)
        {
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                forward.Headers.Host = values.ToString();
            }
            else if (!forward.Headers.TryAddWithoutValidation(name, values.ToArray()))
            {
                forward.Content.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }

        using var response = await _client.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (!name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        if (request.Method != HttpMethods.Head && response.StatusCode != HttpStatusCode.NoContent && response.StatusCode != HttpStatusCode.NotModified)
        {
            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
    }
}
