using Gateway.Pipeline;
using Gateway.Registry;

namespace Gateway.Tests.Pipeline;

/// <summary>A device service for pipeline tests: accepts what it is told to, answers with a given delivery, and records what it saw.</summary>
internal sealed class TestService(string name, Func<DeviceIdentity, SourceProtocol, bool> accepts, Func<DeviceMessage, CancellationToken, ValueTask<ServiceResult>>? deliver = null)
    : IDeviceService
{
    private int _deliveries;

    public string Name => name;

    public int Deliveries => Volatile.Read(ref _deliveries);

    public List<SourceProtocol> AskedFor { get; } = [];

    public bool Accepts(DeviceIdentity device, SourceProtocol protocol)
    {
        lock (AskedFor)
        {
            AskedFor.Add(protocol);
        }

        return accepts(device, protocol);
    }

    public ValueTask<ServiceResult> DeliverAsync(DeviceMessage message, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _deliveries);
        return deliver is null ? ValueTask.FromResult(Ok(name)) : deliver(message, cancellationToken);
    }

    public static ServiceResult Ok(string service, int status = 200, string body = "ok") => new()
    {
        Service = service,
        Status = status,
        Body = System.Text.Encoding.UTF8.GetBytes(body),
        NativeText = System.Text.Encoding.UTF8.GetBytes($"{status} {service}"),
    };
}
