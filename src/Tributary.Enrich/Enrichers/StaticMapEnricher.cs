using System.Text;
using Tributary.Enrich.Json;

namespace Tributary.Enrich;

/// <summary>A fixed lookup from configuration: the field's text mapped through a table, else a default.</summary>
internal sealed class StaticMapEnricher : IEventEnricher
{
    private readonly string _field;
    private readonly byte[] _fieldUtf8;
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _map;
    private readonly string _default;

    public StaticMapEnricher(string field, string column, IReadOnlyDictionary<string, string> map, string defaultValue)
    {
        _field = field;
        _fieldUtf8 = Encoding.UTF8.GetBytes(field);
        _map = new Dictionary<string, string>(map, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        _default = defaultValue;
        var width = Math.Max(1, map.Values.Append(defaultValue).Max(v => v.Length));
        Columns = [new EnrichColumn(column, $"VARCHAR({width})")];
    }

    public IReadOnlyList<EnrichColumn> Columns { get; }

    public void Enrich(in EventView e, Span<object?> output)
    {
        Span<char> buffer = stackalloc char[128];
        var v = e.Get(_fieldUtf8, _field);
        var result = _default;
        if (v.TryGetText(buffer, out var text, out var rented))
        {
            if (_map.TryGetValue(text, out var mapped))
            {
                result = mapped;
            }

            if (rented is not null)
            {
                System.Buffers.ArrayPool<char>.Shared.Return(rented);
            }
        }

        output[0] = result;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
