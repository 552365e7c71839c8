using Microsoft.Extensions.Options;
using Tributary.Silo;

try
{
    var app = TributarySiloHost.Build(args);
    await app.RunAsync();
    return 0;
}
catch (OptionsValidationException ex)
{
    await Console.Error.WriteLineAsync("Invalid configuration:");
    foreach (var failure in ex.Failures)
    {
        await Console.Error.WriteLineAsync($"  {failure}");
    }

    return 2;
}
