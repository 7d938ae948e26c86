using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;

namespace Gateway.BinaryParser.Custom;

/// <summary>
/// Compiles SORACOM's custom format grammar (section 2.3 of the spec) into <see cref="FieldSpec"/>s.
/// </summary>
/// <remarks>
/// Rules this compiler pins where SORACOM's documentation is silent or ambiguous:
/// <list type="bullet">
/// <item>Fields are separated by runs of whitespace (spaces, tabs, line breaks), since the console turns line breaks
/// into spaces and users paste formats from documents.</item>
/// <item>An empty index means the byte after the last byte the previous field touched, even partially; the first
/// field starts at byte 0. This applies to <c>bool</c> too: <c>b1::bool:7 b2::bool:6</c> reads bit 7 of byte 0 and
/// bit 6 of byte 1 (the literal reading of SORACOM's text, not the Sigfox one where bools share a byte). Use explicit
/// indexes to read several bits of one byte.</item>
/// <item>A missing index colon (<c>long:float:32</c>, as in SORACOM's own sample) is read as an empty index.</item>
/// <item>After an integer's bit length, <c>big-endian</c>/<c>little-endian</c>, a single-digit bit offset and
/// operations may come in any order; operations may be concatenated in one token (<c>+100000/100</c>), split over
/// several (<c>/100:+5</c>), and use decimal or signed operands (<c>*0.5</c>, <c>*-1</c>). At most five in all.</item>
/// <item>Little-endian needs a whole number of bytes starting at a byte boundary; anything else is rejected rather
/// than guessed at.</item>
/// <item>A name may appear once, and <c>binaryParserEnabled</c> is taken, so the output never has duplicate keys.</item>
/// </list>
/// </remarks>
internal static class FormatCompiler
{
    public const int MaxOperations = 5;

    private const string TypeList = "bool, int, uint, float or char";

    public static bool TryCompile(string format, out FieldSpec[] fields, [NotNullWhen(false)] out BinaryFormatError? error)
    {
        var list = new List<FieldSpec>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var segments = new List<Range>(8);
        long nextByte = 0;
        var fieldNumber = 0;
        var pos = 0;
        fields = [];

        while (true)
        {
            while (pos < format.Length && char.IsWhiteSpace(format[pos]))
            {
                pos++;
            }

            if (pos == format.Length)
            {
                break;
            }

            var start = pos;
            while (pos < format.Length && !char.IsWhiteSpace(format[pos]))
            {
                pos++;
            }

            fieldNumber++;
            var context = new FieldContext(format, fieldNumber);
            if (!TryCompileField(context, start, pos, segments, ref nextByte, out var field, out error))
            {
                return false;
            }

            if (field.Name == "binaryParserEnabled")
            {
                error = context.Error(start, "the name 'binaryParserEnabled' is taken by the parser's own output key");
                return false;
            }

            if (!names.Add(field.Name))
            {
                error = context.Error(start, $"the name '{field.Name}' is already used by an earlier field; output keys must be unique");
                return false;
            }

            list.Add(field);
        }

        if (fieldNumber == 0)
        {
            error = new BinaryFormatError(1, 1, "the format is empty; give at least one field such as 'temp:0:int:16', or a predefined format such as '@button'");
            return false;
        }

        fields = [.. list];
        error = null;
        return true;
    }

    private static bool TryCompileField(
        FieldContext context, int start, int end, List<Range> segments, ref long nextByte, out FieldSpec field, [NotNullWhen(false)] out BinaryFormatError? error)
    {
        var format = context.Format;
        field = default;
        segments.Clear();
        var segmentStart = start;
        for (var i = start; i <= end; i++)
        {
            if (i == end || format[i] == ':')
            {
                segments.Add(new Range(segmentStart, i));
                segmentStart = i + 1;
            }
        }

        // Name.
        var nameRange = segments[0];
        var name = format[nameRange];
        if (name.Length == 0)
        {
            error = context.Error(start, "the field has no name; write it as name:index:type, e.g. 'temp:0:int:16'");
            return false;
        }

        for (var i = 0; i < name.Length; i++)
        {
            if (!IsNameChar(name[i]))
            {
                error = context.Error(nameRange.Start.Value + i, $"'{name[i]}' may not appear in a name; use letters, digits, '#', '-', '_' or '$'");
                return false;
            }
        }

        if (segments.Count < 2)
        {
            error = context.Error(end, $"'{name}' has no index and type; write it as name:index:type, e.g. '{name}:0:uint:8'");
            return false;
        }

        // Index, possibly missing altogether (name:type:...).
        long? index;
        int typeSegment;
        var indexRange = segments[1];
        var indexText = format.AsSpan(indexRange);
        if (indexText.IsEmpty)
        {
            index = null;
            typeSegment = 2;
        }
        else if (TryParseKind(indexText, out _))
        {
            index = null;
            typeSegment = 1;
        }
        else if (IsDigits(indexText))
        {
            if (!int.TryParse(indexText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                error = context.Error(indexRange.Start.Value, $"byte index {indexText} is too large");
                return false;
            }

            index = parsed;
            typeSegment = 2;
        }
        else
        {
            error = context.Error(indexRange.Start.Value, $"the byte index must be a number, or empty for the byte after the previous field; found '{indexText}'");
            return false;
        }

        if (segments.Count <= typeSegment)
        {
            error = context.Error(end, $"'{name}' has no type; expected {TypeList}");
            return false;
        }

        var typeRange = segments[typeSegment];
        var typeText = format.AsSpan(typeRange);
        if (!TryParseKind(typeText, out var kind))
        {
            error = context.Error(typeRange.Start.Value, typeText.IsEmpty
                ? $"'{name}' has no type; expected {TypeList}"
                : $"unknown type '{typeText}'; expected {TypeList}");
            return false;
        }

        var byteIndex = index ?? nextByte;
        var parameters = segments.GetRange(typeSegment + 1, segments.Count - typeSegment - 1);
        var compiled = kind switch
        {
            FieldKind.Bool => TryCompileBool(context, name, byteIndex, typeRange, parameters, out field, out error),
            FieldKind.Char => TryCompileChar(context, name, byteIndex, typeRange, parameters, out field, out error),
            FieldKind.Float32 => TryCompileFloat(context, name, byteIndex, typeRange, parameters, out field, out error),
            _ => TryCompileInteger(context, name, kind, byteIndex, typeRange, parameters, out field, out error),
        };
        if (!compiled)
        {
            // The helpers always set the error when they fail; the compiler cannot see through the switch.
            error ??= context.Error(start, "the field is not valid");
            return false;
        }

        if (field.LastByte >= int.MaxValue)
        {
            field = default;
            error = context.Error(start, "the field reaches beyond the largest supported payload");
            return false;
        }

        nextByte = (long)field.LastByte + 1;
        return true;
    }

    private static bool TryCompileBool(
        FieldContext context, string name, long byteIndex, Range typeRange, List<Range> parameters, out FieldSpec field, [NotNullWhen(false)] out BinaryFormatError? error)
    {
        field = default;
        var format = context.Format;
        if (parameters.Count == 0 || !TryParseBitPosition(format.AsSpan(parameters[0]), out var bit))
        {
            var at = parameters.Count == 0 ? typeRange.End.Value : parameters[0].Start.Value;
            error = context.Error(at, "bool needs a bit position from 0 to 7 (7 is the most significant bit), e.g. 'flag:0:bool:7'");
            return false;
        }

        if (!NoMoreParameters(context, parameters, 1, "bool takes only a bit position", out error))
        {
            return false;
        }

        field = new FieldSpec
        {
            Name = name,
            EncodedName = JsonText.Encode(name),
            Kind = FieldKind.Bool,
            FirstByte = ClampIndex(byteIndex),
            LastByte = ClampIndex(byteIndex),
            Shift = bit,
            Operations = [],
        };
        return true;
    }

    private static bool TryCompileChar(
        FieldContext context, string name, long byteIndex, Range typeRange, List<Range> parameters, out FieldSpec field, [NotNullWhen(false)] out BinaryFormatError? error)
    {
        field = default;
        var format = context.Format;
        var lengthText = parameters.Count == 0 ? default : format.AsSpan(parameters[0]);
        if (!IsDigits(lengthText)
            || !int.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            || length < 1)
        {
            var at = parameters.Count == 0 ? typeRange.End.Value : parameters[0].Start.Value;
            error = context.Error(at, "char needs a length in bytes (1 or more), e.g. 'id:0:char:4'");
            return false;
        }

        if (!NoMoreParameters(context, parameters, 1, "char takes only a length", out error))
        {
            return false;
        }

        field = new FieldSpec
        {
            Name = name,
            EncodedName = JsonText.Encode(name),
            Kind = FieldKind.Char,
            FirstByte = ClampIndex(byteIndex),
            LastByte = ClampIndex(byteIndex + length - 1),
            Operations = [],
        };
        return true;
    }

    private static bool TryCompileFloat(
        FieldContext context, string name, long byteIndex, Range typeRange, List<Range> parameters, out FieldSpec field, [NotNullWhen(false)] out BinaryFormatError? error)
    {
        field = default;
        var format = context.Format;
        var sizeText = parameters.Count == 0 ? default : format.AsSpan(parameters[0]);
        int size;
        if (sizeText.SequenceEqual("32"))
        {
            size = 4;
        }
        else if (sizeText.SequenceEqual("64"))
        {
            size = 8;
        }
        else
        {
            var at = parameters.Count == 0 ? typeRange.End.Value : parameters[0].Start.Value;
            error = context.Error(at, "float needs a size of 32 or 64 bits, e.g. 'lat:0:float:32'");
            return false;
        }

        if (!TryParseModifiers(context, parameters, allowOffset: false, $"float:{sizeText}", out var modifiers, out error))
        {
            return false;
        }

        field = new FieldSpec
        {
            Name = name,
            EncodedName = JsonText.Encode(name),
            Kind = size == 4 ? FieldKind.Float32 : FieldKind.Float64,
            FirstByte = ClampIndex(byteIndex),
            LastByte = ClampIndex(byteIndex + size - 1),
            LittleEndian = modifiers.LittleEndian ?? false,
            Operations = [.. modifiers.Operations],
        };
        error = null;
        return true;
    }

    /// <summary>
    /// The parameters after a numeric type's size, in any order: byte order, operations and (for integers) a bit
    /// offset; each may appear once, and an empty parameter (a stray trailing colon) is skipped.
    /// </summary>
    private static bool TryParseModifiers(
        FieldContext context, List<Range> parameters, bool allowOffset, string after, out Modifiers modifiers, [NotNullWhen(false)] out BinaryFormatError? error)
    {
        modifiers = default;
        var operations = new List<Operation>();
        bool? littleEndian = null;
        int? offset = null;
        var offsetAt = 0;
        var endianAt = 0;
        var format = context.Format;
        for (var p = 1; p < parameters.Count; p++)
        {
            var range = parameters[p];
            var text = format.AsSpan(range);
            if (text.IsEmpty)
            {
                continue; // a stray trailing colon carries no meaning
            }

            if (TryParseEndian(text, out var le))
            {
                if (littleEndian is not null)
                {
                    error = context.Error(range.Start.Value, "the byte order is given twice");
                    return false;
                }

                littleEndian = le;
                endianAt = range.Start.Value;
            }
            else if (IsOperator(text[0]))
            {
                if (!TryParseOperations(context, range, operations, out error))
                {
                    return false;
                }
            }
            else if (allowOffset && IsDigits(text))
            {
                if (!TryParseBitPosition(text, out var bit))
                {
                    error = context.Error(range.Start.Value, $"the bit offset must be from 0 to 7 (the bit of the first byte where the value starts, 7 = most significant); found '{text}'");
                    return false;
                }

                if (offset is not null)
                {
                    error = context.Error(range.Start.Value, "the bit offset is given twice");
                    return false;
                }

                offset = bit;
                offsetAt = range.Start.Value;
            }
            else
            {
                error = context.Error(range.Start.Value, $"unexpected '{text}' after {after}; expected big-endian, little-endian{(allowOffset ? ", a bit offset 0-7" : "")} or operations such as '/100'");
                return false;
            }
        }

        modifiers = new Modifiers(operations, littleEndian, endianAt, offset, offsetAt);
        error = null;
        return true;
    }

    private readonly record struct Modifiers(List<Operation> Operations, bool? LittleEndian, int EndianAt, int? Offset, int OffsetAt);

    private static bool TryCompileInteger(
        FieldContext context, string name, FieldKind kind, long byteIndex, Range typeRange, List<Range> parameters, out FieldSpec field, [NotNullWhen(false)] out BinaryFormatError? error)
    {
        field = default;
        var format = context.Format;
        var typeName = kind == FieldKind.Int ? "int" : "uint";
        var lengthText = parameters.Count == 0 ? default : format.AsSpan(parameters[0]);
        if (!IsDigits(lengthText)
            || !int.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            || length is < 1 or > 64)
        {
            var at = parameters.Count == 0 ? typeRange.End.Value : parameters[0].Start.Value;
            error = context.Error(at, $"{typeName} needs a bit length from 1 to 64, e.g. 'temp:0:{typeName}:16'");
            return false;
        }

        if (!TryParseModifiers(context, parameters, allowOffset: true, $"{typeName}:{length}", out var modifiers, out error))
        {
            return false;
        }

        var (operations, littleEndian, endianAt, offset, offsetAt) = modifiers;
        var startBit = (byteIndex * 8) + (7 - (offset ?? 7));
        var endBit = startBit + length - 1;
        var lastByte = endBit / 8;
        if (littleEndian == true && length % 8 != 0)
        {
            error = context.Error(endianAt, $"little-endian needs a whole number of bytes (a bit length of 8, 16, 24, ... 64); {typeName}:{length} is not");
            return false;
        }

        if (littleEndian == true && offset is not null and not 7)
        {
            error = context.Error(offsetAt, "little-endian values must start at a byte boundary (bit offset 7)");
            return false;
        }

        field = new FieldSpec
        {
            Name = name,
            EncodedName = JsonText.Encode(name),
            Kind = kind,
            FirstByte = ClampIndex(byteIndex),
            LastByte = ClampIndex(lastByte),
            Shift = (int)((((lastByte + 1) * 8) - 1) - endBit),
            BitLength = length,
            LittleEndian = littleEndian ?? false,
            Operations = [.. operations],
        };
        error = null;
        return true;
    }

    /// <summary>Parses one token of concatenated operations such as <c>+100000/100</c>.</summary>
    private static bool TryParseOperations(FieldContext context, Range range, List<Operation> operations, [NotNullWhen(false)] out BinaryFormatError? error)
    {
        var format = context.Format;
        var pos = range.Start.Value;
        var end = range.End.Value;
        while (pos < end)
        {
            var opAt = pos;
            var op = format[pos];
            if (!IsOperator(op))
            {
                error = context.Error(pos, $"expected an operator (+, -, * or /) but found '{op}'");
                return false;
            }

            pos++;
            var numberStart = pos;
            if (pos < end && format[pos] is '+' or '-')
            {
                pos++; // a signed operand, e.g. "*-1"
            }

            var digits = 0;
            var dots = 0;
            while (pos < end && (char.IsAsciiDigit(format[pos]) || format[pos] == '.'))
            {
                if (format[pos] == '.')
                {
                    dots++;
                }
                else
                {
                    digits++;
                }

                pos++;
            }

            if (digits == 0 || dots > 1)
            {
                error = context.Error(numberStart, $"'{op}' must be followed by a number such as 100 or 0.5");
                return false;
            }

            var operandText = format.AsSpan(numberStart, pos - numberStart);
            var operand = double.Parse(operandText, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            if (!double.IsFinite(operand))
            {
                error = context.Error(numberStart, $"the number {operandText} is too large");
                return false;
            }

            if (operations.Count == MaxOperations)
            {
                error = context.Error(opAt, $"a field may have at most {MaxOperations} operations");
                return false;
            }

            operations.Add(new Operation(op, operand));
        }

        error = null;
        return true;
    }

    private static bool NoMoreParameters(FieldContext context, List<Range> parameters, int from, string reason, [NotNullWhen(false)] out BinaryFormatError? error)
    {
        for (var p = from; p < parameters.Count; p++)
        {
            if (parameters[p].Start.Value != parameters[p].End.Value)
            {
                error = context.Error(parameters[p].Start.Value, $"{reason}; found '{context.Format[parameters[p]]}'");
                return false;
            }
        }

        error = null;
        return true;
    }

    // Fields whose end lies beyond int range are rejected by the caller; clamping keeps the arithmetic here simple.
    private static int ClampIndex(long value) => (int)Math.Min(value, int.MaxValue);

    private static bool TryParseKind(ReadOnlySpan<char> text, out FieldKind kind)
    {
        switch (text)
        {
            case "bool":
                kind = FieldKind.Bool;
                return true;
            case "int":
                kind = FieldKind.Int;
                return true;
            case "uint":
                kind = FieldKind.UInt;
                return true;
            case "float":
                kind = FieldKind.Float32; // the size parameter decides between 32 and 64
                return true;
            case "char":
                kind = FieldKind.Char;
                return true;
            default:
                kind = default;
                return false;
        }
    }

    private static bool TryParseEndian(ReadOnlySpan<char> text, out bool littleEndian)
    {
        littleEndian = text.SequenceEqual("little-endian");
        return littleEndian || text.SequenceEqual("big-endian");
    }

    private static bool TryParseBitPosition(ReadOnlySpan<char> text, out int bit)
    {
        bit = text.Length == 1 && text[0] is >= '0' and <= '7' ? text[0] - '0' : -1;
        return bit >= 0;
    }

    private static bool IsDigits(ReadOnlySpan<char> text) => !text.IsEmpty && !text.ContainsAnyExceptInRange('0', '9');

    private static bool IsOperator(char c) => c is '+' or '-' or '*' or '/';

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '#' or '-' or '_' or '$';

    /// <summary>Turns a position in the format string into an error for the field being compiled.</summary>
    private readonly record struct FieldContext(string Format, int FieldNumber)
    {
        public BinaryFormatError Error(int position, string reason) => new(FieldNumber, position + 1, reason);
    }
}
