using System.Globalization;
using System.Text.Json.Nodes;

namespace Gateway.Registry;

/// <summary>
/// Loads a JSON seed file in two streamed passes (<see cref="SeedJsonStream"/>): the first reads the few credential
/// sets and groups (wherever they are in the file), the second the subscribers one element at a time, each parsed
/// and checked as <see cref="RegistryParser.Parse"/> would, with the same errors in the same order. Only parsed
/// subscribers are kept, never the file's text or tree.
/// </summary>
internal static class SeedJsonLoader
{
    /// <returns>The document, or null with the errors; <paramref name="defect"/> is set instead when the text itself is unsound.</returns>
    public static RegistryDocument? Load(string path, List<string> errors, out string? defect)
    {
        var stream = new SeedJsonStream();
        var small = new JsonObject();
        var subscribersNotArray = false;
        stream.Walk(path, "subscribers", (name, node) =>
        {
            switch (name)
            {
                case "groups" or "credentials":
                    small[name] = node;
                    break;
                case "subscribers":
                    subscribersNotArray = true;
                    break;
                default:
                    errors.Add($"{name}: unknown section; expected groups, subscribers or credentials");
                    break;
            }
        }, element: null);
        if ((defect = stream.Defect) is not null)
        {
            return null;
        }

        var (groups, credentials) = RegistryParser.ParseGroupsAndCredentials(small, errors);
        if (subscribersNotArray)
        {
            errors.Add("subscribers: must be an array");
        }

        var groupIds = groups.Select(static g => g.GroupId).ToHashSet(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var subscribers = new List<Subscriber>();
        stream.Walk(path, "subscribers", section: null, (index, utf8) =>
        {
            if (!SubscriberFastReader.TryRead(utf8, groupIds, out var parsed))
            {
                var node = StrictJson.Parse(utf8, lenient: true, out var error);
                if (error is not null)
                {
                    return error;
                }

                if (node is not JsonObject element)
                {
                    errors.Add($"subscribers[{index.ToString(CultureInfo.InvariantCulture)}]: must be an object");
                    return null;
                }

                parsed = RegistryParser.ParseSubscriberElement(element, index, groupIds.Contains, errors);
            }

            if (parsed is not null && !seen.Add(parsed.Imsi))
            {
                // The label is the IMSI: a parsed subscriber's is always usable.
                errors.Add(RegistryParser.DuplicateError("subscribers", parsed.Imsi));
            }
            else if (parsed is not null)
            {
                subscribers.Add(parsed);
            }

            return null;
        });
        if ((defect = stream.Defect) is not null)
        {
            return null;
        }

        RegistryParser.CheckUniqueAddresses(subscribers, errors);
        RegistryParser.CheckUniqueGroupRanges(groups, errors);
        return errors.Count == 0 ? new RegistryDocument { Groups = groups, Subscribers = subscribers, Credentials = credentials } : null;
    }
}
