using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;

namespace Gateway.Registry;

/// <summary>
/// Applies changes to a <see cref="RegistryState"/> and validates only what they touch: changed subscribers are
/// parsed one by one, their identifying values checked against the index, and the groups their siblings refer to
/// are counted, not scanned. Credential sets and groups (few) are re-validated together when one of them changes.
/// The errors are the ones <see cref="RegistryParser.Parse"/> gives the resulting registry, with the same paths.
/// Use: <see cref="ApplySmall"/> first (groups decide which subscribers are valid), then subscribers, then
/// <see cref="Finish"/>.
/// </summary>
internal sealed class RegistryEdit
{
    /// <summary>How many SIMs left without their group are named before the rest are counted.</summary>
    private const int MaxOrphansNamed = 100;

    private readonly RegistryState _from;
    private readonly SubscriberIndex.Builder _index;
    private readonly bool _wholeDocument;
    private readonly List<string> _smallErrors = [];
    private readonly List<string> _elementErrors = [];
    private readonly List<(int Field, string Value, Subscriber Subscriber)> _pending = [];
    private readonly HashSet<string> _groupIds;
    private JsonObject _small;
    private IReadOnlyList<Group> _groups;
    private IReadOnlyList<CredentialSet> _credentials;
    private bool _smallChanged;
    private int _position;

    /// <param name="from">The state the changes apply to.</param>
    /// <param name="wholeDocument">
    /// True when the subscribers come from one document (a store load): an IMSI given twice is then an error,
    /// as in a seed file; otherwise a later change of the same IMSI replaces the earlier one.
    /// </param>
    public RegistryEdit(RegistryState from, bool wholeDocument = false)
    {
        _from = from;
        _small = from.Small;
        _groups = from.Snapshot.Groups;
        _credentials = from.Snapshot.Credentials;
        _groupIds = [.. _groups.Select(static g => g.GroupId)];
        _index = from.Snapshot.SubscriberIndex.ToBuilder();
        _position = _index.Count;
        _wholeDocument = wholeDocument;
    }

    /// <summary>Changes of groups and credential sets; the few of them are parsed again as a whole.</summary>
    public void ApplySmall(IEnumerable<RegistryChange> changes)
    {
        // Copied only when something changes: every batch of registrations passes here with none, and the groups'
        // configuration (Beam, Funnel, credentials) was deep-copied for each of them.
        JsonObject? candidate = null;
        foreach (var change in changes)
        {
            candidate ??= _smallChanged ? _small : (JsonObject)_small.DeepClone();
            Replace(candidate, change);
        }

        if (candidate is null)
        {
            return;
        }

        _smallChanged = true;
        _small = candidate;
        _smallErrors.Clear();
        (_groups, _credentials) = RegistryParser.ParseGroupsAndCredentials(candidate, _smallErrors);
        _groupIds.Clear();
        _groupIds.UnionWith(_groups.Select(static g => g.GroupId));
    }

    /// <summary>A subscriber written (parsed and checked here) or deleted (<see cref="RegistryChange.Document"/> null).</summary>
    public void ApplySubscriber(string imsi, JsonObject? document)
    {
        RemoveExisting(imsi);
        if (document is null)
        {
            return;
        }

        var position = _position++;
        var parsed = RegistryParser.ParseSubscriberElement(document, position, _groupIds.Contains, _elementErrors);
        if (parsed is not null)
        {
            AddOnce(parsed, RegistryParser.SubscriberLabel(document, position));
        }
    }

    /// <summary>
    /// A subscriber as stored text (a store read): the gateway's own shape is read without a JSON tree
    /// (<see cref="SubscriberFastReader"/>), anything else through the full parser.
    /// </summary>
    public void ApplySubscriberText(string imsi, string? text)
    {
        if (text is not null)
        {
            var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
            try
            {
                var length = Encoding.UTF8.GetBytes(text, bytes);
                if (TryApplyFast(imsi, bytes.AsSpan(0, length)))
                {
                    return;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(bytes);
            }
        }

        ApplySubscriber(imsi, text is null ? null : JsonNode.Parse(text) as JsonObject);
    }

    /// <summary>A stored subscriber as the store's UTF-8 (a start): strings are made only for the fields kept.</summary>
    public void ApplySubscriberUtf8(ReadOnlySpan<byte> id, ReadOnlySpan<byte> document) => ApplyRow(ReadRow(id, document));

    /// <summary>
    /// The reading half of <see cref="ApplySubscriberUtf8"/>, which changes nothing here and may run on another
    /// thread than <see cref="ApplyRow"/> (after <see cref="ApplySmall"/>, which decides the groups it checks against).
    /// </summary>
    public StoredSubscriberRow ReadRow(ReadOnlySpan<byte> id, ReadOnlySpan<byte> document) =>
        SubscriberFastReader.TryRead(document, _groupIds, out var parsed, out var addressKey)
            ? new StoredSubscriberRow(parsed, addressKey, null, null)
            : new StoredSubscriberRow(null, default, Encoding.UTF8.GetString(id), Encoding.UTF8.GetString(document));

    /// <summary>The applying half of <see cref="ApplySubscriberUtf8"/>: rows must come in the order they were read.</summary>
    public void ApplyRow(StoredSubscriberRow row)
    {
        if (row.Parsed is not { } parsed)
        {
            ApplySubscriber(row.Id!, JsonNode.Parse(row.Document!) as JsonObject);
            return;
        }

        RemoveExisting(parsed.Imsi);
        _position++;
        AddRead(parsed, row.AddressKey);
    }

    /// <summary>
    /// Room for <paramref name="subscribers"/> SIMs, told by the store before a load (a whole document, so the index
    /// starts empty): the maps are then allocated once at their size, not grown a doubling at a time.
    /// </summary>
    public void ExpectSubscribers(int subscribers)
    {
        if (_wholeDocument && _index.Count == 0)
        {
            _index.EnsureCapacity(subscribers);
        }
    }

    /// <param name="imsi">The stored ID (replaced if present); null to take the document's own IMSI.</param>
    private bool TryApplyFast(string? imsi, ReadOnlySpan<byte> document)
    {
        if (!SubscriberFastReader.TryRead(document, _groupIds, out var parsed, out var addressKey))
        {
            return false;
        }

        RemoveExisting(imsi ?? parsed!.Imsi);
        _position++;
        AddRead(parsed!, addressKey);
        return true;
    }

    /// <summary>
    /// A subscriber change built and checked on its own (<see cref="RegistryChange.Checked"/>): as
    /// <see cref="ApplySubscriber"/> with its JSON, taking the same position among the changes.
    /// </summary>
    public void ApplyChecked(Subscriber subscriber)
    {
        _position++;
        ApplyParsed(subscriber);
    }

    /// <summary>
    /// <see cref="AddOnce"/> of a SIM the fast reader made: its only identifying value is its static address, whose key
    /// the reader computed, and in a whole document the IMSI is looked up once (by adding it).
    /// </summary>
    private void AddRead(Subscriber subscriber, UInt128 addressKey)
    {
        if (!_wholeDocument)
        {
            _index.Add(subscriber);
        }
        else if (!_index.TryAdd(subscriber))
        {
            _elementErrors.Add(RegistryParser.DuplicateError("subscribers", subscriber.Imsi));
            return;
        }

        if (subscriber.IpAddress is { } address && !_index.TryClaimAddress(addressKey, subscriber))
        {
            _pending.Add((0, address, subscriber));
        }
    }

    /// <summary>A subscriber already parsed and checked on its own (a seed file's); replaces one with its IMSI.</summary>
    public void ApplyParsed(Subscriber subscriber)
    {
        if (_index.Find(subscriber.Imsi) is { } existing)
        {
            _index.Remove(existing);
        }

        if (subscriber.GroupId is not null && !_groupIds.Contains(subscriber.GroupId))
        {
            _elementErrors.Add(RegistryParser.NoGroupError($"subscribers[{subscriber.Imsi}]", subscriber.GroupId));
            return;
        }

        Add(subscriber);
    }

    /// <summary>The new state (not yet published, its version still the old one), or null with every error.</summary>
    public RegistryState? Finish(List<string> errors)
    {
        errors.AddRange(_smallErrors);
        ReportOrphans(errors);
        errors.AddRange(_elementErrors);
        foreach (var (field, value, subscriber) in _pending.OrderBy(static p => p.Field))
        {
            // The holder it met may have let the value go later in the same change; and a SIM changed twice in one
            // change keeps only its last version's values.
            if (_index.Find(subscriber.Imsi) == subscriber && !_index.TryClaim(field, value, subscriber))
            {
                errors.Add(RegistryParser.TakenError(subscriber.Imsi, SubscriberIndex.Fields[field], value, _index.Owner(field, value)!.Imsi));
            }
        }

        if (_smallChanged)
        {
            RegistryParser.CheckUniqueGroupRanges([.. _groups], errors);
        }

        if (errors.Count > 0)
        {
            return null;
        }

        return new RegistryState(new RegistrySnapshot(_groups, _credentials, _index.ToImmutable(), _from.Snapshot.Version), _small);
    }

    private void RemoveExisting(string imsi)
    {
        if (!_wholeDocument && _index.Find(imsi) is { } existing)
        {
            _index.Remove(existing);
        }
    }

    /// <summary>Adds a parsed subscriber; within one document an IMSI given twice is the parser's duplicate error.</summary>
    private void AddOnce(Subscriber subscriber, string label)
    {
        // A whole document starts from nothing, so the index holds exactly the IMSIs seen so far (no second set of
        // a million strings).
        if (_wholeDocument && _index.Find(subscriber.Imsi) is not null)
        {
            _elementErrors.Add(RegistryParser.DuplicateError("subscribers", label));
            return;
        }

        Add(subscriber);
    }

    private void Add(Subscriber subscriber)
    {
        _index.Add(subscriber);
        foreach (var (field, value) in SubscriberIndex.Builder.Values(subscriber))
        {
            if (!_index.TryClaim(field, value, subscriber))
            {
                _pending.Add((field, value, subscriber));
            }
        }
    }

    /// <summary>
    /// Subscribers this change did not touch whose group it removed (or made invalid): the same error the
    /// parser gives each of them. Found by count first, so the scan happens only when a change is refused.
    /// </summary>
    private void ReportOrphans(List<string> errors)
    {
        var gone = _from.Snapshot.Groups.Select(static g => g.GroupId).Where(g => !_groupIds.Contains(g) && _index.Members(g) > 0).ToHashSet(StringComparer.Ordinal);
        if (gone.Count == 0)
        {
            return;
        }

        var named = 0;
        var total = gone.Sum(_index.Members);
        foreach (var imsi in _index.Imsis)
        {
            if (_index.Find(imsi) is { GroupId: { } groupId } && gone.Contains(groupId))
            {
                errors.Add(RegistryParser.NoGroupError($"subscribers[{imsi}]", groupId));
                if (++named == MaxOrphansNamed && total > named)
                {
                    errors.Add($"subscribers: {total - named} more subscribers are in groups this change removes or makes invalid");
                    return;
                }
            }
        }
    }

    /// <summary>Writes or deletes one element of the groups or credentials array, in place or appended.</summary>
    private static void Replace(JsonObject document, RegistryChange change)
    {
        var (section, idField) = change.Kind == RegistryElementKind.Group ? ("groups", "groupId") : ("credentials", "credentialsId");
        if (document[section] is not JsonArray array)
        {
            document[section] = array = [];
        }

        var index = -1;
        for (var i = 0; i < array.Count; i++)
        {
            if ((string?)array[i]?[idField] == change.Id)
            {
                index = i;
                break;
            }
        }

        if (change.Document is null)
        {
            if (index >= 0)
            {
                array.RemoveAt(index);
            }
        }
        else if (index >= 0)
        {
            array[index] = change.Document.DeepClone();
        }
        else
        {
            array.Add(change.Document.DeepClone());
        }
    }
}
