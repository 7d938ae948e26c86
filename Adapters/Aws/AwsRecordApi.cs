namespace Gateway.Adapters.Aws;

/// <summary>
/// What differs between Kinesis Data Streams' <c>PutRecords</c> and Firehose's <c>PutRecordBatch</c>, two JSON 1.1
/// calls of the same shape (a name, an array of base64 records in; an array of per-record results out, in order).
/// </summary>
internal sealed class AwsRecordApi
{
    /// <summary>Kinesis <c>PutRecords</c>: 500 records, 5 MiB a call and 1 MiB a record, each counting data and partition key.</summary>
    public static readonly AwsRecordApi Kinesis = new()
    {
        Service = AwsService.Kinesis,
        Target = "Kinesis_20131202.PutRecords",
        NameField = "StreamName",
        ResultsField = "Records",
        PartitionKeys = true,
        MaxRecords = 500,
        MaxRequestBytes = 5 * 1024 * 1024,
        MaxRecordBytes = 1024 * 1024,
    };

    /// <summary>Firehose <c>PutRecordBatch</c>: 500 records, 4 MiB a call, 1,000 KiB a record (before base64).</summary>
    public static readonly AwsRecordApi Firehose = new()
    {
        Service = AwsService.Firehose,
        Target = "Firehose_20150804.PutRecordBatch",
        NameField = "DeliveryStreamName",
        ResultsField = "RequestResponses",
        PartitionKeys = false,
        MaxRecords = 500,
        MaxRequestBytes = 4 * 1024 * 1024,
        MaxRecordBytes = 1000 * 1024,
    };

    /// <summary>The longest partition key Kinesis takes; room for it is kept in every record.</summary>
    public const int MaxPartitionKeyLength = 256;

    public required AwsService Service { get; init; }

    /// <summary>The <c>X-Amz-Target</c> header.</summary>
    public required string Target { get; init; }

    public required string NameField { get; init; }

    public required string ResultsField { get; init; }

    public required bool PartitionKeys { get; init; }

    public required int MaxRecords { get; init; }

    public required int MaxRequestBytes { get; init; }

    public required int MaxRecordBytes { get; init; }
}
