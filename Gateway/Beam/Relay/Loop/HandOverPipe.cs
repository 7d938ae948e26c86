using System.Buffers;
using System.IO.Pipelines;

namespace Gateway.Beam.Relay.Loop;

/// <summary>
/// A connection handed to Kestrel after the relay has read part of it: Kestrel reads those bytes first, then the
/// socket. The bytes go through a pipe of their own, fed by a copy from Kestrel's socket reader: one more copy, on
/// the path for requests the relay does not serve.
/// </summary>
internal sealed class HandOverPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;

    public PipeWriter Output { get; } = output;

    public static IDuplexPipe Prepend(ReadOnlySpan<byte> first, IDuplexPipe transport)
    {
        var pipe = new Pipe(new PipeOptions(useSynchronizationContext: false));
        pipe.Writer.Write(first);
        _ = PumpAsync(transport.Input, pipe.Writer);
        return new HandOverPipe(pipe.Reader, transport.Output);
    }

    private static async Task PumpAsync(PipeReader from, PipeWriter to)
    {
        try
        {
            // Ends when the socket does, or when Kestrel completes its side of the pipe (the flush reports it).
            if (!(await to.FlushAsync()).IsCompleted)
            {
                await from.CopyToAsync(to);
            }

            await to.CompleteAsync();
        }
        catch (Exception e)
        {
            await to.CompleteAsync(e);
        }
        finally
        {
            await from.CompleteAsync();
        }
    }
}
