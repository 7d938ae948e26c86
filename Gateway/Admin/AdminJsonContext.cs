using System.Text.Json.Serialization;

namespace Gateway.Admin;

[JsonSerializable(typeof(AdminAuth.TokenPayload))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
