using System.CommandLine;
using Gateway.Endorse;

namespace Gateway.Cli;

/// <summary>
/// <c>gateway endorse rotate-key --data-dir DIR</c>: adds a new Endorse signing key and makes it the one that signs
/// from the gateway's next start. Old keys stay published (JWKS, certificate by kid) so that tokens they signed keep
/// verifying until they expire; deleting an old key's files retires it.
/// </summary>
internal static class EndorseCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var dataDir = new Option<string>("--data-dir") { Description = "The gateway's data directory (Gateway:Registry:DataDirectory).", DefaultValueFactory = static _ => "data" };
        var rotate = new Command("rotate-key", "Create a new Endorse signing key and make it current (used from the gateway's next start).") { dataDir };
        rotate.SetAction(result =>
        {
            var directory = result.GetValue(dataDir)!;
            if (!Directory.Exists(directory))
            {
                error.WriteLine($"gateway endorse rotate-key: no data directory at {directory}");
                return GatewayCommandLine.UsageError;
            }

            var kid = EndorseKeyStore.Rotate(directory, TimeProvider.System);
            // The kid alone on the first line, for scripts; what to do next after it.
            output.WriteLine(kid);
            output.WriteLine($"Restart the gateway to sign with it. Older keys stay published until their files in {Path.Combine(directory, EndorseKeyStore.FolderName)} are removed.");
            return 0;
        });

        return new Command("endorse", "Manage Endorse, the SIM-backed token issuer.") { rotate };
    }
}
