using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Azure.Amqp;
using Microsoft.Azure.Amqp.Encoding;
using Microsoft.Azure.Amqp.Framing;
using Microsoft.Azure.Amqp.Sasl;
using Microsoft.Azure.Amqp.Transport;

namespace EventHubsPeer;

/// <summary>
/// A local AMQP 1.0 peer that answers an Event Hubs producer the way the service does, built on Microsoft's own AMQP
/// stack: SASL <c>MSSBCBS</c>; the <c>$cbs</c> node's put-token, which must carry a valid shared access signature for
/// the configured key and the hub; the <c>$management</c> node's READ of a hub (partition IDs); sending links to
/// <c>hub</c> and <c>hub/Partitions/N</c>, whose events (batched or not) it records. It can refuse the way the service
/// does: an unknown hub (<c>amqp:not-found</c>), a bad key (put-token 401), server busy (<c>com.microsoft:server-busy</c>),
/// a slow accept, and going down and coming back on the same port. Loopback only.
/// </summary>
public sealed class LocalEventHubs : IRuntimeProvider, IDisposable
{
    private const string CbsNode = "$cbs", ManagementNode = "$management";
    private const string SasTokenType = "servicebus.windows.net:sastoken";
    private const uint BatchFormat = 0x80013700;

    private readonly ConcurrentDictionary<(AmqpSession, string), SendingAmqpLink> _replyLinks = new();
    private readonly ConcurrentDictionary<AmqpConnection, ConcurrentDictionary<string, byte>> _granted = new();
    private readonly ConcurrentDictionary<AmqpConnection, byte> _connections = new();
    private readonly ConcurrentQueue<ReceivedEvent> _events = new();
    private readonly Lock _gate = new();
    private AmqpConnectionListener? _listener;
    private volatile bool _up;
    private int _busy;
    private long _accepted, _transfers, _tokensAccepted, _tokensRefused;

    /// <summary>The shared access policy's name.</summary>
    public required string KeyName { get; init; }

    /// <summary>The shared access policy's key.</summary>
    public required string Key { get; init; }

    /// <summary>The hubs that exist; a link or READ for any other is refused as not found.</summary>
    public required IReadOnlySet<string> Hubs { get; init; }

    /// <summary>Partitions per hub.</summary>
    public int PartitionCount { get; init; } = 4;

    /// <summary>The largest message the sending links take (the service's is 1 MiB on the standard tier).</summary>
    public ulong MaxMessageSize { get; init; } = 1024 * 1024;

    /// <summary>False to count events without keeping them (benchmarks).</summary>
    public bool Record { get; init; } = true;

    /// <summary>How long each transfer waits before its outcome (a slow service).</summary>
    public TimeSpan AcceptDelay { get; set; }

    /// <summary>The port, once started.</summary>
    public int Port { get; private set; }

    /// <summary>What the peer would put in a connection string's <c>Endpoint</c>.</summary>
    public string Endpoint => $"sb://127.0.0.1:{Port}";

    /// <summary>The events accepted so far, in arrival order.</summary>
    public IReadOnlyCollection<ReceivedEvent> Events => _events;

    /// <summary>Events accepted so far (also when not recorded).</summary>
    public long AcceptedCount => Interlocked.Read(ref _accepted);

    /// <summary>Transfers (batches or single events) received, including refused ones.</summary>
    public long TransferCount => Interlocked.Read(ref _transfers);

    /// <summary>Connections open now.</summary>
    public int OpenConnections => _connections.Count;

    /// <summary>Put-token requests granted.</summary>
    public long TokensAccepted => Interlocked.Read(ref _tokensAccepted);

    /// <summary>Put-token requests refused (bad key, wrong entity, expired).</summary>
    public long TokensRefused => Interlocked.Read(ref _tokensRefused);

    /// <summary>The reasons of refused put-tokens, for tests.</summary>
    public ConcurrentQueue<string> TokenProblems { get; } = new();

    /// <summary>Refuses the next <paramref name="transfers"/> transfers with <c>com.microsoft:server-busy</c>.</summary>
    public void Busy(int transfers) => Volatile.Write(ref _busy, transfers);

    /// <summary>Starts listening on 127.0.0.1 (a free port when 0, else the given one, e.g. the previous one after <see cref="Stop"/>).</summary>
    public void Start(int port = 0)
    {
        lock (_gate)
        {
            if (_listener is not null)
                return;
            if (port == 0)
                port = FreePort();
            var settings = new AmqpSettings { RuntimeProvider = this };
            var sasl = new SaslTransportProvider();
            sasl.Versions.Add(new AmqpVersion(1, 0, 0));
            // The SDK authenticates with CBS after an anonymous SASL exchange named MSSBCBS, as the service expects.
            sasl.AddHandler(new SaslAnonymousHandler("MSSBCBS"));
            sasl.AddHandler(new SaslAnonymousHandler());
            settings.TransportProviders.Add(sasl);
            var amqp = new AmqpTransportProvider();
            amqp.Versions.Add(new AmqpVersion(1, 0, 0));
            settings.TransportProviders.Add(amqp);
            var connection = new AmqpConnectionSettings { ContainerId = "local-eventhubs", MaxFrameSize = 64 * 1024 };
            var listener = new AmqpConnectionListener([$"amqp://127.0.0.1:{port}"], settings, connection);
            listener.Open();
            _listener = listener;
            Port = port;
            _up = true;
        }
    }

    /// <summary>Stops listening and drops every connection (the peer is down until <see cref="Start"/> again).</summary>
    public void Stop()
    {
        AmqpConnectionListener? listener;
        lock (_gate)
        {
            listener = _listener;
            _listener = null;
            _up = false;
        }
        // Down means gone at once: abort (no close handshake during which transfers could still be taken).
        listener?.Close();
        foreach (var connection in _connections.Keys)
            connection.Abort();
        _connections.Clear();
        _granted.Clear();
        _replyLinks.Clear();
    }

    /// <inheritdoc/>
    public void Dispose() => Stop();

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    AmqpConnection IConnectionFactory.CreateConnection(TransportBase transport, ProtocolHeader protocolHeader, bool isInitiator,
        AmqpSettings amqpSettings, AmqpConnectionSettings connectionSettings)
    {
        var connection = new AmqpConnection(transport, protocolHeader, false, amqpSettings, connectionSettings);
        _connections.TryAdd(connection, 0);
        connection.Closed += (_, _) =>
        {
            _granted.TryRemove(connection, out _);
            _connections.TryRemove(connection, out _);
        };
        return connection;
    }

    AmqpSession ISessionFactory.CreateSession(AmqpConnection connection, AmqpSessionSettings settings) =>
        throw new InvalidOperationException("the peer does not begin sessions");

    AmqpLink ILinkFactory.CreateLink(AmqpSession session, AmqpLinkSettings settings)
    {
        if (settings.Role == true)
        {
            // The client sends: give it credit and the service's message size limit.
            settings.TotalLinkCredit = 1000;
            settings.AutoSendFlow = true;
            settings.MaxMessageSize = MaxMessageSize;
            return new ReceivingAmqpLink(session, settings);
        }
        return new SendingAmqpLink(session, settings);
    }

    IAsyncResult ILinkFactory.BeginOpenLink(AmqpLink link, TimeSpan timeout, AsyncCallback callback, object state)
    {
        var address = (link.IsReceiver ? ((Target)link.Settings.Target).Address : ((Source)link.Settings.Source).Address)?.ToString()
            ?? throw new AmqpException(AmqpErrorCode.InvalidField, "no address");
        var node = SasTokenCheck.EntityOf(address);
        if (node is CbsNode or ManagementNode)
        {
            if (link.IsReceiver)
                ((ReceivingAmqpLink)link).RegisterMessageListener(m => OnRequest(node, (ReceivingAmqpLink)link, m));
            else
                _replyLinks[(link.Session, node)] = (SendingAmqpLink)link;
        }
        else
        {
            if (!Hubs.Contains(node))
                throw new AmqpException(AmqpErrorCode.NotFound, $"The messaging entity '{Endpoint}/{node}' could not be found. status-code: 404");
            if (!_granted.TryGetValue(link.Session.Connection, out var hubs) || !hubs.ContainsKey(node.ToUpperInvariant()))
                throw new AmqpException(AmqpErrorCode.UnauthorizedAccess, $"Unauthorized access to '{node}': no valid token was put for it. status-code: 401");
            if (!link.IsReceiver)
                throw new AmqpException(AmqpErrorCode.NotAllowed, "the peer does not serve consumers");
            var partition = PartitionOf(address);
            ((ReceivingAmqpLink)link).RegisterMessageListener(m => OnTransfer(node, partition, (ReceivingAmqpLink)link, m));
        }
        return new Done(callback, state);
    }

    void ILinkFactory.EndOpenLink(IAsyncResult result)
    {
    }

    private static string? PartitionOf(string address)
    {
        var i = address.IndexOf("/Partitions/", StringComparison.OrdinalIgnoreCase);
        return i < 0 ? null : address[(i + "/Partitions/".Length)..];
    }

    private void OnRequest(string node, ReceivingAmqpLink link, AmqpMessage request)
    {
        if (!_up)
            return;
        link.AcceptMessage(request, false);
        var reply = node == CbsNode ? PutToken(link.Session.Connection, request) : Read(request);
        reply.Properties.CorrelationId = request.Properties.MessageId;
        if (_replyLinks.TryGetValue((link.Session, node), out var replyLink))
            replyLink.SendMessageNoWait(reply, new ArraySegment<byte>(Guid.NewGuid().ToByteArray()), AmqpConstants.NullBinary);
        request.Dispose();
    }

    private AmqpMessage PutToken(AmqpConnection connection, AmqpMessage request)
    {
        var map = request.ApplicationProperties.Map;
        var operation = map["operation"] as string;
        var type = map["type"] as string;
        var audience = map["name"] as string ?? "";
        var token = request.ValueBody?.Value as string ?? "";
        var entity = SasTokenCheck.EntityOf(audience);
        string? problem = operation != "put-token" ? "not a put-token"
            : type != SasTokenType ? "not a SAS token"
            : SasTokenCheck.Problem(token, KeyName, Key, entity, DateTimeOffset.UtcNow);
        if (problem is not null)
        {
            Interlocked.Increment(ref _tokensRefused);
            TokenProblems.Enqueue(problem);
            return Status(401, "InvalidSignature: " + problem);
        }
        Interlocked.Increment(ref _tokensAccepted);
        _granted.GetOrAdd(connection, _ => new()).TryAdd(entity.ToUpperInvariant(), 0);
        return Status(202, "Accepted");
    }

    private AmqpMessage Read(AmqpMessage request)
    {
        var map = request.ApplicationProperties.Map;
        var name = map["name"] as string ?? "";
        var token = map["security_token"] as string ?? "";
        if (map["operation"] as string != "READ")
            return Status(400, "unknown operation");
        if (SasTokenCheck.Problem(token, KeyName, Key, name, DateTimeOffset.UtcNow) is { } problem)
            return Status(401, problem);
        if (!Hubs.Contains(name))
            return Status(404, $"The messaging entity '{name}' could not be found.");
        var ids = Enumerable.Range(0, PartitionCount).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var body = new AmqpMap
        {
            [new MapKey("name")] = name,
            [new MapKey("created_at")] = DateTime.UtcNow,
            [new MapKey("partition_count")] = PartitionCount,
            [new MapKey("partition_ids")] = ids,
        };
        var reply = AmqpMessage.Create(new AmqpValue { Value = body });
        reply.ApplicationProperties.Map["status-code"] = 200;
        reply.ApplicationProperties.Map["status-description"] = "OK";
        return reply;
    }

    private static AmqpMessage Status(int code, string description)
    {
        var reply = AmqpMessage.Create();
        reply.ApplicationProperties.Map["status-code"] = code;
        reply.ApplicationProperties.Map["status-description"] = description;
        return reply;
    }

    private async void OnTransfer(string hub, string? partition, ReceivingAmqpLink link, AmqpMessage message)
    {
        try
        {
            Interlocked.Increment(ref _transfers);
            var delay = AcceptDelay;
            if (delay > TimeSpan.Zero)
                await Task.Delay(delay);
            if (!_up)
                return; // went down meanwhile: no outcome, as from a crashed service
            if (TakeBusy())
            {
                var busy = new Rejected { Error = new Error { Condition = "com.microsoft:server-busy", Description = "The request was terminated because the namespace is being throttled. status-code: 503" } };
                link.DisposeMessage(message, busy, true, false);
                return;
            }
            var batchKey = PartitionKeyOf(message);
            if (message.MessageFormat == BatchFormat)
            {
                foreach (var data in message.DataBody)
                {
                    var segment = (ArraySegment<byte>)data.Value;
                    using var inner = AmqpMessage.CreateAmqpStreamMessage(new BufferListStream([segment]));
                    Accept(hub, partition, batchKey, inner);
                }
            }
            else
            {
                Accept(hub, partition, batchKey, message);
            }
            link.AcceptMessage(message, false);
        }
        catch (Exception e) when (e is AmqpException or InvalidOperationException or ObjectDisposedException)
        {
            // The link or connection closed while the transfer waited (the peer went down): nothing to answer.
        }
        finally
        {
            message.Dispose();
        }
    }

    private bool TakeBusy()
    {
        while (true)
        {
            var left = Volatile.Read(ref _busy);
            if (left <= 0)
                return false;
            if (Interlocked.CompareExchange(ref _busy, left - 1, left) == left)
                return true;
        }
    }

    private void Accept(string hub, string? partition, string? batchKey, AmqpMessage message)
    {
        Interlocked.Increment(ref _accepted);
        if (!Record)
            return;
        var body = new MemoryStream();
        foreach (var data in message.DataBody)
        {
            var segment = (ArraySegment<byte>)data.Value;
            body.Write(segment.Array!, segment.Offset, segment.Count);
        }
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (message.Sections.HasFlag(SectionFlag.ApplicationProperties))
        {
            foreach (var (key, value) in message.ApplicationProperties.Map)
                properties[key.Key.ToString()!] = value;
        }
        _events.Enqueue(new ReceivedEvent
        {
            Hub = hub,
            PartitionId = partition,
            PartitionKey = PartitionKeyOf(message) ?? batchKey,
            MessageId = message.Sections.HasFlag(SectionFlag.Properties) ? message.Properties.MessageId?.ToString() : null,
            ContentType = message.Sections.HasFlag(SectionFlag.Properties) ? message.Properties.ContentType.Value : null,
            Properties = properties,
            Body = body.ToArray(),
        });
    }

    private static string? PartitionKeyOf(AmqpMessage message)
    {
        if (!message.Sections.HasFlag(SectionFlag.MessageAnnotations))
            return null;
        foreach (var (key, value) in message.MessageAnnotations.Map)
        {
            if (key.Key.ToString() == "x-opt-partition-key")
                return value?.ToString();
        }
        return null;
    }

    /// <summary>A link open that completed at once.</summary>
    private sealed class Done : IAsyncResult
    {
        public Done(AsyncCallback callback, object state)
        {
            AsyncState = state;
            callback(this);
        }

        public object AsyncState { get; }

        public WaitHandle AsyncWaitHandle => throw new NotSupportedException();

        public bool CompletedSynchronously => true;

        public bool IsCompleted => true;
    }
}
