namespace Gateway.Adapters.Aws;

/// <summary>An AWS service a Funnel destination writes to: its name in SORACOM's configuration, its host label and its SigV4 name.</summary>
internal sealed class AwsService
{
    public static readonly AwsService Kinesis = new("kinesis", "kinesis", "kinesis", "https://kinesis.<region>.amazonaws.com/<stream name>");
    public static readonly AwsService Firehose = new("firehose", "firehose", "firehose", "https://firehose.<region>.amazonaws.com/<delivery stream name>");
    public static readonly AwsService Iot = new("aws-iot", "iot", "iotdata", "https://<id>-ats.iot.<region>.amazonaws.com/<topic>");

    private AwsService(string name, string hostLabel, string signingName, string example)
    {
        Name = name;
        HostLabel = hostLabel;
        SigningName = signingName;
        Example = example;
    }

    /// <summary>SORACOM's <c>service</c>: <c>kinesis</c>, <c>firehose</c>, <c>aws-iot</c>; the prefix of every reason.</summary>
    public string Name { get; }

    /// <summary>The label before the region in the service's host name.</summary>
    public string HostLabel { get; }

    /// <summary>The SigV4 service name.</summary>
    public string SigningName { get; }

    /// <summary>The resourceUrl's form, for error messages.</summary>
    public string Example { get; }
}
