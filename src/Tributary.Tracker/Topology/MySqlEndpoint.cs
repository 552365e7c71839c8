using System.Globalization;

namespace Tributary.Tracker;

/// <summary>A MySQL server address, <c>host:port</c>.</summary>
public readonly record struct MySqlEndpoint(string Host, int Port)
{
    /// <summary>Parses <c>host:port</c>; throws <see cref="FormatException"/> naming the text otherwise.</summary>
    public static MySqlEndpoint Parse(string text)
        => TryParse(text, out var endpoint) ? endpoint : throw new FormatException($"'{text}' is not a MySQL endpoint 'host:port'.");

    /// <summary>Parses <c>host:port</c>.</summary>
    public static bool TryParse(string? text, out MySqlEndpoint endpoint)
    {
        endpoint = default;
        var colon = text?.LastIndexOf(':') ?? -1;
        if (text is null || colon <= 0
            || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is <= 0 or > 65535)
        {
            return false;
        }

        endpoint = new MySqlEndpoint(text[..colon], port);
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}");
}
