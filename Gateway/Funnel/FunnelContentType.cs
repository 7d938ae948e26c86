namespace Gateway.Funnel;

/// <summary>
/// <c>SoracomFunnel.contentType</c>: how the device's bytes become the envelope's <c>payloads</c>. Absent and
/// <c>""</c> (what older clients send) mean <see cref="Unspecified"/>.
/// </summary>
internal enum FunnelContentType
{
    Unspecified,
    Json,
    Text,
    Binary,

    /// <summary><c>application/x-soracom-bf-v1</c>: TCP frames reassembled by the entry point, then handled as binary.</summary>
    BinaryFormatV1,
}
