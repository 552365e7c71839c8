using System.Globalization;
using System.Text;

namespace Tributary.Query;

/// <summary>
/// The intermediate (mergeable) state of one aggregator for one group. A segment engine creates states with
/// <see cref="AggregatorStates.Create"/>, feeds them through the typed members of the concrete classes, and ships
/// them in a partial result; the broker merges states of the same group and finalizes them with <see cref="Result"/>.
/// </summary>
public interface IAggregatorState
{
    /// <summary>Folds <paramref name="other"/> (a state of the same aggregator) into this one.</summary>
    void Merge(IAggregatorState other);

    /// <summary>The finalized value as Druid returns it (long, double, or null when min/max saw nothing).</summary>
    object? Result();

    /// <summary>A deep copy.</summary>
    IAggregatorState Clone();
}

/// <summary>State of <c>count</c>.</summary>
public sealed class CountState : IAggregatorState
{
    /// <summary>Rows counted.</summary>
    public long Count { get; set; }

    /// <inheritdoc />
    public void Merge(IAggregatorState other) => Count += ((CountState)other).Count;

    /// <inheritdoc />
    public object? Result() => Count;

    /// <inheritdoc />
    public IAggregatorState Clone() => new CountState { Count = Count };
}

/// <summary>State of <c>longSum</c> (wraps on overflow like Java's long).</summary>
public sealed class LongSumState : IAggregatorState
{
    /// <summary>The running sum.</summary>
    public long Sum { get; set; }

    /// <summary>Adds a value.</summary>
    public void Add(long value) => Sum = unchecked(Sum + value);

    /// <inheritdoc />
    public void Merge(IAggregatorState other) => Add(((LongSumState)other).Sum);

    /// <inheritdoc />
    public object? Result() => Sum;

    /// <inheritdoc />
    public IAggregatorState Clone() => new LongSumState { Sum = Sum };
}

/// <summary>State of <c>doubleSum</c>.</summary>
public sealed class DoubleSumState : IAggregatorState
{
    /// <summary>The running sum.</summary>
    public double Sum { get; set; }

    /// <summary>Adds a value.</summary>
    public void Add(double value) => Sum += value;

    /// <inheritdoc />
    public void Merge(IAggregatorState other) => Sum += ((DoubleSumState)other).Sum;

    /// <inheritdoc />
    public object? Result() => Sum;

    /// <inheritdoc />
    public IAggregatorState Clone() => new DoubleSumState { Sum = Sum };
}

/// <summary>State of <c>longMin</c> / <c>longMax</c>; null until a value is seen.</summary>
public sealed class LongExtremumState(bool max) : IAggregatorState
{
    /// <summary>True for max, false for min.</summary>
    public bool IsMax { get; } = max;

    /// <summary>The extremum so far, or null.</summary>
    public long? Value { get; set; }

    /// <summary>Offers a value.</summary>
    public void Add(long value)
    {
        if (Value is not { } v || (IsMax ? value > v : value < v))
        {
            Value = value;
        }
    }

    /// <inheritdoc />
    public void Merge(IAggregatorState other)
    {
        if (((LongExtremumState)other).Value is { } v)
        {
            Add(v);
        }
    }

    /// <inheritdoc />
    public object? Result() => Value;

    /// <inheritdoc />
    public IAggregatorState Clone() => new LongExtremumState(IsMax) { Value = Value };
}

/// <summary>State of <c>doubleMin</c> / <c>doubleMax</c>; null until a value is seen.</summary>
public sealed class DoubleExtremumState(bool max) : IAggregatorState
{
    /// <summary>True for max, false for min.</summary>
    public bool IsMax { get; } = max;

    /// <summary>The extremum so far, or null.</summary>
    public double? Value { get; set; }

    /// <summary>Offers a value.</summary>
    public void Add(double value)
    {
        if (Value is not { } v || (IsMax ? value > v : value < v))
        {
            Value = value;
        }
    }

    /// <inheritdoc />
    public void Merge(IAggregatorState other)
    {
        if (((DoubleExtremumState)other).Value is { } v)
        {
            Add(v);
        }
    }

    /// <inheritdoc />
    public object? Result() => Value;

    /// <inheritdoc />
    public IAggregatorState Clone() => new DoubleExtremumState(IsMax) { Value = Value };
}

/// <summary>State of <c>hyperUnique</c>: a sketch; finalizes to the estimate (a double, or a long when <c>round</c>).</summary>
public sealed class HyperUniqueState(ICardinalitySketch sketch, bool round) : IAggregatorState
{
    /// <summary>The sketch.</summary>
    public ICardinalitySketch Sketch { get; } = sketch;

    /// <summary>True if the result is rounded to a long.</summary>
    public bool Round { get; } = round;

    /// <summary>Adds a raw value.</summary>
    public void Add(string value)
    {
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        Span<byte> buffer = max <= 256 ? stackalloc byte[max] : new byte[max];
        var n = Encoding.UTF8.GetBytes(value, buffer);
        Sketch.Add(buffer[..n]);
    }

    /// <inheritdoc />
    public void Merge(IAggregatorState other) => Sketch.Merge(((HyperUniqueState)other).Sketch);

    /// <inheritdoc />
    public object? Result() => Round ? (object)(long)Math.Round(Sketch.Estimate()) : Sketch.Estimate();

    /// <inheritdoc />
    public IAggregatorState Clone() => new HyperUniqueState(Sketch.Clone(), Round);
}

/// <summary>State of <c>doubleMean</c>: sum and count; finalizes to sum / count, 0 when nothing was aggregated (as Druid's).</summary>
public sealed class DoubleMeanState : IAggregatorState
{
    /// <summary>The sum of the values.</summary>
    public double Sum { get; set; }

    /// <summary>The number of values.</summary>
    public long Count { get; set; }

    /// <summary>Adds a value.</summary>
    public void Add(double value)
    {
        Sum += value;
        Count++;
    }

    /// <inheritdoc />
    public void Merge(IAggregatorState other)
    {
        var o = (DoubleMeanState)other;
        Sum += o.Sum;
        Count += o.Count;
    }

    /// <inheritdoc />
    public object? Result() => Count == 0 ? 0.0 : Sum / Count;

    /// <inheritdoc />
    public IAggregatorState Clone() => new DoubleMeanState { Sum = Sum, Count = Count };
}

/// <summary>The value type of a first/last aggregator.</summary>
public enum FirstLastKind
{
    /// <summary><c>longFirst</c>/<c>longLast</c>.</summary>
    Long,

    /// <summary><c>doubleFirst</c>/<c>doubleLast</c>.</summary>
    Double,

    /// <summary><c>stringFirst</c>/<c>stringLast</c>.</summary>
    String,
}

/// <summary>
/// State of the first/last aggregators: the (time, value) pair kept so far. First keeps the least pair, last the
/// greatest, ordering by time and then by value (null lowest), so rows of equal time (a rolled-up minute holds many)
/// give the same answer however they are split into segments and merged (Druid keeps whichever it read first). The
/// value may be null: a row with a null value at the earliest time makes the first null, as in Druid.
/// </summary>
public sealed class FirstLastState(bool last, FirstLastKind kind, int maxStringBytes = 1024) : IAggregatorState
{
    /// <summary>True for last, false for first.</summary>
    public bool IsLast { get; } = last;

    /// <summary>The value type.</summary>
    public FirstLastKind Kind { get; } = kind;

    /// <summary>String values are cut to this many UTF-8 bytes.</summary>
    public int MaxStringBytes { get; } = maxStringBytes;

    /// <summary>The time of the kept pair, null until a row was offered.</summary>
    public long? Time { get; set; }

    /// <summary>The kept value: a long, double or string by <see cref="Kind"/>, or null.</summary>
    public object? Value { get; set; }

    /// <summary>Offers a row's time and its raw column value (converted by <see cref="Kind"/>: non-numbers become null).</summary>
    public void Offer(long time, object? rawValue) => Add(time, Convert(rawValue));

    /// <summary>Offers a (time, converted value) pair.</summary>
    public void Add(long time, object? value)
    {
        if (Time is not { } kept)
        {
            (Time, Value) = (time, value);
            return;
        }

        var c = time.CompareTo(kept);
        if (c == 0)
        {
            c = CompareValues(value, Value);
        }

        if (IsLast ? c > 0 : c < 0)
        {
            (Time, Value) = (time, value);
        }
    }

    /// <inheritdoc />
    public void Merge(IAggregatorState other)
    {
        var o = (FirstLastState)other;
        if (o.Time is { } t)
        {
            Add(t, o.Value);
        }
    }

    /// <inheritdoc />
    public object? Result() => Value;

    /// <inheritdoc />
    public IAggregatorState Clone() => new FirstLastState(IsLast, Kind, MaxStringBytes) { Time = Time, Value = Value };

    private object? Convert(object? raw) => Kind switch
    {
        FirstLastKind.Long => AggregatorStates.AsLong(raw),
        FirstLastKind.Double => AggregatorStates.AsDouble(raw),
        _ => StringComparers.ToDimensionString(raw) is { } s ? Truncate(s) : null,
    };

    private string Truncate(string s)
    {
        if (Encoding.UTF8.GetMaxByteCount(s.Length) <= MaxStringBytes || Encoding.UTF8.GetByteCount(s) <= MaxStringBytes)
        {
            return s;
        }

        // cut at a character boundary at or below the byte limit
        var bytes = 0;
        var i = 0;
        while (i < s.Length)
        {
            var width = char.IsHighSurrogate(s[i]) && i + 1 < s.Length ? 2 : 1;
            var n = Encoding.UTF8.GetByteCount(s.AsSpan(i, width));
            if (bytes + n > MaxStringBytes)
            {
                break;
            }

            bytes += n;
            i += width;
        }

        return s[..i];
    }

    private static int CompareValues(object? a, object? b)
    {
        if (a is null || b is null)
        {
            return a is null ? (b is null ? 0 : -1) : 1;
        }

        return a switch
        {
            long l => l.CompareTo((long)b),
            double d => d.CompareTo((double)b),
            _ => string.CompareOrdinal((string)a, (string)b),
        };
    }
}

/// <summary>Creates aggregator states and feeds them plain column values.</summary>
public static class AggregatorStates
{
    /// <summary>A fresh state for <paramref name="spec"/>; hyperUnique needs <paramref name="sketches"/>.</summary>
    public static IAggregatorState Create(AggregatorSpec spec, ICardinalitySketchFactory? sketches)
    {
        return spec.Type switch
        {
            AggregatorType.Count => new CountState(),
            AggregatorType.LongSum => new LongSumState(),
            AggregatorType.DoubleSum => new DoubleSumState(),
            AggregatorType.LongMin => new LongExtremumState(false),
            AggregatorType.LongMax => new LongExtremumState(true),
            AggregatorType.DoubleMin => new DoubleExtremumState(false),
            AggregatorType.DoubleMax => new DoubleExtremumState(true),
            AggregatorType.DoubleMean => new DoubleMeanState(),
            AggregatorType.LongFirst or AggregatorType.LongLast => new FirstLastState(spec.Type == AggregatorType.LongLast, FirstLastKind.Long),
            AggregatorType.DoubleFirst or AggregatorType.DoubleLast => new FirstLastState(spec.Type == AggregatorType.DoubleLast, FirstLastKind.Double),
            AggregatorType.StringFirst or AggregatorType.StringLast => new FirstLastState(spec.Type == AggregatorType.StringLast, FirstLastKind.String, spec.MaxStringBytes),
            _ => new HyperUniqueState(
                (sketches ?? throw new InvalidOperationException($"Aggregator '{spec.Name}' is {spec.TypeName} but no ICardinalitySketchFactory was supplied.")).Create(),
                spec.Round),
        };
    }

    /// <summary>Fresh states for every aggregator of a query.</summary>
    public static IAggregatorState[] CreateAll(IReadOnlyList<AggregatorSpec> specs, ICardinalitySketchFactory? sketches)
    {
        var states = new IAggregatorState[specs.Count];
        for (var i = 0; i < states.Length; i++)
        {
            states[i] = Create(specs[i], sketches);
        }

        return states;
    }

    /// <summary>
    /// Feeds one row's value of the aggregator's field: numbers as they are, numeric strings parsed; nulls and
    /// non-numeric strings are ignored (SQL-compatible). hyperUnique takes a sketch (merged) or any value (added
    /// by its string form). <c>count</c> ignores the value.
    /// </summary>
    public static void Add(IAggregatorState state, object? value)
    {
        switch (state)
        {
            case CountState c:
                c.Count++;
                break;
            case HyperUniqueState h:
                if (value is ICardinalitySketch sketch)
                {
                    h.Sketch.Merge(sketch);
                }
                else if (StringComparers.ToDimensionString(value) is { } s)
                {
                    h.Add(s);
                }

                break;
            case LongSumState ls when AsLong(value) is { } l:
                ls.Add(l);
                break;
            case LongExtremumState le when AsLong(value) is { } l:
                le.Add(l);
                break;
            case DoubleSumState ds when AsDouble(value) is { } d:
                ds.Add(d);
                break;
            case DoubleExtremumState de when AsDouble(value) is { } d:
                de.Add(d);
                break;
            case DoubleMeanState dm when AsDouble(value) is { } d:
                dm.Add(d);
                break;
        }
    }

    /// <summary>
    /// Feeds one plain row to the state of <paramref name="spec"/>: nothing when the row fails the aggregator's
    /// filter; first/last take the row's time and value (a row without a time is skipped); cardinality takes its fields'
    /// values; every other aggregator its field's value (<see cref="Add"/>).
    /// </summary>
    public static void AddRow(IAggregatorState state, AggregatorSpec spec, Row row)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(row);
        if (spec.Filter is { } filter && !filter.Evaluate(d => StringComparers.ToDimensionString(row.Get(d))))
        {
            return;
        }

        switch (state)
        {
            case FirstLastState fl:
                if (AsLong(row.Get(spec.TimeColumn)) is { } time)
                {
                    var value = spec.FieldName is null ? null : row.Get(spec.FieldName);
                    if (!(spec.FilterNullValues && value is null))
                    {
                        fl.Offer(time, value);
                    }
                }

                break;
            case HyperUniqueState h when spec.Type == AggregatorType.Cardinality:
                AddCardinality(h, spec, row.Get);
                break;
            default:
                Add(state, spec.FieldName is null ? null : row.Get(spec.FieldName));
                break;
        }
    }

    /// <summary>
    /// cardinality over one row: by value, each field's non-null value is added; by row, the tuple of the fields'
    /// values (null as empty, joined by U+0001) is added once, unless every value is null.
    /// </summary>
    public static void AddCardinality(HyperUniqueState state, AggregatorSpec spec, Func<string, object?> valueOf)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(valueOf);
        if (!spec.ByRow)
        {
            foreach (var field in spec.Fields)
            {
                if (field.ValueOf(valueOf(field.Dimension)) is { } v)
                {
                    state.Add(v);
                }
            }

            return;
        }

        var values = spec.Fields.Select(f => f.ValueOf(valueOf(f.Dimension))).ToArray();
        if (values.Any(v => v is not null))
        {
            state.Add(string.Join('\u0001', values.Select(v => v ?? string.Empty)));
        }
    }

    /// <summary>A column value as the long aggregators read it: longs, doubles truncated, integer or numeric strings parsed; otherwise null.</summary>
    public static long? AsLong(object? value)
    {
        return value switch
        {
            long l => l,
            int i => i,
            double d => double.IsNaN(d) ? null : (long)d,
            string s when long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
            string s when StringComparers.TryParseNumber(s, out var d) => (long)d,
            _ => null,
        };
    }

    internal static double? AsDouble(object? value)
    {
        return value switch
        {
            long l => l,
            int i => i,
            double d => d,
            float f => f,
            string s when StringComparers.TryParseNumber(s, out var d) => d,
            _ => null,
        };
    }
}
