namespace Gateway.Pipeline;

/// <summary>One <see cref="ServiceResult"/> per service the message went to, in the pipeline's service order.</summary>
internal sealed class PipelineResult(IReadOnlyList<ServiceResult> results)
{
    public static PipelineResult None { get; } = new([]);

    public IReadOnlyList<ServiceResult> Results { get; } = results;

    /// <summary>No service of the device's group takes this message (the entry point answers with its own refusal).</summary>
    public bool IsEmpty => Results.Count == 0;

    /// <summary>TCP: some service asked for the connection to be closed after this reply.</summary>
    public bool CloseConnection
    {
        get
        {
            foreach (var r in Results)
            {
                if (r.CloseConnection)
                {
                    return true;
                }
            }

            return false;
        }
    }

    public bool AllSucceeded
    {
        get
        {
            foreach (var r in Results)
            {
                if (!r.Succeeded)
                {
                    return false;
                }
            }

            return Results.Count > 0;
        }
    }
}
