using Gateway.Beam;

namespace Gateway.Delivery;

/// <summary>
/// What came back: the upstream's status and body (at most <see cref="MessageHttpSender.MaxReplyBytes"/>, copied at
/// its real length), or with <see cref="Failure"/> why it could not be reached and the status to answer instead.
/// </summary>
internal readonly record struct HttpSendResult(int Status, byte[] Body, UpstreamFailure? Failure)
{
    /// <summary>The tag for a result counter: <c>ok</c>, <c>upstream_error_status</c> or the failure's own.</summary>
    public string Outcome => Failure?.Metric ?? (Status < 400 ? DeliveryMetrics.Ok : DeliveryMetrics.UpstreamErrorStatus);
}
