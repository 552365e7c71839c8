using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Tributary.Silo.Metrics;

/// <summary>
/// Serves the instruments of Tributary's meters (and Orleans') in the Prometheus text exposition format
/// at <c>/metrics</c>. Counters become <c>name_total</c>, histograms a count and a sum; dots become
/// underscores. Observable instruments are read at scrape time, so a series that disappeared (a
/// partition that moved to another silo) disappears from the next scrape.
/// </summary>
public sealed class PrometheusMetricsExporter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly string[] _meterPrefixes;
    private readonly ConcurrentDictionary<(Instrument Instrument, string Labels), Series> _series = new();
    private readonly Lock _scrapeLock = new();

    /// <summary>Listens to every meter whose name starts with one of <paramref name="meterPrefixes"/>.</summary>
    public PrometheusMetricsExporter(params string[] meterPrefixes)
    {
        _meterPrefixes = meterPrefixes;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (_meterPrefixes.Any(p => instrument.Meter.Name.StartsWith(p, StringComparison.Ordinal)))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        _listener.SetMeasurementEventCallback<int>((i, v, t, _) => Record(i, v, t));
        _listener.SetMeasurementEventCallback<short>((i, v, t, _) => Record(i, v, t));
        _listener.SetMeasurementEventCallback<byte>((i, v, t, _) => Record(i, v, t));
        _listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        _listener.SetMeasurementEventCallback<float>((i, v, t, _) => Record(i, v, t));
        _listener.SetMeasurementEventCallback<decimal>((i, v, t, _) => Record(i, (double)v, t));
        _listener.Start();
    }

    /// <summary>Reads the observable instruments and renders everything in the text format.</summary>
    public string Scrape()
    {
        lock (_scrapeLock)
        {
            foreach (var key in _series.Keys.Where(k => IsObservable(k.Instrument)))
            {
                _series.TryRemove(key, out _);
            }

            _listener.RecordObservableInstruments();
            var text = new StringBuilder();
            foreach (var group in _series.GroupBy(kv => kv.Key.Instrument).OrderBy(g => g.Key.Meter.Name, StringComparer.Ordinal).ThenBy(g => g.Key.Name, StringComparer.Ordinal))
            {
                var instrument = group.Key;
                var name = MetricName(instrument);
                var (type, suffix) = instrument switch
                {
                    Histogram<long> or Histogram<int> or Histogram<double> or Histogram<float> => ("summary", ""),
                    _ when IsCounter(instrument) => ("counter", "_total"),
                    _ => ("gauge", ""),
                };
                if (!string.IsNullOrEmpty(instrument.Description))
                {
                    text.Append("# HELP ").Append(name).Append(suffix).Append(' ').Append(instrument.Description.Replace('\n', ' ')).Append('\n');
                }

                text.Append("# TYPE ").Append(name).Append(suffix).Append(' ').Append(type).Append('\n');
                foreach (var (key, series) in group.OrderBy(kv => kv.Key.Labels, StringComparer.Ordinal))
                {
                    var labels = key.Labels.Length == 0 ? "" : "{" + key.Labels + "}";
                    lock (series)
                    {
                        if (type == "summary")
                        {
                            text.Append(name).Append("_count").Append(labels).Append(' ').Append(series.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
                            text.Append(name).Append("_sum").Append(labels).Append(' ').Append(Format(series.Value)).Append('\n');
                        }
                        else
                        {
                            text.Append(name).Append(suffix).Append(labels).Append(' ').Append(Format(series.Value)).Append('\n');
                        }
                    }
                }
            }

            return text.ToString();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var series = _series.GetOrAdd((instrument, Labels(tags)), static _ => new Series());
        lock (series)
        {
            if (IsObservable(instrument) || !IsCounter(instrument) && instrument is not (Histogram<long> or Histogram<int> or Histogram<double> or Histogram<float>))
            {
                // Observable counters report running totals and gauges report levels: keep the last value.
                series.Value = value;
            }
            else
            {
                series.Value += value;
                series.Count++;
            }
        }
    }

    private static bool IsObservable(Instrument instrument)
        => instrument.GetType().IsGenericType && instrument.GetType().GetGenericTypeDefinition() is var d
           && (d == typeof(ObservableCounter<>) || d == typeof(ObservableGauge<>) || d == typeof(ObservableUpDownCounter<>));

    private static bool IsCounter(Instrument instrument)
        => instrument.GetType().IsGenericType && instrument.GetType().GetGenericTypeDefinition() is var d
           && (d == typeof(Counter<>) || d == typeof(ObservableCounter<>));

    private static string MetricName(Instrument instrument)
    {
        var name = new StringBuilder(instrument.Name.Length);
        foreach (var c in instrument.Name)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }

        return name.ToString();
    }

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
        {
            return "";
        }

        var sorted = tags.ToArray();
        Array.Sort(sorted, (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var text = new StringBuilder();
        foreach (var (key, value) in sorted)
        {
            if (text.Length > 0)
            {
                text.Append(',');
            }

            foreach (var c in key)
            {
                text.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
            }

            text.Append("=\"");
            foreach (var c in Convert.ToString(value, CultureInfo.InvariantCulture) ?? "")
            {
                _ = c switch
                {
                    '\\' => text.Append("\\\\"),
                    '"' => text.Append("\\\""),
                    '\n' => text.Append("\\n"),
                    _ => text.Append(c),
                };
            }

            text.Append('"');
        }

        return text.ToString();
    }

    private static string Format(double value)
        => double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : double.IsNaN(value) ? "NaN" : value.ToString("R", CultureInfo.InvariantCulture);

    private sealed class Series
    {
        public double Value;
        public long Count;
    }
}
