using System.Text;
using System.Text.RegularExpressions;
using Tributary.Enrich.Filter;
using Tributary.Enrich.Json;

namespace Tributary.Enrich;

/// <summary>Whether the event's user agent looks like a crawler: a configurable case-insensitive pattern.</summary>
internal sealed class BotFlagEnricher : IEventEnricher
{
    /// <summary>The pattern used when none is configured: common crawler and tool markers.</summary>
    public const string DefaultPattern = @"bot|crawl|spider|slurp|headless|curl/|wget/|python-requests|facebookexternalhit|monitor";

    private static readonly object True = true;
    private static readonly object False = false;
    private readonly string _field;
    private readonly byte[] _fieldUtf8;
    private readonly Regex _regex;

    public BotFlagEnricher(string field, string column, string? pattern)
    {
        _field = field;
        _fieldUtf8 = Encoding.UTF8.GetBytes(field);
        _regex = EventFilter.CompileRegex(string.IsNullOrEmpty(pattern) ? DefaultPattern : pattern, RegexOptions.IgnoreCase);
        Columns = [new EnrichColumn(column, "BOOLEAN")];
    }

    public IReadOnlyList<EnrichColumn> Columns { get; }

    public void Enrich(in EventView e, Span<object?> output)
    {
        Span<char> buffer = stackalloc char[512];
        var v = e.Get(_fieldUtf8, _field);
        var bot = false;
        if (v.Kind == System.Text.Json.JsonTokenType.String && v.TryGetText(buffer, out var text, out var rented))
        {
            bot = _regex.IsMatch(text);
            if (rented is not null)
            {
                System.Buffers.ArrayPool<char>.Shared.Return(rented);
            }
        }

        output[0] = bot ? True : False;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
