using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Gateway.Beam.Relay;

/// <summary>An upstream connection on a .NET socket: the relay on Kestrel's transport uses these.</summary>
internal sealed class SocketUpstream(Socket socket) : UpstreamConnection
{
    public override ValueTask SendAsync(ReadOnlyMemory<byte> data) => SendAllAsync(socket, data);

    public override ValueTask<int> ReceiveAsync(Memory<byte> buffer) => socket.ReceiveAsync(buffer, SocketFlags.None);

    public override bool IsSpent() => socket.Poll(0, SelectMode.SelectRead);

    public override void Dispose() => socket.Dispose();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var n = await socket.SendAsync(data, SocketFlags.None);
            data = data[n..];
        }
    }
}
