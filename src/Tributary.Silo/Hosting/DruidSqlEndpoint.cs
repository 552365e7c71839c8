using System.Text;
using Tributary.Silo.Sql;
using Tributary.Sql;
using Tributary.Sql.Protocol;

namespace Tributary.Silo;

/// <summary>Druid's SQL HTTP API (<c>POST /druid/v2/sql</c>) over <see cref="DruidSqlExecutor"/>.</summary>
public static class DruidSqlEndpoint
{
    /// <summary>
    /// Maps <c>POST /druid/v2/sql</c> (and <c>/druid/v2/sql/</c>): a JSON body (Druid's), or a <c>text/plain</c> body
    /// holding the SQL, or a form-encoded body with a <c>query</c> field (or the SQL as the whole body). Answers with
    /// <c>X-Druid-SQL-Query-Id</c> and, when <c>header</c> is true, <c>X-Druid-SQL-Header-Included: yes</c>. Requests
    /// go to the one <see cref="DruidSqlExecutor"/> of the host's services (<see cref="TributarySiloHost"/> registers it).
    /// </summary>
    public static IEndpointRouteBuilder MapDruidSqlApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/druid/v2/sql", async (HttpContext http, DruidSqlExecutor executor) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body, http.RequestAborted);
            var contentType = http.Request.ContentType ?? "application/json";
            DruidSqlResponse response;
            var header = false;
            if (contentType.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase))
            {
                response = await executor.ExecuteAsync(SqlQueryRequest.FromText(Encoding.UTF8.GetString(body.ToArray())));
            }
            else if (contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
            {
                var text = Encoding.UTF8.GetString(body.ToArray());
                var form = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(text);
                var sql = form.TryGetValue("query", out var q) ? q.ToString() : Uri.UnescapeDataString(text.Replace('+', ' '));
                response = await executor.ExecuteAsync(SqlQueryRequest.FromText(sql));
            }
            else
            {
                var bytes = body.ToArray();
                try
                {
                    header = SqlQueryRequest.Parse(bytes).Header;
                }
                catch (Exception ex) when (ex is SqlException or System.Text.Json.JsonException or FormatException)
                {
                    header = false;
                }

                response = await executor.ExecuteAsync(bytes);
            }

            http.Response.Headers["X-Druid-SQL-Query-Id"] = response.QueryId;
            if (header && response.StatusCode == 200)
            {
                http.Response.Headers["X-Druid-SQL-Header-Included"] = "yes";
            }

            http.Response.StatusCode = response.StatusCode;
            http.Response.ContentType = response.ContentType;
            await http.Response.Body.WriteAsync(response.Body, http.RequestAborted);
        });
        return endpoints;
    }
}
