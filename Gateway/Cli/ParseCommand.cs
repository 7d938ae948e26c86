using System.CommandLine;
using System.Globalization;
using System.Text;
using Gateway.BinaryParser;

namespace Gateway.Cli;

/// <summary>
/// <c>gateway parse</c>: decodes a payload with a binary parser format, as the gateway does for a group with
/// <c>SoracomAir.binaryParserEnabled</c>, and prints the JSON. For trying a format before putting it in a group.
/// </summary>
internal static class ParseCommand
{
    // Device payloads are small; the bound keeps a mistaken pipe (a disk image, /dev/zero) from filling memory.
    private const int MaxPayloadBytes = 1 << 20;

    public static Command Create(TextReader input, TextWriter output, TextWriter error)
    {
        var format = new Option<string>("--format")
        {
            Description = "Binary parser format: a custom format such as 'temp:0:int:16:/100', or a predefined one written as --format=@button (a lone '@word' argument is read as a response file).",
            Required = true,
        };
        var hex = new Option<string?>("--hex") { Description = "The payload as hexadecimal, e.g. 4d010351." };
        var base64 = new Option<string?>("--base64") { Description = "The payload as Base64." };

        var command = new Command("parse", "Decode a payload with a binary parser format and print the JSON. Without --hex or --base64 the payload is read as raw bytes from standard input.")
        {
            format, hex, base64,
        };

        command.SetAction(result =>
        {
            var formatText = result.GetValue(format) ?? "";
            if (!BinaryFormat.TryCompile(formatText, out var decoder, out var formatError))
            {
                error.WriteLine($"gateway parse: invalid format: {formatError}");
                WritePointer(error, formatText, formatError.Column);
                return GatewayCommandLine.UsageError;
            }

            var payload = ReadPayload(result.GetValue(hex), result.GetValue(base64), input, out var problem);
            if (payload is null)
            {
                error.WriteLine($"gateway parse: {problem}");
                return GatewayCommandLine.UsageError;
            }

            output.WriteLine(decoder.DecodeToString(payload, out var decoded));
            if (decoded.FieldsOmitted > 0)
            {
                error.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"gateway parse: {decoded.FieldsOmitted} field(s) did not fit in the {payload.Length}-byte payload and were left out"));
            }

            return 0;
        });
        return command;
    }

    private static byte[]? ReadPayload(string? hex, string? base64, TextReader input, out string problem)
    {
        problem = "";
        if (hex is not null && base64 is not null)
        {
            problem = "give the payload once: --hex or --base64, not both";
            return null;
        }

        if (hex is not null)
        {
            var digits = string.Concat(hex.Where(static c => !char.IsWhiteSpace(c)));
            if (digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            {
                digits = digits[2..];
            }

            try
            {
                return Convert.FromHexString(digits);
            }
            catch (FormatException)
            {
                problem = $"--hex is not hexadecimal: '{hex}' (expected an even number of digits 0-9, a-f)";
                return null;
            }
        }

        if (base64 is not null)
        {
            try
            {
                return Convert.FromBase64String(base64);
            }
            catch (FormatException)
            {
                problem = $"--base64 is not Base64: '{base64}'";
                return null;
            }
        }

        return ReadStandardInput(input, out problem);
    }

    /// <summary>
    /// The real standard input is read as bytes, so any payload can be piped in. A <see cref="TextReader"/> given
    /// in its place (tests, embedding) can only carry text, which is taken as its UTF-8 bytes.
    /// </summary>
    private static byte[]? ReadStandardInput(TextReader input, out string problem)
    {
        problem = "";
        if (ReferenceEquals(input, Console.In))
        {
            if (!Console.IsInputRedirected)
            {
                problem = "give the payload with --hex or --base64, or pipe its bytes to standard input";
                return null;
            }

            using var stdin = Console.OpenStandardInput();
            using var buffer = new MemoryStream();
            var chunk = new byte[8192];
            int read;
            while ((read = stdin.Read(chunk)) > 0)
            {
                if (buffer.Length + read > MaxPayloadBytes)
                {
                    problem = $"standard input holds more than {MaxPayloadBytes} bytes; that is not a device payload";
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }

            return buffer.ToArray();
        }

        var text = new StringBuilder();
        var chars = new char[8192];
        int count;
        while ((count = input.Read(chars)) > 0)
        {
            text.Append(chars, 0, count);
            if (text.Length > MaxPayloadBytes)
            {
                problem = $"standard input holds more than {MaxPayloadBytes} bytes; that is not a device payload";
                return null;
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Echoes a one-line format with a caret under the column at fault.</summary>
    private static void WritePointer(TextWriter error, string format, int column)
    {
        if (format.Length == 0 || format.Length > 300 || format.Contains('\n', StringComparison.Ordinal))
        {
            return;
        }

        error.WriteLine("  " + format.Replace('\t', ' '));
        error.WriteLine("  " + new string(' ', Math.Max(0, column - 1)) + "^");
    }
}
