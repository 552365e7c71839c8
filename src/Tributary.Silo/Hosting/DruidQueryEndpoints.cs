using System.Text.Json;
using Tributary.Segments;

namespace Tributary.Silo;

/// <summary>Druid's native query HTTP API over <see cref="IQueryBrokerGrain"/>.</summary>
public static class DruidQueryEndpoints
{
    /// <summary>Header that asks for the explain report, like <c>context.explain=true</c>.</summary>
    public const string ExplainHeader = "X-Tributary-Explain";

    /// <summary>
    /// Maps <c>POST /druid/v2</c> (Druid native query JSON in, Druid response JSON out; errors as Druid's error JSON
    /// with its status; <c>?pretty</c> indents) and <c>GET /druid/v2/datasources</c>.
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

            var bytes = response.Body;
            if (http.Request.Query.ContainsKey("pretty"))
            {
                using var doc = JsonDocument.Parse(bytes);
                bytes = JsonSerializer.SerializeToUtf8Bytes(doc.RootElement, PrettyOptions);
            }

            http.Response.StatusCode = response.StatusCode;
            http.Response.ContentType = "application/json";
            await http.Response.Body.WriteAsync(bytes, http.RequestAborted);
        });
        endpoints.MapGet("/druid/v2/datasources", async (IClusterClient client) =>
            Results.Json(await client.GetGrain<IQueryBrokerGrain>(0).GetDatasourcesAsync()));
        return endpoints;
    }

    private static readonly JsonSerializerOptions PrettyOptions = new() { WriteIndented = true };
}
