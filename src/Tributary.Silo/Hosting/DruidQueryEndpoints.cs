using System.Reflection;
using System.Text.Json;
using Tributary.Segments;

namespace Tributary.Silo;

/// <summary>Druid's native query HTTP API over <see cref="IQueryBrokerGrain"/>, and Druid's status routes.</summary>
/// <remarks>
/// ASP.NET Core's route matching accepts a trailing slash on every template, so <c>/druid/v2/</c>,
/// <c>/druid/v2/datasources/</c> and <c>/status/</c> (where pydruid, Grafana and Plywood send their requests) reach the
/// same endpoints; the HTTP tests check each form.
/// </remarks>
public static class DruidQueryEndpoints
{
    /// <summary>Header that asks for the explain report, like <c>context.explain=true</c>.</summary>
    public const string ExplainHeader = "X-Tributary-Explain";

    /// <summary>
    /// Maps <c>POST /druid/v2</c> (Druid native query JSON in, Druid response JSON out; errors as Druid's error JSON
    /// with its status; <c>?pretty</c> indents), <c>GET /druid/v2/datasources</c>,
    /// <c>GET /druid/v2/datasources/{name}</c> (<c>?interval=</c>) with its <c>/dimensions</c> and <c>/metrics</c>,
    /// <c>GET /status</c> and <c>GET /status/health</c>.
    /// </summary>
    public static IEndpointRouteBuilder MapDruidQueryApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/druid/v2", async (HttpContext http, IClusterClient client) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body, http.RequestAborted);
            var explain = http.Request.Headers.TryGetValue(ExplainHeader, out var h) && bool.TryParse(h.ToString(), out var e) && e;
            var response = await client.GetGrain<IQueryBrokerGrain>(0).QueryAsync(body.ToArray(), explain);
            if (response.Explain is not null)
            {
                http.Response.Headers[ExplainHeader] = response.Explain;
            }

            await WriteAsync(http, response.StatusCode, response.Body);
        });
        endpoints.MapGet("/druid/v2/datasources", async (IClusterClient client) =>
            Results.Json(await client.GetGrain<IQueryBrokerGrain>(0).GetDatasourcesAsync()));
        endpoints.MapGet("/druid/v2/datasources/{name}", async (HttpContext http, IClusterClient client, string name) =>
        {
            var response = await client.GetGrain<IQueryBrokerGrain>(0).GetDatasourceAsync(name, http.Request.Query["interval"].FirstOrDefault());
            await WriteAsync(http, response.StatusCode, response.Body);
        });
        endpoints.MapGet("/druid/v2/datasources/{name}/dimensions", (HttpContext http, IClusterClient client, string name) => ColumnsAsync(http, client, name, "dimensions"));
        endpoints.MapGet("/druid/v2/datasources/{name}/metrics", (HttpContext http, IClusterClient client, string name) => ColumnsAsync(http, client, name, "metrics"));
        endpoints.MapGet("/status", () => Results.Json(Status()));
        endpoints.MapGet("/status/health", () => Results.Json(true));
        return endpoints;
    }

    /// <summary>Druid's <c>/status</c> body: version, modules (Tributary's assemblies) and memory in bytes.</summary>
    internal static object Status()
    {
        var gc = GC.GetGCMemoryInfo();
        var used = GC.GetTotalMemory(forceFullCollection: false);
        var total = Math.Max(gc.TotalCommittedBytes, used);
        var modules = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => a.GetName().Name is { } n && n.StartsWith("Tributary.", StringComparison.Ordinal))
            .OrderBy(a => a.GetName().Name, StringComparer.Ordinal)
            .Select(a => new { name = a.GetName().Name, artifact = a.GetName().Name!.ToLowerInvariant(), version = VersionOf(a) })
            .ToArray();
        return new
        {
            version = VersionOf(typeof(DruidQueryEndpoints).Assembly),
            modules,
            memory = new
            {
                maxMemory = gc.TotalAvailableMemoryBytes,
                totalMemory = total,
                freeMemory = total - used,
                usedMemory = used,
                // memory the process holds outside the managed heap (Druid: direct buffers)
                directMemory = Math.Max(0, Environment.WorkingSet - total),
            },
        };
    }

    private static string VersionOf(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? assembly.GetName().Version?.ToString()
        ?? "unknown";

    private static async Task ColumnsAsync(HttpContext http, IClusterClient client, string name, string property)
    {
        var response = await client.GetGrain<IQueryBrokerGrain>(0).GetDatasourceAsync(name, http.Request.Query["interval"].FirstOrDefault());
        var body = response.Body;
        if (response.StatusCode == 200)
        {
            using var doc = JsonDocument.Parse(body);
            body = JsonSerializer.SerializeToUtf8Bytes(doc.RootElement.GetProperty(property));
        }

        await WriteAsync(http, response.StatusCode, body);
    }

    private static async Task WriteAsync(HttpContext http, int status, byte[] bytes)
    {
        if (http.Request.Query.ContainsKey("pretty"))
        {
            using var doc = JsonDocument.Parse(bytes);
            bytes = JsonSerializer.SerializeToUtf8Bytes(doc.RootElement, PrettyOptions);
        }

        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(bytes, http.RequestAborted);
    }

    private static readonly JsonSerializerOptions PrettyOptions = new() { WriteIndented = true };
}
