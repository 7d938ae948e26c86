using Gateway.Cli;

return await GatewayCommandLine.InvokeAsync(args, Console.In, Console.Out, Console.Error);
