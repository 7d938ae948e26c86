using System.Net.Sockets;
using Azure.Messaging.EventHubs;

namespace Gateway.Adapters.EventHubs;

/// <summary>
/// Maps what the Event Hubs client throws to delivery results. Reasons are fixed texts plus the failure reason's
/// name: the service's own descriptions go to the debug log only, and nothing here can hold the shared access key.
/// </summary>
internal static class EventHubsErrors
{
    public static DeliveryResult Map(Exception exception, string hub) => exception switch
    {
        EventHubsException e => e.Reason switch
        {
            EventHubsException.FailureReason.ServiceBusy => Transient(503, "the namespace is busy (throttled)", e.Reason),
            EventHubsException.FailureReason.ServiceTimeout => Transient(504, "no answer from the service in time", e.Reason),
            EventHubsException.FailureReason.ServiceCommunicationProblem => Transient(502, "the service is unreachable or the connection failed", e.Reason),
            EventHubsException.FailureReason.QuotaExceeded => Transient(503, "a namespace quota is exceeded", e.Reason),
            EventHubsException.FailureReason.ClientClosed => Transient(503, "the client was closed before delivery", e.Reason),
            EventHubsException.FailureReason.ResourceNotFound => DeliveryResult.Permanent(404, $"eventhubs: event hub {hub} not found ({e.Reason})"),
            EventHubsException.FailureReason.MessageSizeExceeded => DeliveryResult.Permanent(413, $"eventhubs: the event is larger than the service accepts ({e.Reason})"),
            _ when e.IsTransient => Transient(502, "the service returned an unexpected error", e.Reason),
            _ => DeliveryResult.Permanent(502, $"eventhubs: the service refused the event ({e.Reason})"),
        },
        UnauthorizedAccessException => DeliveryResult.Permanent(401, "eventhubs: the namespace refused the credentials (policyName or key of the azure-credentials set, or the policy lacks Send)"),
        TimeoutException => DeliveryResult.Transient(504, "eventhubs: no answer from the service in time (Timeout)"),
        SocketException or IOException => DeliveryResult.Transient(503, $"eventhubs: the service is unreachable ({exception.GetType().Name})"),
        ArgumentException => DeliveryResult.Permanent(400, $"eventhubs: the service refused the event as invalid ({exception.GetType().Name})"),
        _ => DeliveryResult.Transient(502, $"eventhubs: unexpected failure ({exception.GetType().Name})"),
    };

    private static DeliveryResult Transient(int status, string text, EventHubsException.FailureReason reason) =>
        DeliveryResult.Transient(status, $"eventhubs: {text} ({reason})");
}
