using System.Collections.Concurrent;
using System.Text;
using Gateway.Pipeline;
using Gateway.Registry;

namespace Gateway.Tests.Devices;

/// <summary>
/// A device service of the tests' own, registered into the real host through <c>GatewayProcess.ConfigureServices</c>
/// until Funnel is merged: it takes the messages of the groups it is told, over the protocols it is told, records each,
/// and answers as Funnel would (204), or with a failure when the payload contains <c>fail</c> (<c>fail-once</c>: the first time only).
/// </summary>
internal sealed class RecordingDeviceService(string name, Func<DeviceIdentity, SourceProtocol, bool> accepts) : IDeviceService
{
    public const string FailMarker = "fail";

    public string Name => name;

    public ConcurrentQueue<DeviceMessage> Messages { get; } = new();

    /// <summary>Messages whose delivery failed (the payload contained <see cref="FailMarker"/>), in order.</summary>
    public ConcurrentQueue<DeviceMessage> Failed { get; } = new();

    /// <summary>Payloads containing this fail once each: the first delivery fails, a retry succeeds.</summary>
    public const string FailOnceMarker = "fail-once";

    private readonly ConcurrentDictionary<string, bool> _failedOnce = new(StringComparer.Ordinal);

    public bool Accepts(DeviceIdentity device, SourceProtocol protocol) => accepts(device, protocol);

    public ValueTask<ServiceResult> DeliverAsync(DeviceMessage message, CancellationToken cancellationToken)
    {
        var text = Encoding.UTF8.GetString(message.Payload.Span);
        var fails = text.Contains(FailOnceMarker, StringComparison.Ordinal)
            ? _failedOnce.TryAdd(text, true)
            : text.Contains(FailMarker, StringComparison.Ordinal);
        if (fails)
        {
            Failed.Enqueue(Kept(message));
            const string reason = "destination refused the message";
            return ValueTask.FromResult(new ServiceResult
            {
                Service = name,
                Status = 400,
                Body = Encoding.UTF8.GetBytes("{\"message\":\"" + reason + "\"}"),
                Failure = reason,
                NativeText = Encoding.UTF8.GetBytes("400 " + reason),
                NativeContentType = "application/json",
            });
        }

        Messages.Enqueue(Kept(message));
        return ValueTask.FromResult(new ServiceResult { Service = name, Status = 204, NativeText = "200"u8.ToArray() });
    }

    /// <summary>
    /// The message as kept past delivery: its payload copied, as every service must, since it may lie in the entry
    /// point's read buffer (the MQTT endpoint's) or a pooled one, both reused once delivery returns.
    /// </summary>
    private static DeviceMessage Kept(DeviceMessage message) => new()
    {
        Device = message.Device,
        Protocol = message.Protocol,
        EntryPoint = message.EntryPoint,
        Source = message.Source,
        Payload = message.Payload.ToArray(),
        Json = message.Json?.ToArray(),
        ReceivedAtMs = message.ReceivedAtMs,
        ContentType = message.ContentType,
        DeviceTimestampMs = message.DeviceTimestampMs,
        Topic = message.Topic,
        Qos = message.Qos,
        OnlyService = message.OnlyService,
    };

    /// <summary>The delivered messages whose payload contains <paramref name="marker"/>, waiting (bounded) for at least <paramref name="count"/>.</summary>
    public async Task<DeviceMessage[]> WaitForAsync(string marker, int count = 1)
    {
        DeviceMessage[] found = [];
        for (var i = 0; i < 200; i++)
        {
            found = [.. Messages.Where(m => Encoding.UTF8.GetString(m.Payload.Span).Contains(marker, StringComparison.Ordinal))];
            if (found.Length >= count)
            {
                break;
            }

            await Task.Delay(25, TestContext.Current.CancellationToken);
        }

        return found;
    }

    /// <summary>Whether any delivered message's payload contains <paramref name="marker"/> (no waiting).</summary>
    public bool Has(string marker) => Messages.Any(m => Encoding.UTF8.GetString(m.Payload.Span).Contains(marker, StringComparison.Ordinal));
}
