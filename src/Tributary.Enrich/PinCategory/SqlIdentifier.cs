using System.Text.RegularExpressions;

namespace Tributary.Enrich;

/// <summary>MySQL identifiers from configuration: checked to be plain names, then quoted.</summary>
internal static partial class SqlIdentifier
{
    /// <summary>A name of letters, digits, <c>_</c> and <c>$</c>, at most 64 characters.</summary>
    public static bool IsValid(string? name) => name is not null && Plain().IsMatch(name);

    /// <summary>A table name: <c>name</c> or <c>schema.name</c>.</summary>
    public static bool IsValidTable(string? name)
        => name is not null && name.Split('.') is { Length: 1 or 2 } parts && parts.All(IsValid);

    /// <summary>Backtick-quoted (the name is valid, so it holds no backtick).</summary>
    public static string Quote(string name) => string.Join('.', name.Split('.').Select(p => $"`{p}`"));

    [GeneratedRegex("^[A-Za-z0-9_$]{1,64}$")]
    private static partial Regex Plain();
}
