using System.Globalization;
using System.Text;

namespace Gateway.Signing.MessageSignatures;

/// <summary>
/// The part of RFC 8941 (Structured Field Values) that <c>Signature-Input</c>, <c>Signature</c> and
/// <c>Content-Digest</c> use: dictionaries whose members are items or inner lists, with parameters. Strict: input
/// that does not parse is refused whole, as RFC 8941 asks.
/// </summary>
internal static class StructuredFieldParser
{
    /// <summary>A token, kept apart from a string because the two serialize differently.</summary>
    internal readonly record struct Token(string Value);

    internal sealed record Member(string Key, object? Item, IReadOnlyList<object>? InnerList, IReadOnlyList<KeyValuePair<string, object>> Parameters, string RawValue);

    public static bool TryParseDictionary(string input, out List<Member> members, out string? error)
    {
        members = [];
        error = null;
        var p = new Cursor(input);
        p.SkipSp();
        if (p.End)
        {
            error = "empty structured field";
            return false;
        }

        while (!p.End)
        {
            if (!p.TryKey(out var key))
            {
                error = $"expected a key at column {p.Pos + 1}";
                return false;
            }

            object? item = null;
            List<object>? inner = null;
            var valueStart = p.Pos;
            if (p.Peek == '=')
            {
                p.Pos++;
                valueStart = p.Pos;
                if (p.Peek == '(')
                {
                    if (!p.TryInnerList(out inner, out error))
                    {
                        return false;
                    }
                }
                else if (!p.TryBareItem(out item, out error))
                {
                    return false;
                }
            }
            else
            {
                item = true;
            }

            if (!p.TryParameters(out var parameters, out error))
            {
                return false;
            }

            members.RemoveAll(m => m.Key == key); // RFC 8941: a later duplicate key overwrites the earlier one.
            members.Add(new Member(key, item, inner, parameters, input[valueStart..p.Pos]));
            p.SkipOws();
            if (p.End)
            {
                break;
            }

            if (p.Peek != ',')
            {
                error = $"expected ',' at column {p.Pos + 1}";
                return false;
            }

            p.Pos++;
            p.SkipOws();
            if (p.End)
            {
                error = "trailing ','";
                return false;
            }
        }

        return true;
    }

    /// <summary>Serializes a string as an RFC 8941 sf-string.</summary>
    public static string Quote(string value)
    {
        var sb = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            if (c is '"' or '\\')
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.Append('"').ToString();
    }

    private sealed class Cursor(string text)
    {
        public int Pos;

        public bool End => Pos >= text.Length;

        public char Peek => End ? '\0' : text[Pos];

        public void SkipSp()
        {
            while (!End && text[Pos] == ' ')
            {
                Pos++;
            }
        }

        public void SkipOws()
        {
            while (!End && text[Pos] is ' ' or '\t')
            {
                Pos++;
            }
        }

        public bool TryKey(out string key)
        {
            var start = Pos;
            if (End || !(char.IsAsciiLetterLower(text[Pos]) || text[Pos] == '*'))
            {
                key = string.Empty;
                return false;
            }

            Pos++;
            while (!End && (char.IsAsciiLetterLower(text[Pos]) || char.IsAsciiDigit(text[Pos]) || text[Pos] is '_' or '-' or '.' or '*'))
            {
                Pos++;
            }

            key = text[start..Pos];
            return true;
        }

        public bool TryInnerList(out List<object>? items, out string? error)
        {
            items = [];
            Pos++; // '('
            while (true)
            {
                SkipSp();
                if (End)
                {
                    error = "unterminated inner list";
                    return false;
                }

                if (Peek == ')')
                {
                    Pos++;
                    error = null;
                    return true;
                }

                if (!TryBareItem(out var item, out error))
                {
                    return false;
                }

                // Parameters on individual components (e.g. ;sf, ;key) are not supported by this implementation.
                if (Peek == ';')
                {
                    error = $"component parameters are not supported (column {Pos + 1})";
                    return false;
                }

                items.Add(item!);
                if (End)
                {
                    error = "unterminated inner list";
                    return false;
                }

                if (Peek is not (' ' or ')'))
                {
                    error = $"expected ' ' or ')' at column {Pos + 1}";
                    return false;
                }
            }
        }

        public bool TryParameters(out List<KeyValuePair<string, object>> parameters, out string? error)
        {
            parameters = [];
            error = null;
            while (Peek == ';')
            {
                Pos++;
                SkipSp();
                if (!TryKey(out var key))
                {
                    error = $"expected a parameter name at column {Pos + 1}";
                    return false;
                }

                object value = true;
                if (Peek == '=')
                {
                    Pos++;
                    if (!TryBareItem(out var v, out error))
                    {
                        return false;
                    }

                    value = v!;
                }

                parameters.RemoveAll(p => p.Key == key);
                parameters.Add(new(key, value));
            }

            return true;
        }

        public bool TryBareItem(out object? item, out string? error)
        {
            item = null;
            error = null;
            if (End)
            {
                error = "expected a value at the end of the field";
                return false;
            }

            var c = text[Pos];
            if (c == '"')
            {
                return TryString(out item, out error);
            }

            if (c == ':')
            {
                var close = text.IndexOf(':', Pos + 1);
                if (close < 0)
                {
                    error = "unterminated byte sequence";
                    return false;
                }

                var b64 = text[(Pos + 1)..close];
                try
                {
                    item = Convert.FromBase64String(b64);
                }
                catch (FormatException)
                {
                    error = $"byte sequence at column {Pos + 1} is not base64";
                    return false;
                }

                Pos = close + 1;
                return true;
            }

            if (c == '?')
            {
                if (Pos + 1 < text.Length && text[Pos + 1] is '0' or '1')
                {
                    item = text[Pos + 1] == '1';
                    Pos += 2;
                    return true;
                }

                error = $"bad boolean at column {Pos + 1}";
                return false;
            }

            if (c == '-' || char.IsAsciiDigit(c))
            {
                var start = Pos;
                Pos++;
                while (!End && (char.IsAsciiDigit(text[Pos]) || text[Pos] == '.'))
                {
                    Pos++;
                }

                var number = text[start..Pos];
                if (!number.Contains('.', StringComparison.Ordinal) && number.Length <= 16
                    && long.TryParse(number, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
                {
                    item = l;
                    return true;
                }

                if (decimal.TryParse(number, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d))
                {
                    item = d;
                    return true;
                }

                error = $"bad number '{number}'";
                return false;
            }

            if (char.IsAsciiLetter(c) || c == '*')
            {
                var start = Pos;
                Pos++;
                while (!End && (char.IsAsciiLetterOrDigit(text[Pos]) || ":/!#$%&'*+-.^_`|~".Contains(text[Pos], StringComparison.Ordinal)))
                {
                    Pos++;
                }

                item = new Token(text[start..Pos]);
                return true;
            }

            error = $"unexpected '{c}' at column {Pos + 1}";
            return false;
        }

        private bool TryString(out object? item, out string? error)
        {
            var sb = new StringBuilder();
            Pos++;
            while (!End)
            {
                var c = text[Pos++];
                if (c == '\\')
                {
                    if (End || text[Pos] is not ('"' or '\\'))
                    {
                        break;
                    }

                    sb.Append(text[Pos++]);
                }
                else if (c == '"')
                {
                    item = sb.ToString();
                    error = null;
                    return true;
                }
                else if (c is < ' ' or > '~')
                {
                    break;
                }
                else
                {
                    sb.Append(c);
                }
            }

            item = null;
            error = "bad or unterminated string";
            return false;
        }
    }
}
