namespace Gateway.Adapters.PubSub;

/// <summary>
/// Checks Pub/Sub resource names: a topic path <c>projects/P/topics/T</c>, its project ID and topic ID. Google's
/// rules for a topic ID: 3–255 characters, starting with a letter, of letters, digits and <c>- . _ ~ + %</c>, not
/// starting with <c>goog</c>. Project IDs are checked loosely (the emulator takes any name; the cloud's own rule,
/// 6–30 lower-case characters, plus legacy <c>domain:project</c> IDs, is a subset), so that a name the service
/// would take is never refused here.
/// </summary>
internal static class PubSubTopic
{
    public const int MinTopicLength = 3, MaxTopicLength = 255, MaxProjectLength = 100;

    /// <summary>Why <paramref name="topicId"/> is not a legal topic ID, or null when it is.</summary>
    public static string? TopicIdError(ReadOnlySpan<char> topicId)
    {
        if (topicId.Length is < MinTopicLength or > MaxTopicLength)
            return $"must be {MinTopicLength}-{MaxTopicLength} characters";
        if (!char.IsAsciiLetter(topicId[0]))
            return "must start with a letter";
        if (topicId.StartsWith("goog", StringComparison.OrdinalIgnoreCase))
            return "must not start with 'goog' (reserved by Google)";
        foreach (var c in topicId)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '+' or '%'))
                return "may hold only letters, digits, '-', '.', '_', '~', '+', '%' (and #{imsi})";
        }
        return null;
    }

    /// <summary>Why <paramref name="project"/> is not a usable project ID, or null when it is.</summary>
    public static string? ProjectError(ReadOnlySpan<char> project)
    {
        if (project.Length is 0 or > MaxProjectLength)
            return $"must be 1-{MaxProjectLength} characters";
        foreach (var c in project)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or ':'))
                return "may hold only letters, digits, '-', '.' and ':'";
        }
        return null;
    }

    /// <summary>
    /// Splits <c>projects/P/topics/T</c> into its project and topic ID; false when <paramref name="path"/> does not
    /// have that shape (the parts are not checked here).
    /// </summary>
    public static bool TrySplit(string path, out string project, out string topicId)
    {
        project = topicId = "";
        const string Projects = "projects/", Topics = "/topics/";
        if (!path.StartsWith(Projects, StringComparison.Ordinal))
            return false;
        var at = path.IndexOf(Topics, Projects.Length, StringComparison.Ordinal);
        if (at < 0)
            return false;
        project = path[Projects.Length..at];
        topicId = path[(at + Topics.Length)..];
        return !project.Contains('/', StringComparison.Ordinal) && !topicId.Contains('/', StringComparison.Ordinal);
    }
}
