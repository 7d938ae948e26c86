using System.CommandLine;
using System.Globalization;
using Gateway.Signing;
using Gateway.Signing.Soracom;

namespace Gateway.Cli;

/// <summary><c>gateway sign</c>: prints the headers (or TCP first line) Beam would send for an identity.</summary>
internal static class SignCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var psk = new Option<string>("--psk") { Description = "Pre-shared key.", Required = true };
        var imei = new Option<string?>("--imei") { Description = "IMEI (x-soracom-imei / imei=)." };
        var imsi = new Option<string?>("--imsi") { Description = "IMSI (x-soracom-imsi / imsi=)." };
        var msisdn = new Option<string?>("--msisdn") { Description = "MSISDN (x-soracom-msisdn / msisdn=)." };
        var simId = new Option<string?>("--sim-id") { Description = "SIM ID (x-soracom-sim-id / simId=)." };
        var lora = new Option<string?>("--lora-device-id") { Description = "LoRaWAN device ID (x-soracom-lora-device-id)." };
        var sigfox = new Option<string?>("--sigfox-device-id") { Description = "Sigfox device ID (x-soracom-sigfox-device-id)." };
        var device = new Option<string?>("--device-id") { Description = "Inventory device ID (x-soracom-device-id, signed as x-device-id=)." };
        var timestamp = new Option<long?>("--timestamp") { Description = "Unix time in milliseconds; default now." };
        var tcp = new Option<bool>("--tcp") { Description = "Print the TCP first line instead of headers." };
        var crlf = new Option<bool>("--crlf") { Description = "With --tcp: end the line with CRLF instead of LF." };
        var noVersion = new Option<bool>("--no-version") { Description = "With --tcp: leave out the ' version=20150901' suffix." };

        var command = new Command("sign", "Print the x-soracom-* headers (or, with --tcp, the first line) for an identity, signed with a PSK.")
        {
            psk, imei, imsi, msisdn, simId, lora, sigfox, device, timestamp, tcp, crlf, noVersion,
        };

        command.SetAction(result =>
        {
            var identity = new SoracomIdentity
            {
                Imei = Blank(result.GetValue(imei)),
                Imsi = Blank(result.GetValue(imsi)),
                Msisdn = Blank(result.GetValue(msisdn)),
                SimId = Blank(result.GetValue(simId)),
                LoraDeviceId = Blank(result.GetValue(lora)),
                SigfoxDeviceId = Blank(result.GetValue(sigfox)),
                InventoryDeviceId = Blank(result.GetValue(device)),
            };
            if (identity.IsEmpty)
            {
                error.WriteLine("gateway sign: give at least one identifier (--imei, --imsi, --msisdn, --sim-id, --lora-device-id, --sigfox-device-id or --device-id).");
                return GatewayCommandLine.UsageError;
            }

            var key = result.GetValue(psk);
            if (string.IsNullOrEmpty(key))
            {
                error.WriteLine("gateway sign: --psk may not be empty.");
                return GatewayCommandLine.UsageError;
            }

            var ts = result.GetValue(timestamp) ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            if (ts < 0)
            {
                error.WriteLine("gateway sign: --timestamp must be a non-negative number of milliseconds.");
                return GatewayCommandLine.UsageError;
            }

            var signer = new SoracomSigner(key);
            if (result.GetValue(tcp))
            {
                if (!identity.IsCellularOnly)
                {
                    error.WriteLine("gateway sign: a TCP first line carries only --imei, --imsi, --msisdn and --sim-id.");
                    return GatewayCommandLine.UsageError;
                }

                var options = new TcpFirstLineOptions
                {
                    LineEnding = result.GetValue(crlf) ? "\r\n" : "\n",
                    AppendVersion = !result.GetValue(noVersion),
                };
                output.Write(signer.CreateTcpFirstLine(identity, ts, options));
                return 0;
            }

            foreach (var (name, value) in signer.CreateHttpHeaders(identity, ts))
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {value}"));
            }

            return 0;
        });
        return command;
    }

    private static string? Blank(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
