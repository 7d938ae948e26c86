using System.Globalization;

namespace Gateway.Harvest;

/// <summary>
/// The <c>x-soracom-next-key</c> values the read API hands out and takes back as <c>last_evaluated_key</c>. Entries:
/// <c>{time}_{resourceId}</c>, the form SORACOM documents for the subscriber listing (spec §4.2); a bare time is taken
/// too. A category's entries, which span resources: <c>{time}_{resourceType}/{resourceId}</c> (inferred). Resources:
/// <c>{resourceType}/{resourceId}</c>. Anything else is refused rather than read as "from the start",
/// which would silently repeat pages.
/// </summary>
internal static class HarvestPageKey
{
    public static string EntryKey(HarvestEntry last) => $"{last.Time.ToString(CultureInfo.InvariantCulture)}_{last.ResourceId}";

    public static string CategoryKey(HarvestEntry last) => $"{last.Time.ToString(CultureInfo.InvariantCulture)}_{last.ResourceType}/{last.ResourceId}";

    public static string ResourceKey(HarvestResource last) => $"{last.ResourceType}/{last.ResourceId}";

    /// <summary>The time to continue after, or null with an error added.</summary>
    public static long? ParseEntryKey(string key, string resourceId, List<string> errors)
    {
        var underscore = key.IndexOf('_', StringComparison.Ordinal);
        var time = underscore < 0 ? key : key[..underscore];
        if (!long.TryParse(time, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            || (underscore >= 0 && !key.AsSpan(underscore + 1).SequenceEqual(resourceId)))
        {
            errors.Add($"last_evaluated_key '{key}' is not a key of this resource's listing (expected <time>_{resourceId} from x-soracom-next-key)");
            return null;
        }

        return ms;
    }

    /// <summary>Where to continue a category listing, or null with an error added.</summary>
    public static HarvestEntryPosition? ParseCategoryKey(string key, List<string> errors)
    {
        var underscore = key.IndexOf('_', StringComparison.Ordinal);
        var inner = new List<string>();
        if (underscore > 0
            && long.TryParse(key.AsSpan(0, underscore), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            && ParseResourceKey(key[(underscore + 1)..], inner) is var (type, id))
        {
            return new HarvestEntryPosition(ms, type, id);
        }

        errors.Add($"last_evaluated_key '{key}' is not a key of this category's listing (expected <time>_<resourceType>/<resourceId> from x-soracom-next-key)");
        return null;
    }

    public static (string Type, string Id)? ParseResourceKey(string key, List<string> errors)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == key.Length - 1 || !HarvestApi.ResourceTypes.Contains(key[..slash]))
        {
            errors.Add($"last_evaluated_key '{key}' is not a key of the resource listing (expected <resourceType>/<resourceId> from x-soracom-next-key)");
            return null;
        }

        return (key[..slash], key[(slash + 1)..]);
    }
}
