using System.Text;
using BenchmarkDotNet.Attributes;
using Tributary.Enrich;
using Tributary.Enrich.Geo;

namespace Tributary.Benchmarks;

/// <summary>
/// The enrich stage's hot paths: a geo lookup (IPv4 as an integer, IPv4 and IPv6 as text) over DB-IP's country data
/// (installed by <c>./build.sh deps</c>), and a whole <see cref="EnrichPipeline.Process"/> of a generator-shaped event
/// with a filter rule, geo, a static map and the bot flag (no database: the pin-category lookup is a dictionary read,
/// measured with the real table by the <c>enrich</c> probe).
/// Run: <c>dotnet run -c Release --project tests/Tributary.Benchmarks -- --filter '*Enrich*'</c>.
/// </summary>
[MemoryDiagnoser]
public class EnrichBenchmarks
{
    private const int Batch = 4096;
    private GeoIpDatabase _geo = null!;
    private uint[] _v4 = null!;
    private byte[][] _v4Text = null!;
    private byte[][] _v6Text = null!;
    private byte[][] _events = null!;
    private EnrichPipeline _pipeline = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        var folder = GeoIpDatabase.Locate(null) ?? throw new InvalidOperationException("run ./build.sh deps: the DB-IP data is missing");
        _geo = GeoIpDatabase.Load(folder);
        var random = new Random(42);
        _v4 = [.. Enumerable.Range(0, Batch).Select(_ => (uint)random.Next())];
        _v4Text = [.. _v4.Select(a => Encoding.ASCII.GetBytes($"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}"))];
        _v6Text = [.. Enumerable.Range(0, Batch).Select(_ => Encoding.ASCII.GetBytes($"2{random.Next(0x100, 0xfff):x}:{random.Next(0x10000):x}:{random.Next(0x10000):x}::{random.Next(0x10000):x}"))];
        _events = PinEventSource.Generate(Batch);
        _pipeline = await EnrichProbe.Pipeline(folder, connectionString: null);
    }

    [GlobalCleanup]
    public async Task Cleanup() => await _pipeline.DisposeAsync();

    [Benchmark(OperationsPerInvoke = Batch)]
    public int GeoLookupIPv4()
    {
        var n = 0;
        foreach (var a in _v4)
        {
            n += _geo.LookupIPv4(a).Length;
        }

        return n;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int GeoLookupIPv4Text()
    {
        var n = 0;
        foreach (var a in _v4Text)
        {
            n += _geo.Lookup(a).Length;
        }

        return n;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int GeoLookupIPv6Text()
    {
        var n = 0;
        foreach (var a in _v6Text)
        {
            n += _geo.Lookup(a).Length;
        }

        return n;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int Process()
    {
        var n = 0;
        foreach (var e in _events)
        {
            n += (int)_pipeline.Process(e).Kind;
        }

        return n;
    }
}
