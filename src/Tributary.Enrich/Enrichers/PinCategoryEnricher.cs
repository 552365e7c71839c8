using System.Text;
using Tributary.Enrich.Json;

namespace Tributary.Enrich;

/// <summary>The pin's category from <see cref="PinCategoryCache"/>; <c>unknown</c> (and counted) when the table lacks the pin.</summary>
internal sealed class PinCategoryEnricher : IEventEnricher
{
    public const string Unknown = "unknown";

    private readonly PinCategoryCache _cache;
    private readonly string _field;
    private readonly byte[] _fieldUtf8;
    private readonly Action _onMissing;
    private long _missing;

    public PinCategoryEnricher(PinCategoryCache cache, string field, string column, Action onMissing)
    {
        _cache = cache;
        _field = field;
        _fieldUtf8 = Encoding.UTF8.GetBytes(field);
        _onMissing = onMissing;
        Columns = [new EnrichColumn(column, $"VARCHAR({cache.CategoryWidth})")];
    }

    public IReadOnlyList<EnrichColumn> Columns { get; }

    public PinCategoryCache Cache => _cache;

    /// <summary>The event's pin id, or null (for the benchmark's key extraction).</summary>
    public long? Key(in EventView e) => e.Get(_fieldUtf8, _field).TryGetInt64(out var pin) ? pin : null;

    /// <summary>Events whose pin id the table does not have (events without a usable pin id are not counted).</summary>
    public long MissingCount => Volatile.Read(ref _missing);

    public void Enrich(in EventView e, Span<object?> output)
    {
        if (!e.Get(_fieldUtf8, _field).TryGetInt64(out var pin))
        {
            output[0] = Unknown;
            return;
        }

        if (_cache.TryGet(pin, out var category))
        {
            output[0] = category;
            return;
        }

        Interlocked.Increment(ref _missing);
        _onMissing();
        output[0] = Unknown;
    }

    public ValueTask DisposeAsync() => _cache.DisposeAsync();
}
