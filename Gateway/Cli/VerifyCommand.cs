using System.CommandLine;
using Gateway.Signing.Soracom;

namespace Gateway.Cli;

/// <summary>
/// <c>gateway verify</c>: reads <c>name: value</c> header lines, or one TCP first line, on standard input and
/// prints <c>ok</c> (exit 0) or the reason it does not verify (exit 1).
/// </summary>
internal static class VerifyCommand
{
    private const int MaxInputChars = 1 << 20;

    public static Command Create(TextReader input, TextWriter output)
    {
        var psk = new Option<string[]>("--psk")
        {
            Description = "Pre-shared key; repeat for key rotation.",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
        };
        var maxSkew = new Option<double>("--max-skew")
        {
            Description = "Allowed distance of the timestamp from this machine's clock, in seconds; 0 turns the check off.",
            DefaultValueFactory = _ => 300,
        };

        var command = new Command("verify", "Verify x-soracom-* header lines (or one TCP first line) read from standard input.")
        {
            psk, maxSkew,
        };

        command.SetAction(result =>
        {
            var skew = result.GetValue(maxSkew);
            if (skew < 0 || double.IsNaN(skew) || skew > TimeSpan.MaxValue.TotalSeconds)
            {
                output.WriteLine("--max-skew must be 0 or a positive number of seconds");
                return GatewayCommandLine.UsageError;
            }

            var options = new SoracomVerifierOptions
            {
                MaxClockSkew = skew == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(skew),
                ReplayProtection = false, // one message, one run: nothing to replay against
            };
            foreach (var key in result.GetValue(psk) ?? [])
            {
                options.PreSharedKeys.Add(key);
            }

            var problems = options.Validate();
            if (problems.Count > 0)
            {
                output.WriteLine(problems[0]);
                return GatewayCommandLine.UsageError;
            }

            var text = ReadBounded(input);
            if (text is null)
            {
                output.WriteLine($"input is larger than {MaxInputChars} characters");
                return 1;
            }

            var verifier = new SoracomSignatureVerifier(options);
            var lines = text.Split('\n').Select(static l => l.TrimEnd('\r')).Where(static l => l.Length > 0).ToList();
            SoracomVerificationResult verdict;
            if (lines.Count == 1 && lines[0].Contains(";signature=", StringComparison.Ordinal) && !lines[0].Contains(": ", StringComparison.Ordinal))
            {
                verdict = verifier.VerifyTcpFirstLine(lines[0]);
            }
            else
            {
                var headers = new List<KeyValuePair<string, string>>();
                foreach (var line in lines)
                {
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    if (colon <= 0)
                    {
                        output.WriteLine($"not a header line: '{(line.Length > 40 ? line[..40] + "…" : line)}'");
                        return 1;
                    }

                    headers.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
                }

                verdict = verifier.Verify(headers);
            }

            output.WriteLine(verdict.Reason);
            return verdict.IsValid ? 0 : 1;
        });
        return command;
    }

    private static string? ReadBounded(TextReader input)
    {
        var buffer = new char[MaxInputChars + 1];
        var total = 0;
        int n;
        while (total < buffer.Length && (n = input.Read(buffer, total, buffer.Length - total)) > 0)
        {
            total += n;
        }

        return total > MaxInputChars ? null : new string(buffer, 0, total);
    }
}
