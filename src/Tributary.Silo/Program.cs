using Tributary.Silo;

return await SiloStartup.RunAsync(args, Console.Error);
