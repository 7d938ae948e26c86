using System.Diagnostics.CodeAnalysis;
using Gateway.BinaryParser.Custom;

namespace Gateway.BinaryParser;

/// <summary>
/// Compiles SORACOM binary parser formats (the <c>SoracomAir.binaryParserFormat</c> setting) into decoders: either a
/// predefined format name such as <c>@button</c>, or a custom format such as
/// <c>flag:0:bool:7 temp:1:int:13:/10 humid:3:uint:8:/100 lat::float:32 long::float:32</c>.
/// </summary>
/// <remarks>
/// <para>Custom format grammar: fields separated by spaces, each <c>name:index:type[:parameters]</c>.</para>
/// <list type="bullet">
/// <item><c>name</c>: letters, digits, <c>#</c>, <c>-</c>, <c>_</c>, <c>$</c>; unique within the format.</item>
/// <item><c>index</c>: 0-based byte where the field starts. Empty means the byte after the last byte the previous
/// field touched, even partially (the first field starts at byte 0). This holds for <c>bool</c> as well: two
/// consecutive <c>::bool</c> fields read two different bytes. A missing index colon (<c>long:float:32</c>) counts as
/// an empty index.</item>
/// <item><c>bool:B</c>: bit <c>B</c> (0..7, 7 = most significant) of the byte.</item>
/// <item><c>int:N</c>, <c>uint:N</c>: <c>N</c> bits (1..64), most significant first, starting at bit 7 of the byte
/// or at the bit given by a single-digit offset, continuing into the following bytes; <c>int</c> is two's
/// complement. <c>big-endian</c> (default) or <c>little-endian</c> (whole bytes only).</item>
/// <item><c>float:32</c>, <c>float:64</c>: IEEE-754, big-endian unless <c>little-endian</c>.</item>
/// <item><c>char:N</c>: <c>N</c> bytes, one character each.</item>
/// <item>Numbers may be followed by up to five operations (<c>+ - * /</c> and a number), applied left to right
/// without precedence in double precision: <c>+100000/100</c> is <c>(x + 100000) / 100</c>. They may be written
/// in one token or several (<c>/100:+5</c>), and in any order with the byte order and bit offset.</item>
/// </list>
/// </remarks>
public static class BinaryFormat
{
    /// <summary>Compiles <paramref name="format"/>, resolving predefined names with <see cref="PredefinedFormatRegistry.Default"/>.</summary>
    /// <param name="format">A predefined format name (<c>@button</c>) or a custom format string.</param>
    /// <returns>A decoder to keep and reuse for every message.</returns>
    /// <exception cref="BinaryFormatException">The format does not compile; the exception says which field, at which column, and why.</exception>
    public static BinaryDecoder Compile(string format) => Compile(format, PredefinedFormatRegistry.Default);

    /// <summary>Compiles <paramref name="format"/>, resolving predefined names with <paramref name="registry"/>.</summary>
    /// <param name="format">A predefined format name (<c>@button</c>) or a custom format string.</param>
    /// <param name="registry">The predefined formats to recognise.</param>
    /// <returns>A decoder to keep and reuse for every message.</returns>
    /// <exception cref="BinaryFormatException">The format does not compile; the exception says which field, at which column, and why.</exception>
    public static BinaryDecoder Compile(string format, PredefinedFormatRegistry registry) =>
        TryCompile(format, registry, out var decoder, out var error) ? decoder : throw new BinaryFormatException(error);

    /// <summary>Compiles <paramref name="format"/> without throwing, resolving predefined names with <see cref="PredefinedFormatRegistry.Default"/>.</summary>
    /// <param name="format">A predefined format name (<c>@button</c>) or a custom format string.</param>
    /// <param name="decoder">The decoder, when the format compiles.</param>
    /// <param name="error">Which field, at which column, and why, when it does not.</param>
    /// <returns>Whether the format compiled.</returns>
    public static bool TryCompile(
        string format, [NotNullWhen(true)] out BinaryDecoder? decoder, [NotNullWhen(false)] out BinaryFormatError? error) =>
        TryCompile(format, PredefinedFormatRegistry.Default, out decoder, out error);

    /// <summary>Compiles <paramref name="format"/> without throwing, resolving predefined names with <paramref name="registry"/>.</summary>
    /// <param name="format">A predefined format name (<c>@button</c>) or a custom format string.</param>
    /// <param name="registry">The predefined formats to recognise.</param>
    /// <param name="decoder">The decoder, when the format compiles.</param>
    /// <param name="error">Which field, at which column, and why, when it does not.</param>
    /// <returns>Whether the format compiled.</returns>
    public static bool TryCompile(
        string format,
        PredefinedFormatRegistry registry,
        [NotNullWhen(true)] out BinaryDecoder? decoder,
        [NotNullWhen(false)] out BinaryFormatError? error)
    {
        ArgumentNullException.ThrowIfNull(format);
        ArgumentNullException.ThrowIfNull(registry);

        var trimmed = format.AsSpan().Trim();
        if (trimmed.StartsWith('@'))
        {
            var name = trimmed.ToString();
            if (registry.TryGet(name, out decoder))
            {
                error = null;
                return true;
            }

            var column = format.IndexOf('@', StringComparison.Ordinal) + 1;
            error = new BinaryFormatError(1, column, $"unknown predefined format '{name}'; known: {string.Join(", ", registry.Names)}");
            return false;
        }

        if (FormatCompiler.TryCompile(format, out var fields, out error))
        {
            decoder = new CustomFormatDecoder(format, fields);
            return true;
        }

        decoder = null;
        return false;
    }
}
