using System.Diagnostics;

namespace Tributary.TestKit;

/// <summary>
/// Polls a condition with a deadline, for real external systems that give no completion signal
/// (Kafka consumption by another process, membership changes).
/// </summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="probe"/> until <paramref name="done"/> holds; throws with the last value after <paramref name="timeout"/>.</summary>
    public static async Task<T> HoldsAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"{what}: not reached within {timeout.TotalSeconds:0} s; last value: {value}");
            }

            await Task.Delay(delay);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 250));
        }
    }
}
