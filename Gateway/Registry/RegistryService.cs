using System.Text.Json.Nodes;
using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;

namespace Gateway.Registry;

/// <summary>
/// Keeps the resolver's snapshot equal to the store: loads it at start (after writing the seed file's elements),
/// applies admin changes after validating what they change against the rest (<see cref="RegistryEdit"/>: the
/// changed elements and what refers to them, not the whole registry), and polls the store's version so that
/// changes made by another instance apply here within <see cref="RegistryOptions.PollInterval"/>, reading only
/// the elements changed since the version this instance has.
/// </summary>
internal sealed partial class RegistryService : BackgroundService
{
    private readonly IRegistryStore _store;
    private readonly IdentityResolver _resolver;
    private readonly RegistryDocument? _seed;
    private readonly RegistryOptions _options;
    private readonly ILogger<RegistryService> _logger;
    /// <summary>The most changes <see cref="ApplyCoalescedAsync"/> writes in one transaction.</summary>
    private const int MaxCoalesced = 1000;

    /// <summary>The most binding changes <see cref="WriteBindingCoalescedAsync"/> writes in one transaction.</summary>
    private const int MaxBindingsCoalesced = 1000;

    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly SemaphoreSlim _bindingLock = new(1, 1);
    private readonly System.Collections.Concurrent.ConcurrentQueue<(BindingChange Change, Action Publish, TaskCompletionSource Done)> _bindingQueue = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<QueuedRegistration> _coalesced = new();
    private readonly CoalescingWriter _registrationWriter;
    private readonly CoalescingWriter _bindingWriter;
    private RegistryState _state = RegistryState.Empty;
    private long _bindingsVersion = -1;
    private volatile string? _storeProblem;

    public RegistryService(IRegistryStore store, IdentityResolver resolver, IOptions<RegistryOptions> options, ILogger<RegistryService> logger, RegistryDocument? seed = null)
    {
        _store = store;
        _resolver = resolver;
        _options = options.Value;
        _logger = logger;
        _seed = seed;
        _registrationWriter = new CoalescingWriter(() => _coalesced.IsEmpty, WriteRegistrationBatchAsync);
        _bindingWriter = new CoalescingWriter(() => _bindingQueue.IsEmpty, WriteBindingBatchAsync);
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
        var loaded = await LoadAllAsync(cancellationToken);
        if (_seed is not null)
        {
            await ApplySeedAsync(_seed, cancellationToken);
        }
        else if (!loaded)
        {
            throw new RegistryLoadException("the stored registry is not valid; see the log.");
        }
        else if (_options.Demo)
        {
            await CreateDemoIfEmptyAsync(cancellationToken);
        }

        await ReloadBindingsAsync(cancellationToken);
        LogLoaded(_logger, _store.Name, Snapshot.Groups.Count, Snapshot.SubscriberCount, Snapshot.Credentials.Count, Snapshot.Version);
        await base.StartAsync(cancellationToken);
    }

    /// <summary>
    /// Store calls can block (SQLite has no real asynchronous I/O). Callers may be running on a socket's I/O thread
    /// (Gateway:Beam:InlineIoCompletions), where blocking would stall every connection that thread serves, so the
    /// store is always called from the thread pool.
    /// </summary>
    private static YieldAwaitable LeaveIoThread() => Task.Yield();

    /// <summary>
    /// Validates the registry as it would be after <paramref name="changes"/>, and only then writes and publishes it.
    /// </summary>
    public async Task<RegistryUpdateResult> ApplyAsync(IReadOnlyList<RegistryChange> changes, CancellationToken cancellationToken)
    {
        await LeaveIoThread();
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            return await ApplyLockedAsync(changes, cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// A change that many callers make at once and independently (RADIUS auto-registration in an attach storm):
    /// one writer task at a time takes whatever is queued (up to <see cref="MaxCoalesced"/>) and writes it in one
    /// validation and one store transaction, so a storm costs a transaction per batch, not per SIM. If the batch is
    /// refused, its changes are applied in halves, so each caller gets its own answer and one bad change does not
    /// refuse the others. The callers only wait: they do not each pass through the write lock (a convoy of hundreds
    /// of wake-ups between two batches, in which nothing was written).
    /// </summary>
    /// <remarks>
    /// <paramref name="cancellationToken"/> ends this caller's wait; its change, once queued, is written with the
    /// others (a batch is not one caller's to cancel).
    /// </remarks>
    public Task<RegistryUpdateResult> ApplyCoalescedAsync(RegistryChange change, CancellationToken cancellationToken) =>
        Coalesced(new QueuedRegistration(change, null, null), cancellationToken);

    /// <summary>
    /// As <see cref="ApplyCoalescedAsync"/>, and binds <paramref name="address"/> to the new SIM in the same store
    /// transaction (RADIUS auto-registration): one durable write per batch, not one for the SIMs and another for their
    /// sessions, and a crash keeps a SIM and its binding together or neither. Completes once both are written and in
    /// force here; a refused registration binds nothing.
    /// </summary>
    public Task<RegistryUpdateResult> RegisterAndBindAsync(RegistryChange change, IPAddress address, AddressBinding binding, CancellationToken cancellationToken) =>
        Coalesced(new QueuedRegistration(change, new BindingChange(address.ToString(), binding, null), () => _resolver.Bind(address, binding)), cancellationToken);

    private Task<RegistryUpdateResult> Coalesced(QueuedRegistration item, CancellationToken cancellationToken)
    {
        _coalesced.Enqueue(item);
        _registrationWriter.Wake();
        return item.Done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>One batch of queued registrations under the write lock (the lock lets admin writes and polls in between).</summary>
    private async Task WriteRegistrationBatchAsync()
    {
        await _writeLock.WaitAsync();
        try
        {
            await ApplyQueuedAsync(CancellationToken.None);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ApplyQueuedAsync(CancellationToken cancellationToken)
    {
        var batch = new List<QueuedRegistration>();
        while (batch.Count < MaxCoalesced && _coalesced.TryDequeue(out var item))
        {
            batch.Add(item);
        }

        try
        {
            await ApplyBatchAsync(batch, cancellationToken);
        }
        catch (Exception e)
        {
            foreach (var item in batch)
            {
                item.Done.TrySetException(e);
            }
        }
    }

    /// <summary>
    /// The batch in one transaction; if refused, each half on its own, and so on down to the refused changes:
    /// one bad registration among a thousand costs about twenty attempts, not a thousand transactions.
    /// </summary>
    private async Task ApplyBatchAsync(List<QueuedRegistration> batch, CancellationToken cancellationToken)
    {
        var result = await ApplyLockedAsync([.. batch.Select(static b => b.Change)], [.. batch.Where(static b => b.Binding is not null)], cancellationToken);
        if (result.Succeeded || batch.Count == 1)
        {
            foreach (var item in batch)
            {
                item.Done.TrySetResult(result);
            }

            return;
        }

        var half = batch.Count / 2;
        await ApplyBatchAsync(batch[..half], cancellationToken);
        await ApplyBatchAsync(batch[half..], cancellationToken);
    }

    private Task<RegistryUpdateResult> ApplyLockedAsync(IReadOnlyList<RegistryChange> changes, CancellationToken cancellationToken) =>
        ApplyLockedAsync(changes, [], cancellationToken);

    /// <summary>Under the write lock: validates, writes (with the bindings, if any, in the same transaction) and publishes.</summary>
    private async Task<RegistryUpdateResult> ApplyLockedAsync(IReadOnlyList<RegistryChange> changes, IReadOnlyList<QueuedRegistration> bindings, CancellationToken cancellationToken)
    {
        // Start from the store, not memory, so a change made by another instance a moment ago is not undone.
        await CatchUpAsync(cancellationToken);
        var edit = new RegistryEdit(_state);
        edit.ApplySmall(changes.Where(static c => c.Kind != RegistryElementKind.Subscriber));
        foreach (var change in changes)
        {
            if (change.Parsed is { } checkedSubscriber)
            {
                edit.ApplyChecked(checkedSubscriber);
            }
            else if (change.Kind == RegistryElementKind.Subscriber)
            {
                edit.ApplySubscriber(change.Id, change.Document);
            }
        }

        var errors = new List<string>();
        var next = edit.Finish(errors);
        if (next is null)
        {
            return RegistryUpdateResult.Failed(errors);
        }

        if (bindings.Count == 0)
        {
            var version = await Noted(_store.WriteAsync(changes, cancellationToken));
            Publish(next, version);
            return new RegistryUpdateResult(true, version, []);
        }

        return await WriteWithBindingsAsync(changes, next, bindings, cancellationToken);
    }

    /// <summary>
    /// The registry's changes and the bindings in one transaction. The binding lock (taken after the write lock, which
    /// no one takes the other way round) keeps the poll and binding batches out until both are published here.
    /// </summary>
    private async Task<RegistryUpdateResult> WriteWithBindingsAsync(IReadOnlyList<RegistryChange> changes, RegistryState next, IReadOnlyList<QueuedRegistration> bindings, CancellationToken cancellationToken)
    {
        await _bindingLock.WaitAsync(cancellationToken);
        try
        {
            var (version, bindingsVersion) = await Noted(_store.WriteAsync(changes, [.. bindings.Select(static b => b.Binding!)], cancellationToken));
            Publish(next, version);
            foreach (var item in bindings)
            {
                item.Publish!();
            }

            NoteOwnBindingsVersion(bindingsVersion);
            return new RegistryUpdateResult(true, version, []);
        }
        finally
        {
            _bindingLock.Release();
        }
    }

    /// <summary>
    /// A seed file's elements, upserted: the file's elements win; elements added through the API and absent from
    /// the file stay. The file was validated on its own when read; here only how it fits the stored registry is
    /// checked (its SIMs' addresses against stored SIMs'), and it is written in one transaction as it is enumerated.
    /// </summary>
    private async Task ApplySeedAsync(RegistryDocument seed, CancellationToken cancellationToken)
    {
        var small = new List<RegistryChange>();
        small.AddRange(seed.Credentials.Select(static c => new RegistryChange(RegistryElementKind.Credential, c.CredentialsId, RegistryJson.Write(c, includeSecrets: true))));
        small.AddRange(seed.Groups.Select(static g => new RegistryChange(RegistryElementKind.Group, g.GroupId, RegistryJson.Write(g, includeSecrets: true))));
        var edit = new RegistryEdit(_state);
        edit.ApplySmall(small);
        foreach (var s in seed.Subscribers)
        {
            edit.ApplyParsed(s);
        }

        var errors = new List<string>();
        var next = edit.Finish(errors)
            ?? throw new RegistryLoadException("the seed file does not fit the stored registry:" + Environment.NewLine + string.Join(Environment.NewLine, errors));
        var subscribers = seed.Subscribers.Select(static s => new RegistryChange(RegistryElementKind.Subscriber, s.Imsi, RegistryJson.Write(s)));
        var version = await Noted(_store.WriteAsync(small.Concat(subscribers), cancellationToken));
        Publish(next, version);
    }

    private void Publish(RegistryState state, long version)
    {
        _state = state with { Snapshot = state.Snapshot.WithVersion(version) };
        _resolver.Publish(_state.Snapshot);
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
                    // Checked again under the binding lock: between a batch's commit and its noting the version it
                    // wrote, the store is ahead of this instance by its own write, and reading the bindings for that
                    // (before they were read by change, every one of hundreds of thousands) was a storm's growing cost.
                    await _bindingLock.WaitAsync(stoppingToken);
                    try
                    {
                        if (await _store.GetBindingsVersionAsync(stoppingToken) != Interlocked.Read(ref _bindingsVersion))
                        {
                            await CatchUpBindingsAsync(stoppingToken);
                        }
                    }
                    finally
                    {
                        _bindingLock.Release();
                    }
                }

                if (await _store.GetVersionAsync(stoppingToken) != Snapshot.Version)
                {
                    await _writeLock.WaitAsync(stoppingToken);
                    try
                    {
                        await CatchUpAsync(stoppingToken);
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
    public Task BindAddressAsync(IPAddress address, AddressBinding binding, CancellationToken cancellationToken) =>
        WriteBindingCoalescedAsync(new BindingChange(address.ToString(), binding, null), () => _resolver.Bind(address, binding), cancellationToken);

    /// <summary>Removes a binding, only while it is still <paramref name="imsi"/>'s.</summary>
    public Task UnbindAddressAsync(IPAddress address, string? imsi, CancellationToken cancellationToken) =>
        WriteBindingCoalescedAsync(new BindingChange(address.ToString(), null, imsi), () => _resolver.Unbind(address, imsi), cancellationToken);

    /// <summary>
    /// As <see cref="ApplyCoalescedAsync"/> for bindings: one writer task at a time writes every binding change queued
    /// by then in one transaction, in the order they came, and applies them here in that order. An attach storm then
    /// costs a transaction (and an fsync) per batch, not per session.
    /// </summary>
    private Task WriteBindingCoalescedAsync(BindingChange change, Action publish, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _bindingQueue.Enqueue((change, publish, done));
        _bindingWriter.Wake();
        return done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>One batch of queued binding changes under the binding lock (which the poll's reload takes too).</summary>
    private async Task WriteBindingBatchAsync()
    {
        await _bindingLock.WaitAsync();
        try
        {
            await WriteQueuedBindingsAsync(CancellationToken.None);
        }
        finally
        {
            _bindingLock.Release();
        }
    }

    private async Task WriteQueuedBindingsAsync(CancellationToken cancellationToken)
    {
        var batch = new List<(BindingChange Change, Action Publish, TaskCompletionSource Done)>();
        while (batch.Count < MaxBindingsCoalesced && _bindingQueue.TryDequeue(out var item))
        {
            batch.Add(item);
        }

        try
        {
            var version = await Noted(_store.WriteBindingsAsync([.. batch.Select(static b => b.Change)], cancellationToken));
            foreach (var item in batch)
            {
                item.Publish();
            }

            NoteOwnBindingsVersion(version);
            foreach (var item in batch)
            {
                item.Done.TrySetResult();
            }
        }
        catch (Exception e)
        {
            foreach (var item in batch)
            {
                item.Done.TrySetException(e);
            }
        }
    }

    /// <summary>
    /// When no other instance wrote in between, this instance already holds the version its own write made: the next
    /// poll must not read the bindings again because of it (at a storm's rate that was a read a second).
    /// </summary>
    private void NoteOwnBindingsVersion(long version) => Interlocked.CompareExchange(ref _bindingsVersion, version, version - 1);

    /// <summary>Removes every binding a NAS made (Accounting-On/Off), here by reading back just the addresses it had.</summary>
    public async Task UnbindNasAsync(string nas, CancellationToken cancellationToken)
    {
        await LeaveIoThread();
        await _bindingLock.WaitAsync(cancellationToken);
        try
        {
            await Noted(_store.DeleteBindingsOfNasAsync(nas, cancellationToken));
            await CatchUpBindingsAsync(cancellationToken);
        }
        finally
        {
            _bindingLock.Release();
        }
    }

    /// <summary>
    /// The demo group and subscriber, when the registry is empty and they were never made in this data directory (a
    /// marker remembers it, so deleting them is final). Said once, in the log.
    /// </summary>
    private async Task CreateDemoIfEmptyAsync(CancellationToken cancellationToken)
    {
        var marker = Path.Combine(_options.DataDirectory, DemoRegistry.MarkerFile);
        var snapshot = Snapshot;
        if (snapshot.Groups.Count + snapshot.SubscriberCount + snapshot.Credentials.Count != 0 || File.Exists(marker))
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
    private async Task<T> Noted<T>(Task<T> write)
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

    /// <summary>Every binding the store holds (at start).</summary>
    private async Task ReloadBindingsAsync(CancellationToken cancellationToken)
    {
        var bindings = new List<(string Address, AddressBinding Binding)>();
        var version = await _store.ReadBindingsAsync(-1, (address, binding) =>
        {
            // A row that does not read as a binding binds nothing (as a change, it unbinds).
            if (binding is not null)
            {
                bindings.Add((address, binding));
            }
        }, cancellationToken);
        _resolver.ReplaceBindings(bindings);
        Interlocked.Exchange(ref _bindingsVersion, version);
    }

    /// <summary>
    /// The addresses other instances (or a NAS's restart) changed since this instance's bindings version, read and
    /// applied one by one; the rest stay as they are. Called under the binding lock. Reloading every binding instead
    /// cost a read of the whole table (300,000 rows after a storm) for each change another instance made.
    /// </summary>
    private async Task CatchUpBindingsAsync(CancellationToken cancellationToken)
    {
        var version = await _store.ReadBindingsAsync(Interlocked.Read(ref _bindingsVersion), _resolver.ApplyBinding, cancellationToken);
        Interlocked.Exchange(ref _bindingsVersion, version);
    }

    /// <returns>False when the stored registry does not validate; the state stays empty.</returns>
    private async Task<bool> LoadAllAsync(CancellationToken cancellationToken)
    {
        var edit = new RegistryEdit(RegistryState.Empty, wholeDocument: true);
        var small = new List<RegistryChange>();
        var smallApplied = false;
        var rows = 0;

        // Past a few thousand rows, indexing moves to a second thread while this one goes on reading (see
        // SubscriberLoadPipeline); the rows before were applied here, in the same order.
        SubscriberLoadPipeline? pipeline = null;
        try
        {
            var version = await _store.ReadAllAsync(
                (kind, id, doc) => small.Add(new RegistryChange(kind, id, doc is null ? null : JsonNode.Parse(doc) as JsonObject)),
                edit.ExpectSubscribers,
                (id, doc) =>
                {
                    if (!smallApplied)
                    {
                        edit.ApplySmall(small);
                        smallApplied = true;
                    }

                    var row = edit.ReadRow(id, doc);
                    if (pipeline is null && SubscriberLoadPipeline.Helps(++rows))
                    {
                        pipeline = new SubscriberLoadPipeline(edit.ApplyRow);
                    }

                    if (pipeline is null)
                    {
                        edit.ApplyRow(row);
                    }
                    else
                    {
                        pipeline.Add(row);
                    }
                },
                cancellationToken);
            pipeline?.Complete();
            if (!smallApplied)
            {
                edit.ApplySmall(small);
            }

            return Validated(edit, version);
        }
        finally
        {
            pipeline?.Dispose();
        }
    }

    /// <summary>
    /// Applies what other writers changed since this instance's version: only those elements are read and checked.
    /// </summary>
    /// <returns>False when the changed registry does not validate; the previous snapshot stays in force.</returns>
    private async Task<bool> CatchUpAsync(CancellationToken cancellationToken)
    {
        var from = Snapshot.Version;
        if (await _store.GetVersionAsync(cancellationToken) == from)
        {
            return true;
        }

        var edit = new RegistryEdit(_state);
        var version = await ReadIntoAsync(edit, from, cancellationToken);
        return Validated(edit, version);
    }

    /// <summary>Streams the store into an edit: the few credential sets and groups first, then subscriber by subscriber.</summary>
    private async Task<long> ReadIntoAsync(RegistryEdit edit, long since, CancellationToken cancellationToken)
    {
        var small = new List<RegistryChange>();
        var smallApplied = false;
        var version = await _store.ReadAsync(since, null, (kind, id, doc) =>
        {
            if (kind != RegistryElementKind.Subscriber)
            {
                small.Add(new RegistryChange(kind, id, doc is null ? null : JsonNode.Parse(doc) as JsonObject));
                return;
            }

            if (!smallApplied)
            {
                edit.ApplySmall(small);
                smallApplied = true;
            }

            edit.ApplySubscriberText(id, doc);
        }, cancellationToken);
        if (!smallApplied)
        {
            edit.ApplySmall(small);
        }

        return version;
    }

    private bool Validated(RegistryEdit edit, long version)
    {
        var errors = new List<string>();
        if (edit.Finish(errors) is not { } next)
        {
            foreach (var error in errors)
            {
                LogInvalidStored(_logger, _store.Name, version, error);
            }

            return false;
        }

        Publish(next, version);
        return true;
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
