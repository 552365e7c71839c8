using Parquet;
using Parquet.Schema;

namespace Tributary.Storage.Parquet;

/// <summary>
/// A column's values for the row group being built. The arrays grow by doubling up to the row group size:
/// most archive files are far smaller than a row group, and allocating every column at full size up front
/// (about 7 MB of large-object heap per open file at 65,536 rows) dominated the cost of small files.
/// </summary>
internal abstract class ColumnBuffer(DataField field, int capacity)
{
    private const int InitialSize = 256;

    public DataField Field { get; } = field;
    protected int Capacity { get; } = capacity;
    public int Count { get; protected set; }
    public abstract Task WriteAsync(ParquetRowGroupWriter rowGroup, CancellationToken cancellationToken);
    public void Clear() => Count = 0;

    protected T[] Initial<T>() => new T[Math.Min(Capacity, InitialSize)];

    protected T[] Room<T>(T[] values)
    {
        if (Count < values.Length)
        {
            return values;
        }

        if (Count >= Capacity)
        {
            throw new InvalidOperationException($"column '{Field.Name}' holds a full row group of {Capacity} rows: flush it first");
        }

        var grown = new T[(int)Math.Min(Capacity, Math.Max(InitialSize, values.Length * 2L))];
        Array.Copy(values, grown, Count);
        return grown;
    }
}

internal sealed class ValueColumn<T>(DataField field, int capacity) : ColumnBuffer(field, capacity)
    where T : struct
{
    private T[]? _values;

    public void Add(T value)
    {
        _values = Room(_values ?? Initial<T>());
        _values[Count++] = value;
    }

    public override Task WriteAsync(ParquetRowGroupWriter rowGroup, CancellationToken cancellationToken)
        => rowGroup.WriteAsync<T>(Field, new ReadOnlyMemory<T>(_values ?? [], 0, Count), null, null, cancellationToken);
}

internal sealed class NullableColumn<T>(DataField field, int capacity) : ColumnBuffer(field, capacity)
    where T : struct
{
    private T?[]? _values;

    public void Add(T? value)
    {
        _values = Room(_values ?? Initial<T?>());
        _values[Count++] = value;
    }

    public override Task WriteAsync(ParquetRowGroupWriter rowGroup, CancellationToken cancellationToken)
        => rowGroup.WriteAsync<T>(Field, new ReadOnlyMemory<T?>(_values ?? [], 0, Count), null, null, cancellationToken);
}

internal sealed class StringColumn(DataField field, int capacity) : ColumnBuffer(field, capacity)
{
    private string?[]? _values;

    public void Add(string? value)
    {
        _values = Room(_values ?? Initial<string?>());
        _values[Count++] = value;
    }

    public override async Task WriteAsync(ParquetRowGroupWriter rowGroup, CancellationToken cancellationToken)
    {
        await rowGroup.WriteAsync(Field, new ArraySegment<string>((_values ?? [])!, 0, Count)).ConfigureAwait(false);
        if (_values is not null)
        {
            Array.Clear(_values, 0, Count);
        }
    }
}

internal sealed class BytesColumn(DataField field, int capacity) : ColumnBuffer(field, capacity)
{
    private byte[]?[]? _values;

    public void Add(byte[]? value)
    {
        _values = Room(_values ?? Initial<byte[]?>());
        _values[Count++] = value;
    }

    public override async Task WriteAsync(ParquetRowGroupWriter rowGroup, CancellationToken cancellationToken)
    {
        await rowGroup.WriteAsync(Field, new ArraySegment<byte[]>((_values ?? [])!, 0, Count)).ConfigureAwait(false);
        if (_values is not null)
        {
            Array.Clear(_values, 0, Count);
        }
    }
}
