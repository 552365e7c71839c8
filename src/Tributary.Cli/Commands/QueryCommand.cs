using System.CommandLine;
using System.Net.Http.Headers;
using System.Text;

namespace Tributary.Cli.Commands;

/// <summary><c>tributary query FILE.json</c>: posts a Druid native query to a running silo's <c>/druid/v2</c> and prints the answer.</summary>
internal static class QueryCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "Druid native query JSON ('-' reads standard input)." };
        var url = new Option<string>("--url") { Description = "Base URL of the silo's HTTP API.", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var explain = new Option<bool>("--explain") { Description = "Ask for the pruning report (segments considered, pruned, scanned)." };
        var command = new Command("query", "Run a Druid native query against a running silo (POST /druid/v2) and print the JSON answer.") { file, url, explain };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(file)!;
            string body;
            if (path.Name == "-")
            {
                body = await Console.In.ReadToEndAsync(cancellationToken);
            }
            else if (!path.Exists)
            {
                await Console.Error.WriteLineAsync($"query file '{path.FullName}' does not exist.");
                return 2;
            }
            else
            {
                body = await File.ReadAllTextAsync(path.FullName, cancellationToken);
            }

            var (status, text) = await PostAsync(parse.GetValue(url)!, body, parse.GetValue(explain), cancellationToken);
            if (status is >= 200 and < 300)
            {
                Console.WriteLine(text);
                return 0;
            }

            await Console.Error.WriteLineAsync($"HTTP {status}: {text}");
            return 1;
        });
        return command;
    }

    /// <summary>Posts <paramref name="query"/> to <c>{baseUrl}/druid/v2?pretty</c>.</summary>
    public static async Task<(int Status, string Body)> PostAsync(string baseUrl, string query, bool explain, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl.TrimEnd('/') + "/") };
        using var content = new StringContent(query, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "druid/v2?pretty") { Content = content };
        if (explain)
        {
            request.Headers.Add("X-Tributary-Explain", "true");
        }

        using var response = await http.SendAsync(request, cancellationToken);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }
}
