namespace Gateway.Admin;

/// <summary>Endpoint metadata: the SAM operation name (<c>Service:operation</c>) a route is checked against.</summary>
internal sealed record SamOperation(string Name);
