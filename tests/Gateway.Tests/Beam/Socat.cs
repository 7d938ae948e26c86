using System.Diagnostics;

namespace Gateway.Tests.Beam;

/// <summary>Runs the real socat: standard input to the address, whatever comes back to standard output.</summary>
internal static class Socat
{
    public static async Task<byte[]> RunAsync(byte[] input, string address, double waitSeconds = 3)
    {
        var psi = new ProcessStartInfo("socat") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["-t", waitSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "-T", "10", "-", address])
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        await process.StandardInput.BaseStream.WriteAsync(input, TestContext.Current.CancellationToken);
        process.StandardInput.Close();
        using var output = new MemoryStream();
        await process.StandardOutput.BaseStream.CopyToAsync(output, TestContext.Current.CancellationToken);
        var error = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, $"socat exited {process.ExitCode}: {error}");
        return output.ToArray();
    }
}
