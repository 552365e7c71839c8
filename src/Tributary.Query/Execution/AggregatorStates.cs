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
            _ => new HyperUniqueState(
                (sketches ?? throw new InvalidOperationException($"Aggregator '{spec.Name}' is hyperUnique but no ICardinalitySketchFactory was supplied.")).Create(),
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
        }
    }

    private static long? AsLong(object? value)
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

    private static double? AsDouble(object? value)
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
