using System.Text.Json.Nodes;

namespace Gateway.Devices;

/// <summary>
/// The error body of the request/response device services, the operator API's <c>{"code", "message"}</c> as
/// <c>application/json</c>: one writer, so the metadata service and Endorse cannot drift apart.
/// </summary>
internal static class DeviceServiceError
{
    public static Task WriteAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(new JsonObject { ["code"] = code, ["message"] = message }.ToJsonString(), context.RequestAborted);
    }
}
