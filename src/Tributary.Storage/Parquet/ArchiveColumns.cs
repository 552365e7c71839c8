using Parquet;
using Parquet.Schema;

namespace Tributary.Storage.Parquet;

/// <summary>A column's values for the row group being built.</summary>
internal abstract class ColumnBuffer(DataField field, int capacity)
{
    public DataField Field { get; } = field;
    protected int Capacity { get; } = capacity;
    public int Count { get; protected set; }
    public abstract Task WriteAsync(ParquetRowGroupWriter rowGroup, CancellationToken cancellationToken);
    public void Clear() => Count = 0;
}

internal sealed class ValueColumn<T>(DataField field, int capacity) : ColumnBuffer(field, capacity)
    where T : struct
{
    private readonly T[] _values = new T[capacity];

    public void Add(T value) => _values[Count++] = value;

    public override Task WriteAsync(ParquetRowGroupWriter rowGroup, CancellationToken cancellationToken)
        => rowGroup.WriteAsync<T>(Field, new ReadOnlyMemory<T>(_values, 0, Count), null, null, cancellationToken);
}

internal sealed class NullableColumn<T>(DataField field, int capacity) : ColumnBuffer(field, capacity)
    where T : struct
{
    private readonly T?[] _values = new T?[capacity];

    public void Add(T? value) => _values[Count++] = value;

    public override Task WriteAsync(ParquetRowGroupWriter rowGroup, CancellationToken cancellationToken)
        => rowGroup.WriteAsync<T>(Field, new ReadOnlyMemory<T?>(_values, 0, Count), null, null, cancellationToken);
}

internal sealed class StringColumn(DataField field, int capacity) : ColumnBuffer(field, capacity)
{
    private readonly string?[] _values = new string?[capacity];

    public void Add(string? value) => _values[Count++] = value;

    public override async Task WriteAsync(ParquetRowGroupWriter rowGroup, CancellationToken cancellationToken)
    {
        await rowGroup.WriteAsync(Field, new ArraySegment<string>(_values!, 0, Count)).ConfigureAwait(false);
        Array.Clear(_values, 0, Count);
    }
}

internal sealed class BytesColumn(DataField field, int capacity) : ColumnBuffer(field, capacity)
{
    private readonly byte[]?[] _values = new byte[]?[capacity];

    public void Add(byte[]? value) => _values[Count++] = value;

    public override async Task WriteAsync(ParquetRowGroupWriter rowGroup, CancellationToken cancellationToken)
    {
        await rowGroup.WriteAsync(Field, new ArraySegment<byte[]>(_values!, 0, Count)).ConfigureAwait(false);
        Array.Clear(_values, 0, Count);
    }
}
