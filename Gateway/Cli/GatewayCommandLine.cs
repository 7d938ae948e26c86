using System.CommandLine;
using Gateway.Hosting;

namespace Gateway.Cli;

/// <summary>
/// The <c>gateway</c> command line: no subcommand (or <c>run</c>) runs the gateway; <c>sign</c> and <c>verify</c>
/// are tools for backends and debugging. Exit codes: 0 success, 1 a negative answer (verification failed),
/// 2 bad usage.
/// </summary>
internal static class GatewayCommandLine
{
    public const int UsageError = 2;

    public static async Task<int> InvokeAsync(string[] args, TextReader input, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var root = Build(input, output, error, args);
        // No response files: '@button' is a binary-parser format, not a file to expand.
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
            {
                await error.WriteLineAsync($"gateway: {e.Message}");
            }

            await error.WriteLineAsync("Run 'gateway --help' for usage.");
            return UsageError;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
    }

    internal static RootCommand Build(TextReader input, TextWriter output, TextWriter error, string[] args)
    {
        var root = new RootCommand("Self-hosted IoT protocol gateway, compatible with SORACOM Beam and Funnel.");
        var run = new Command("run", "Run the gateway (the default when no subcommand is given).");
        run.TreatUnmatchedTokensAsErrors = false;
        root.TreatUnmatchedTokensAsErrors = false;

        // Host settings (ports, data directory) are read by the host from its own switches, so unmatched tokens
        // on the run command pass through to it.
        Task<int> RunHost(ParseResult result, CancellationToken ct) =>
            GatewayHost.RunAsync([.. args.SkipWhile(static a => a == "run")], ct);
        root.SetAction(RunHost);
        run.SetAction(RunHost);

        root.Subcommands.Add(run);
        root.Subcommands.Add(SignCommand.Create(output, error));
        root.Subcommands.Add(VerifyCommand.Create(input, output));
        root.Subcommands.Add(ParseCommand.Create(input, output, error));
        root.Subcommands.Add(EndorseCommand.Create(output, error));
        return root;
    }
}
