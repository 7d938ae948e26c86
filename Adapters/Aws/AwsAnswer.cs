namespace Gateway.Adapters.Aws;

/// <summary>What one signed request came back with: AWS's status, body and error code, or the gateway's own failure to ask.</summary>
internal readonly record struct AwsAnswer(int Status, byte[] Body, string? ErrorCode, DeliveryResult? Failure)
{
    public bool IsSuccess => Failure is null && Status is >= 200 and < 300;
}
