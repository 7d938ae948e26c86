using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Beam.Relay.Loop;

/// <summary>A device's connection on an event loop, as the duplex pipe the relay reads and writes.</summary>
internal sealed class LoopDevice : IDuplexPipe
{
    private readonly LoopDeviceReader _input;
    private readonly LoopDeviceWriter _output;

    public LoopDevice(LoopSocket socket, IPEndPoint remote)
    {
        Socket = socket;
        Remote = remote;
        _input = new LoopDeviceReader(socket);
        _output = new LoopDeviceWriter(socket);
    }

    public LoopSocket Socket { get; }

    /// <summary>The device's address: the socket's peer, or the one a trusted proxy's PROXY header named.</summary>
    public IPEndPoint Remote { get; set; }

    public PipeReader Input => _input;

    public PipeWriter Output => _output;

    /// <summary>Read and not consumed: the start of what Kestrel is to read when the connection is handed to it.</summary>
    public ReadOnlySpan<byte> Unconsumed => _input.Unconsumed;

    /// <summary>Cuts the connection off (a response that cannot be finished): reset, not ended in order.</summary>
    public void Abort(ConnectionAbortedException reason)
    {
        Socket.Close(abort: true);
        Release();
    }

    /// <summary>Ends the connection in order, after what was written (the relay has flushed it).</summary>
    public void Close()
    {
        Socket.Close();
        Release();
    }

    /// <summary>Gives back the buffers (once the relay is done with the connection).</summary>
    public void Release()
    {
        _input.Release();
        _output.Release();
    }
}
