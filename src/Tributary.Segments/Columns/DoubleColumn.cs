namespace Tributary.Segments.Columns;

/// <summary>A growable column of doubles. Not thread-safe.</summary>
public sealed class DoubleColumn
{
    private double[] _values = new double[128];
    private int _count;

    /// <summary>Number of values.</summary>
    public int Count => _count;

    /// <summary>Bytes allocated.</summary>
    public long AllocatedBytes => _values.Length * 8L;

    /// <summary>The value at <paramref name="index"/>.</summary>
    public double this[int index]
    {
        get => (uint)index < (uint)_count ? _values[index] : throw new ArgumentOutOfRangeException(nameof(index));
        set => _values[(uint)index < (uint)_count ? index : throw new ArgumentOutOfRangeException(nameof(index))] = value;
    }

    /// <summary>Appends <paramref name="value"/>.</summary>
    public void Add(double value)
    {
        if (_count == _values.Length)
        {
            Array.Resize(ref _values, _values.Length + (_values.Length / 2));
        }

        _values[_count++] = value;
    }
}
