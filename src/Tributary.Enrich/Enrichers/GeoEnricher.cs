using System.Text;
using System.Text.Json;
using Tributary.Enrich.Geo;
using Tributary.Enrich.Json;

namespace Tributary.Enrich;

/// <summary>Country code of the event's IP field (<see cref="GeoIpDatabase"/>), or <c>unknown</c>.</summary>
internal sealed class GeoEnricher : IEventEnricher
{
    private readonly GeoIpDatabase _database;
    private readonly string _field;
    private readonly byte[] _fieldUtf8;
    private long _unknown;

    public GeoEnricher(GeoIpDatabase database, string field, string column)
    {
        _database = database;
        _field = field;
        _fieldUtf8 = Encoding.UTF8.GetBytes(field);
        // Two-letter ISO codes, or the seven letters of "unknown".
        Columns = [new EnrichColumn(column, $"VARCHAR({GeoIpDatabase.Unknown.Length})")];
    }

    public IReadOnlyList<EnrichColumn> Columns { get; }

    public GeoIpDatabase Database => _database;

    /// <summary>The event's address text as UTF-8, or null (for the benchmark's key extraction).</summary>
    public byte[]? Key(in EventView e)
    {
        var v = e.Get(_fieldUtf8, _field);
        return v.Kind != JsonTokenType.String ? null : v.Unescaped is null ? v.Raw.ToArray() : Encoding.UTF8.GetBytes(v.Unescaped);
    }

    /// <summary>Events whose address gave no country.</summary>
    public long UnknownCount => Volatile.Read(ref _unknown);

    public void Enrich(in EventView e, Span<object?> output)
    {
        var v = e.Get(_fieldUtf8, _field);
        var country = v.Kind != JsonTokenType.String ? GeoIpDatabase.Unknown
            : v.Unescaped is null ? _database.Lookup(v.Raw)
            : _database.Lookup(v.Unescaped.AsSpan());
        if (ReferenceEquals(country, GeoIpDatabase.Unknown))
        {
            Interlocked.Increment(ref _unknown);
        }

        output[0] = country;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
