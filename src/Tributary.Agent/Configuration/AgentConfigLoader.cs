using System.Text.Json;
using System.Text.Json.Serialization;
using Tributary.Agent.Options;

namespace Tributary.Agent.Configuration;

/// <summary>
/// Reads the main JSON file and the conf.d stream files. Unknown keys, wrong types and invalid values
/// are errors naming the file and the key.
/// </summary>
public static class AgentConfigLoader
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
    };

    /// <summary>Loads and validates the main file; relative directories are resolved against its folder.</summary>
    public static AgentOptions LoadMain(string path)
    {
        var options = Deserialize<AgentOptions>(path);
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!string.IsNullOrEmpty(options.DataDirectory))
        {
            options.DataDirectory = Path.GetFullPath(options.DataDirectory, baseDir);
        }

        if (!string.IsNullOrEmpty(options.ConfDirectory))
        {
            options.ConfDirectory = Path.GetFullPath(options.ConfDirectory, baseDir);
        }

        var result = new AgentOptionsValidator().Validate(null, options);
        if (result.Failed)
        {
            throw new AgentConfigException($"{path}: {string.Join("; ", result.Failures!)}");
        }

        return options;
    }

    /// <summary>Loads and validates one conf.d stream file; the stream name defaults to the file name.</summary>
    public static LogStreamOptions LoadStream(string path)
    {
        var stream = Deserialize<LogStreamOptions>(path);
        stream.Name ??= Path.GetFileNameWithoutExtension(path);
        var errors = LogStreamOptionsValidator.Validate(stream, string.Empty, template: false).ToList();
        if (errors.Count > 0)
        {
            throw new AgentConfigException($"{path}: {string.Join("; ", errors)}");
        }

        return stream;
    }

    /// <summary>Parses a stream from JSON text (for callers that keep configuration elsewhere).</summary>
    public static LogStreamOptions ParseStream(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<LogStreamOptions>(json, Json) ?? throw new AgentConfigException($"{source}: the file is empty (null)");
        }
        catch (JsonException ex)
        {
            throw new AgentConfigException($"{source}: {Describe(ex)}", ex);
        }
    }

    private static T Deserialize<T>(string path)
        where T : class
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AgentConfigException($"{path}: cannot be read: {ex.Message}", ex);
        }

        try
        {
            return JsonSerializer.Deserialize<T>(text, Json) ?? throw new AgentConfigException($"{path}: the file is empty (null)");
        }
        catch (JsonException ex)
        {
            throw new AgentConfigException($"{path}: {Describe(ex)}", ex);
        }
    }

    private static string Describe(JsonException ex)
    {
        var key = string.IsNullOrEmpty(ex.Path) ? "$" : ex.Path;
        var line = ex.LineNumber is { } l ? $" (line {l + 1})" : string.Empty;
        return $"{key}{line}: {ex.Message}";
    }
}
