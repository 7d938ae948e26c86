using System.Diagnostics;
using Gateway.Cli;

namespace Gateway.Tests;

/// <summary>Runs the command line in-process (fast, for most cases) or as a real process (for the wiring).</summary>
internal static class CliRunner
{
    public static async Task<(int Exit, string Out, string Err)> RunAsync(string stdin, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await GatewayCommandLine.InvokeAsync(args, new StringReader(stdin), output, error, TestContext.Current.CancellationToken);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>Runs <c>dotnet gateway.dll ARGS</c> from the test's output folder, with standard input piped.</summary>
    public static async Task<(int Exit, string Out, string Err)> RunProcessAsync(string stdin, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "gateway.dll");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await stdout, await stderr);
    }
}
