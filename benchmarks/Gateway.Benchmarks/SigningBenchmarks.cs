using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Gateway.Signing;
using Gateway.Signing.MessageSignatures;
using Gateway.Signing.Soracom;

namespace Gateway.Benchmarks;

/// <summary>
/// Cost of the identity signature on the hot path. <see cref="SignHttp"/> is what a forwarder pays per message
/// (string to sign built into a stack buffer, SHA-256, hex into a caller buffer); the target is 0 B allocated.
/// </summary>
[MemoryDiagnoser]
public class SigningBenchmarks
{
    private const long Timestamp = 1445587157992;
    private readonly byte[] _hex = new byte[64];
    private readonly byte[] _plain = "mysecretkeyx-soracom-imei=860000012345678x-soracom-imsi=295000012345678x-soracom-timestamp=1445587157992"u8.ToArray();
    private readonly byte[] _digest = new byte[32];
    private SoracomSigner _signer = null!;
    private SoracomIdentity _identity = null!;
    private SoracomIdentity _fullIdentity = null!;
    private SoracomSignatureVerifier _verifier = null!;
    private List<KeyValuePair<string, string>> _headers = null!;
    private string _tcpLine = null!;
    private HttpMessageSigner _messageSigner = null!;
    private HttpMessageComponents _message = null!;
    private IReadOnlyList<string> _components = null!;

    [GlobalSetup]
    public void Setup()
    {
        _signer = new SoracomSigner("mysecretkey");
        _identity = new SoracomIdentity { Imei = "860000012345678", Imsi = "295000012345678" };
        _fullIdentity = new SoracomIdentity { Imei = "860000012345678", Imsi = "295000012345678", Msisdn = "8180123456780000", SimId = "8981100024620429680" };
        _verifier = new SoracomSignatureVerifier(new SoracomVerifierOptions
        {
            PreSharedKeys = { "mysecretkey" },
            MaxClockSkew = Timeout.InfiniteTimeSpan,
            ReplayProtection = false,
        });
        _headers = [.. _signer.CreateHttpHeaders(_identity, Timestamp)];
        _tcpLine = _signer.CreateTcpFirstLine(_fullIdentity, Timestamp);
        _messageSigner = new HttpMessageSigner("gw-1", new byte[32]);
        _message = new HttpMessageComponents("POST", new Uri("https://backend.example/ingest"),
            [new("x-soracom-imsi", "295000012345678"), new("Content-Digest", ContentDigest.Compute("{\"payload\":\"AQID\"}"u8))]);
        _components = HttpMessageSigner.DefaultComponents(["x-soracom-imsi"]);
    }

    /// <summary>Baseline: the platform's one-shot SHA-256 of the same bytes (PSK + vector 1) and nothing else.</summary>
    [Benchmark(Baseline = true)]
    public void Sha256Only() => SHA256.HashData(_plain, _digest);

    /// <summary>SHA-256 of the same bytes through the low-level OpenSSL path the signer uses (BCL fallback elsewhere).</summary>
    [Benchmark]
    public void Sha256Signer() => Gateway.Signing.Soracom.Sha256.Hash(_plain.AsSpan(0, 11), _plain.AsSpan(11), _digest);

    [Benchmark]
    public bool SignHttp() => _signer.TrySignHttp(_identity, Timestamp, _hex);

    [Benchmark]
    public bool SignHttpFourIdentifiers() => _signer.TrySignHttp(_fullIdentity, Timestamp, _hex);

    [Benchmark]
    public IReadOnlyList<KeyValuePair<string, string>> CreateHttpHeaders() => _signer.CreateHttpHeaders(_identity, Timestamp);

    [Benchmark]
    public string CreateTcpFirstLine() => _signer.CreateTcpFirstLine(_fullIdentity, Timestamp);

    [Benchmark]
    public bool VerifyHttpHeaders() => _verifier.Verify(_headers).IsValid;

    [Benchmark]
    public bool VerifyTcpFirstLine() => _verifier.VerifyTcpFirstLine(_tcpLine).IsValid;

    [Benchmark]
    public MessageSignature SignRfc9421() => _messageSigner.Sign(_message, _components, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
}
