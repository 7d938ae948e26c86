using System.Diagnostics;

namespace Gateway.Tests.Beam;

/// <summary>Runs the real curl, from a chosen loopback source address so that devices can be told apart.</summary>
internal static class Curl
{
    public static async Task<(int Status, string Body, string Headers)> RunAsync(string sourceAddress, params string[] args)
    {
        var psi = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true };
        var headerFile = Path.GetTempFileName();
        foreach (var a in (string[])["-s", "-S", "--max-time", "20", "--interface", sourceAddress, "-D", headerFile, "-o", "-", "-w", "\n%{http_code}", .. args])
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        var headers = await File.ReadAllTextAsync(headerFile, TestContext.Current.CancellationToken);
        File.Delete(headerFile);
        var split = output.LastIndexOf('\n');
        Assert.True(split >= 0, $"curl printed no status: {output} {error}");
        return (int.Parse(output[(split + 1)..], System.Globalization.CultureInfo.InvariantCulture), output[..split], headers);
    }
}
