using System.CommandLine;
using System.Diagnostics;
using Tributary.Cli.Generate;

namespace Tributary.Cli.Commands;

/// <summary><c>tributary generate</c>: synthetic pin-engagement events to a file or to Kafka.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var count = new Option<long>("--count") { Description = "Events to generate.", DefaultValueFactory = _ => 100_000 };
        var output = new Option<string?>("--out") { Description = "JSON-lines file to write ('-' for stdout)." };
        var bootstrap = new Option<string?>("--bootstrap", "--to-kafka") { Description = "Kafka bootstrap servers to produce to (instead of --out)." };
        var topic = new Option<string>("--topic") { Description = "Kafka topic.", DefaultValueFactory = _ => "pin_engagement" };
        var seed = new Option<int>("--seed") { Description = "Random seed (same seed, same events).", DefaultValueFactory = _ => 42 };
        var pins = new Option<int>("--pins") { Description = "Distinct pins (Zipf popularity).", DefaultValueFactory = _ => 100_000 };
        var zipf = new Option<double>("--zipf") { Description = "Zipf exponent.", DefaultValueFactory = _ => 1.1 };
        var late = new Option<double>("--late-share") { Description = "Share of late events (up to --max-lateness).", DefaultValueFactory = _ => 0.01 };
        var maxLate = new Option<double>("--max-lateness-hours") { Description = "Most lateness of a late event, hours.", DefaultValueFactory = _ => 6 };
        var malformed = new Option<double>("--malformed-share") { Description = "Share of malformed lines.", DefaultValueFactory = _ => 0.001 };
        var rate = new Option<double>("--rate") { Description = "Events per second of event time.", DefaultValueFactory = _ => 10_000 };
        var start = new Option<DateTimeOffset?>("--start") { Description = "Event time of the first event (default: now minus the span the events cover)." };
        var command = new Command("generate", "Generate pin-engagement events (JSON lines) to a file or to Kafka.")
        {
            count, output, bootstrap, topic, seed, pins, zipf, late, maxLate, malformed, rate, start,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var n = parse.GetValue(count);
            var perSecond = parse.GetValue(rate);
            var problems = new List<string>();
            if (n < 0) { problems.Add("--count must not be negative."); }
            if (perSecond <= 0) { problems.Add("--rate must be positive."); }
            if (parse.GetValue(late) is < 0 or > 1) { problems.Add("--late-share must be between 0 and 1."); }
            if (parse.GetValue(malformed) is < 0 or > 1) { problems.Add("--malformed-share must be between 0 and 1."); }
            if (parse.GetValue(pins) < 1) { problems.Add("--pins must be at least 1."); }
            if (parse.GetValue(output) is null == (parse.GetValue(bootstrap) is null)) { problems.Add("give exactly one of --out and --bootstrap."); }
            if (problems.Count > 0)
            {
                foreach (var problem in problems)
                {
                    await Console.Error.WriteLineAsync(problem);
                }

                return 2;
            }

            var options = new GeneratorOptions
            {
                Seed = parse.GetValue(seed),
                Pins = parse.GetValue(pins),
                ZipfExponent = parse.GetValue(zipf),
                LateShare = parse.GetValue(late),
                MaxLateness = TimeSpan.FromHours(parse.GetValue(maxLate)),
                MalformedShare = parse.GetValue(malformed),
                EventsPerSecond = perSecond,
                Start = parse.GetValue(start) ?? DateTimeOffset.UtcNow.AddSeconds(-n / perSecond),
            };
            var generator = new PinEngagementGenerator(options);
            var stopwatch = Stopwatch.StartNew();
            if (parse.GetValue(bootstrap) is { } servers)
            {
                using var writer = new KafkaEventWriter(servers, parse.GetValue(topic)!);
                for (long i = 0; i < n && !cancellationToken.IsCancellationRequested; i++)
                {
                    var e = generator.Next();
                    writer.Write(e.Key, e.Value);
                }

                writer.Flush(TimeSpan.FromMinutes(1));
                await Console.Error.WriteLineAsync($"produced {writer.Delivered:N0} events to {parse.GetValue(topic)} in {stopwatch.Elapsed.TotalSeconds:0.0} s ({writer.Failed} failed{(writer.LastError is null ? "" : ": " + writer.LastError)})");
                return writer.Failed == 0 ? 0 : 1;
            }

            var path = parse.GetValue(output)!;
            await using var stream = path == "-" ? Console.OpenStandardOutput() : File.Create(path);
            await using var buffered = new BufferedStream(stream, 1 << 20);
            for (long i = 0; i < n && !cancellationToken.IsCancellationRequested; i++)
            {
                var e = generator.Next();
                buffered.Write(e.Value);
                buffered.WriteByte((byte)'\n');
            }

            await buffered.FlushAsync(cancellationToken);
            if (path != "-")
            {
                await Console.Error.WriteLineAsync($"wrote {n:N0} events to {path} in {stopwatch.Elapsed.TotalSeconds:0.0} s");
            }

            return 0;
        });
        return command;
    }
}
