using Gateway.Registry;
using Gateway.Signing;
using Gateway.Signing.MessageSignatures;
using Gateway.Signing.Soracom;

namespace Gateway.Beam;

/// <summary>
/// One <c>SoracomBeam</c> entry compiled for the hot path: the destination parsed, the PSK turned into a signer,
/// the header rules ordered. Built once per group per registry version.
/// </summary>
internal sealed class BeamEntry
{
    public required BeamEntryPointKey Key { get; init; }

    public string? Name { get; init; }

    public bool Enabled { get; init; } = true;

    public required Uri Destination { get; init; }

    public bool AddImsi { get; init; }

    public bool AddImei { get; init; }

    public bool AddMsisdn { get; init; }

    public bool AddSimId { get; init; }

    public bool AddSignature { get; init; }

    /// <summary>LoRaWAN/Sigfox: send <c>x-soracom-lora-device-id</c> / <c>x-soracom-sigfox-device-id</c> (always signed when signing).</summary>
    public bool AddDeviceId { get; init; }

    /// <summary>The signer for a PSK given inline or by a fixed credentials ID.</summary>
    public SoracomSigner? Signer { get; init; }

    /// <summary>A credentials ID with <c>#{imsi}</c>, resolved per subscriber.</summary>
    public string? PskCredentialsTemplate { get; init; }

    public IReadOnlyList<CustomHeader> CustomHeaders { get; init; } = [];

    /// <summary>Sent as <c>Authorization</c> upstream when set (the "Authorization header" option).</summary>
    public string? Authorization { get; init; }

    /// <summary>Signs requests with RFC 9421 as well, covering method, URI, body digest and identity.</summary>
    public HttpMessageSigner? MessageSigner { get; init; }

    /// <summary>TCP/UDP→HTTP: leave <c>&lt;status&gt; </c> out of replies to the device.</summary>
    public bool SkipStatusCode { get; init; }

    /// <summary>TCP/UDP→HTTP platform version: <c>201509</c> (default) or <c>202411</c>.</summary>
    public string Version { get; init; } = "201509";

    /// <summary>Bytes appended to TCP→HTTP replies.</summary>
    public byte[] EndOfData { get; init; } = [];

    /// <summary>TCP→HTTP: the device frames data with Soracom Binary Format v1.</summary>
    public bool BinaryFormatV1 { get; init; }

    /// <summary>Extra trusted roots and a client certificate for the destination's TLS, if configured.</summary>
    public UpstreamTls? Tls { get; init; }

    /// <summary>A client-certificate credentials ID with <c>#{imsi}</c>, resolved per subscriber.</summary>
    public string? ClientCertTemplate { get; init; }

    /// <summary>The extra trusted roots as PEM, kept to build per-subscriber TLS profiles.</summary>
    public string? CaPem { get; init; }

    /// <summary>MQTT: the user name the gateway presents to the broker (the entry's <c>username</c>), or null.</summary>
    public string? UserName { get; init; }

    /// <summary>MQTT: the password the gateway presents to the broker (the entry's <c>password</c>), or null.</summary>
    public string? Password { get; init; }

    /// <summary>MQTT: pass the device's own CONNECT user name and password to the broker (<c>useClientCredentials</c>).</summary>
    public bool UseClientCredentials { get; init; }

    /// <summary>How long the upstream may take, connect to last byte of the response head.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The identity to send for this subscriber: only the enabled and known identifiers.</summary>
    public SoracomIdentity IdentityFor(Subscriber subscriber, string? imei) => new()
    {
        Imsi = AddImsi && !subscriber.IsAnonymous ? subscriber.Imsi : null,
        Imei = AddImei ? imei : null,
        Msisdn = AddMsisdn ? subscriber.Msisdn : null,
        SimId = AddSimId ? subscriber.SimId : null,
    };
}
