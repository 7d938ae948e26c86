using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace Gateway.Registry;

/// <summary>
/// Keeps the resolver's snapshot equal to the store: loads it at start (after writing the seed file's elements),
/// applies admin changes after validating the whole resulting registry, and polls the store's version so that
/// changes made by another instance apply here within <see cref="RegistryOptions.PollInterval"/>.
/// </summary>
internal sealed partial class RegistryService : BackgroundService
{
    private readonly IRegistryStore _store;
    private readonly IdentityResolver _resolver;
    private readonly RegistryDocument? _seed;
    private readonly RegistryOptions _options;
    private readonly ILogger<RegistryService> _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private JsonObject _current = [];
    private long _bindingsVersion = -1;
    private volatile string? _storeProblem;

    public RegistryService(IRegistryStore store, IdentityResolver resolver, IOptions<RegistryOptions> options, ILogger<RegistryService> logger, RegistryDocument? seed = null)
    {
        _store = store;
        _resolver = resolver;
        _options = options.Value;
        _logger = logger;
        _seed = seed;
    }

    public RegistrySnapshot Snapshot => _resolver.Snapshot;

    /// <summary>
    /// Why the store cannot keep changes now (deleted database, unwritable, unreachable), or null. Set by a failed
    /// write or poll, cleared by the next poll that succeeds; <c>/healthz</c> answers 503 while it is set.
    /// </summary>
    public string? StoreProblem => _storeProblem;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await _store.InitializeAsync(cancellationToken);
        if (_seed is not null)
        {
            // Upsert: the file's elements win; elements added through the API and absent from the file stay.
            var changes = new List<RegistryChange>();
            changes.AddRange(_seed.Credentials.Select(static c => new RegistryChange(RegistryElementKind.Credential, c.CredentialsId, RegistryJson.Write(c, includeSecrets: true))));
            changes.AddRange(_seed.Groups.Select(static g => new RegistryChange(RegistryElementKind.Group, g.GroupId, RegistryJson.Write(g, includeSecrets: true))));
            changes.AddRange(_seed.Subscribers.Select(static s => new RegistryChange(RegistryElementKind.Subscriber, s.Imsi, RegistryJson.Write(s))));
            var result = await ApplyAsync(changes, cancellationToken);
            if (!result.Succeeded)
            {
                throw new RegistryLoadException("the seed file does not fit the stored registry:" + Environment.NewLine + string.Join(Environment.NewLine, result.Errors));
            }
        }
        else if (!await ReloadAsync(cancellationToken))
        {
            throw new RegistryLoadException("the stored registry is not valid; see the log.");
        }
        else if (_options.Demo)
        {
            await CreateDemoIfEmptyAsync(cancellationToken);
        }

        await ReloadBindingsAsync(cancellationToken);
        LogLoaded(_logger, _store.Name, Snapshot.Document.Groups.Count, Snapshot.Document.Subscribers.Count, Snapshot.Document.Credentials.Count, Snapshot.Version);
        await base.StartAsync(cancellationToken);
    }

    /// <summary>
    /// Validates the registry as it would be after <paramref name="changes"/>, and only then writes and publishes it.
    /// </summary>
    /// <summary>
    /// Store calls can block (SQLite has no real asynchronous I/O). Callers may be running on a socket's I/O thread
    /// (Gateway:Beam:InlineIoCompletions), where blocking would stall every connection that thread serves, so the
    /// store is always called from the thread pool.
    /// </summary>
    private static YieldAwaitable LeaveIoThread() => Task.Yield();

    public async Task<RegistryUpdateResult> ApplyAsync(IReadOnlyList<RegistryChange> changes, CancellationToken cancellationToken)
    {
        await LeaveIoThread();
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            // Start from the store, not memory, so a change made by another instance a moment ago is not undone.
            await ReloadAsync(cancellationToken);
            var candidate = (JsonObject)_current.DeepClone();
            foreach (var change in changes)
            {
                Apply(candidate, change);
            }

            var errors = new List<string>();
            var document = RegistryParser.Parse(candidate, errors);
            if (document is null)
            {
                return RegistryUpdateResult.Failed(errors);
            }

            var version = await Noted(_store.WriteAsync(changes, cancellationToken));
            _current = candidate;
            _resolver.Publish(new RegistrySnapshot(document, version));
            return new RegistryUpdateResult(true, version, []);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _store.WaitForChangeAsync(_options.PollInterval, stoppingToken);
                if (await _store.GetBindingsVersionAsync(stoppingToken) != Interlocked.Read(ref _bindingsVersion))
                {
                    await ReloadBindingsAsync(stoppingToken);
                }

                if (await _store.GetVersionAsync(stoppingToken) != Snapshot.Version)
                {
                    await _writeLock.WaitAsync(stoppingToken);
                    try
                    {
                        await ReloadAsync(stoppingToken);
                    }
                    finally
                    {
                        _writeLock.Release();
                    }
                }

                _storeProblem = null;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The store being briefly unreachable must not stop the gateway: it keeps serving the last snapshot,
                // but says it cannot keep changes (health) until a poll succeeds again.
                _storeProblem = e is StoreUnavailableException ? e.Message : $"the {_store.Name} store cannot be read: {e.GetType().Name}: {e.Message}";
                LogPollFailed(_logger, _store.Name, e);
                await Task.Delay(_options.PollInterval, stoppingToken);
            }
        }
    }

    // Note: no method here may be called BindAsync: minimal API handlers take RegistryService as a parameter, and
    // ASP.NET Core would take a BindAsync method for its custom parameter-binding hook.

    /// <summary>
    /// Records a RADIUS binding in the store (so every instance sees it) and in this instance at once. Throws when
    /// the store cannot record it, so that accounting is not acknowledged.
    /// </summary>
    public async Task BindAddressAsync(IPAddress address, AddressBinding binding, CancellationToken cancellationToken)
    {
        await LeaveIoThread();
        await Noted(_store.WriteBindingAsync(address.ToString(), binding, null, cancellationToken));
        _resolver.Bind(address, binding);
    }

    /// <summary>Removes a binding, only while it is still <paramref name="imsi"/>'s.</summary>
    public async Task UnbindAddressAsync(IPAddress address, string? imsi, CancellationToken cancellationToken)
    {
        await LeaveIoThread();
        await Noted(_store.WriteBindingAsync(address.ToString(), null, imsi, cancellationToken));
        _resolver.Unbind(address, imsi);
    }

    /// <summary>Removes every binding a NAS made (Accounting-On/Off).</summary>
    public async Task UnbindNasAsync(string nas, CancellationToken cancellationToken)
    {
        await LeaveIoThread();
        await Noted(_store.DeleteBindingsOfNasAsync(nas, cancellationToken));
        await ReloadBindingsAsync(cancellationToken);
    }

    /// <summary>
    /// The demo group and subscriber, when the registry is empty and they were never made in this data directory (a
    /// marker remembers it, so deleting them is final). Said once, in the log.
    /// </summary>
    private async Task CreateDemoIfEmptyAsync(CancellationToken cancellationToken)
    {
        var marker = Path.Combine(_options.DataDirectory, DemoRegistry.MarkerFile);
        var document = Snapshot.Document;
        if (document.Groups.Count + document.Subscribers.Count + document.Credentials.Count != 0 || File.Exists(marker))
        {
            return;
        }

        var result = await ApplyAsync(DemoRegistry.Changes(), cancellationToken);
        if (!result.Succeeded)
        {
            throw new RegistryLoadException("the demo registry does not load (a defect):" + Environment.NewLine + string.Join(Environment.NewLine, result.Errors));
        }

        await File.WriteAllTextAsync(marker, "The demo group and subscriber were created here; they are not created again.\n", cancellationToken);
        LogDemoCreated(_logger, DemoRegistry.GroupId, DemoRegistry.Imsi, DemoRegistry.Address);
    }

    /// <summary>A store write whose "store unavailable" failure is also kept for <see cref="StoreProblem"/>.</summary>
    private async Task<long> Noted(Task<long> write)
    {
        try
        {
            return await write;
        }
        catch (StoreUnavailableException e)
        {
            _storeProblem = e.Message;
            throw;
        }
    }

    private async Task ReloadBindingsAsync(CancellationToken cancellationToken)
    {
        var (bindings, version) = await _store.LoadBindingsAsync(cancellationToken);
        _resolver.ReplaceBindings(bindings);
        Interlocked.Exchange(ref _bindingsVersion, version);
    }

    /// <returns>False when the stored registry does not validate; the previous snapshot stays in force.</returns>
    private async Task<bool> ReloadAsync(CancellationToken cancellationToken)
    {
        var stored = await _store.LoadAsync(cancellationToken);
        if (stored.Version == Snapshot.Version && Snapshot.Version != 0)
        {
            return true;
        }

        var errors = new List<string>();
        var document = RegistryParser.Parse(stored.Document, errors);
        if (document is null)
        {
            foreach (var error in errors)
            {
                LogInvalidStored(_logger, _store.Name, stored.Version, error);
            }

            return false;
        }

        _current = stored.Document;
        _resolver.Publish(new RegistrySnapshot(document, stored.Version));
        return true;
    }

    private static void Apply(JsonObject document, RegistryChange change)
    {
        var (section, idField) = change.Kind switch
        {
            RegistryElementKind.Group => ("groups", "groupId"),
            RegistryElementKind.Subscriber => ("subscribers", "imsi"),
            _ => ("credentials", "credentialsId"),
        };
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Registry loaded from {Store}: {Groups} groups, {Subscribers} subscribers, {Credentials} credential sets, version {Version}")]
    private static partial void LogLoaded(ILogger logger, string store, int groups, int subscribers, int credentials, long version);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stored registry ({Store}, version {Version}) is invalid and was not applied: {Error}")]
    private static partial void LogInvalidStored(ILogger logger, string store, long version, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The registry was empty: created the demo group {GroupId} (Harvest, the metadata service read-only and the binary parser @json on) and the demo subscriber {Imsi} at {Address}, so messages from this machine are accepted. Delete them through the admin API when you have your own; start with --no-demo to begin empty.")]
    private static partial void LogDemoCreated(ILogger logger, string groupId, string imsi, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking the {Store} registry for changes failed; serving the last snapshot")]
    private static partial void LogPollFailed(ILogger logger, string store, Exception exception);
}
