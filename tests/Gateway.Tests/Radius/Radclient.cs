using System.Diagnostics;

namespace Gateway.Tests.Radius;

/// <summary>Runs Debian's radclient (freeradius-utils) once: attribute pairs on standard input, one try, a short timeout.</summary>
internal static class Radclient
{
    public sealed record Result(int ExitCode, string Output);

    public static async Task<Result> AccountingAsync(int port, string secret, string attributes, double timeoutSeconds = 2)
    {
        var psi = new ProcessStartInfo("radclient") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["-x", "-r", "1", "-t", timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), $"127.0.0.1:{port}", "acct", secret])
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        await process.StandardInput.WriteLineAsync(attributes.AsMemory(), TestContext.Current.CancellationToken);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds + 10));
        await process.WaitForExitAsync(limit.Token);
        return new Result(process.ExitCode, await output + await error);
    }
}
