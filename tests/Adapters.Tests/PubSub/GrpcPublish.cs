using System.Buffers.Binary;
using System.Globalization;
using Google.Cloud.PubSub.V1;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Gateway.Adapters.Tests.PubSub;

/// <summary>
/// <c>google.pubsub.v1.Publisher/Publish</c> answered by hand on a <see cref="TestPeer"/>: gRPC's framing (a flag byte,
/// a big-endian length, the protobuf message) and its status in the trailers, with the adapter's own generated
/// messages. Enough to make the answers the emulator cannot: throttling, refusals, a wrong count.
/// </summary>
internal static class GrpcPublish
{
    public delegate Task<(StatusCode Status, string? Detail, PublishResponse? Response)> Handler(PublishRequest request, HttpContext context);

    public static void Map(WebApplication app, Handler handler) =>
        app.MapPost("/google.pubsub.v1.Publisher/Publish", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var bytes = body.ToArray();
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(1, 4));
            var request = PublishRequest.Parser.ParseFrom(bytes, 5, length);
            var (status, detail, response) = await handler(request, context);
            context.Response.ContentType = "application/grpc";
            if (response is not null)
            {
                var message = response.ToByteArray();
                var frame = new byte[5 + message.Length];
                BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1, 4), message.Length);
                message.CopyTo(frame, 5);
                await context.Response.Body.WriteAsync(frame);
            }
            context.Response.AppendTrailer("grpc-status", ((int)status).ToString(CultureInfo.InvariantCulture));
            if (detail is not null)
                context.Response.AppendTrailer("grpc-message", detail);
        });

    /// <summary>A successful answer: one ID per message.</summary>
    public static PublishResponse Ok(PublishRequest request)
    {
        var response = new PublishResponse();
        for (var i = 0; i < request.Messages.Count; i++)
            response.MessageIds.Add(i.ToString(CultureInfo.InvariantCulture));
        return response;
    }
}
