using System.Globalization;
using System.Net;
using System.Text;
using Gateway.Tests.Admin;
using Gateway.Tests.Beam;

namespace Gateway.Tests.Lpwa;

/// <summary>
/// Network servers posting uplinks to the LPWA listener of a whole gateway, forwarded to a recording upstream that
/// verifies SORACOM signatures: ChirpStack (through real curl), The Things Stack and Sigfox, and every refusal.
/// </summary>
public sealed class LpwaIngestionTests : IAsyncLifetime
{
    private const string ChirpStackSecret = "chirpstack-secret-0001";
    private const string TtsSecret = "tts-secret-0000000001";
    private const string SigfoxSecret = "sigfox-secret-00000001";
    private const string OperatorId = "OP0012345678";

    // A spec format and vector: 12 bytes, the largest Sigfox uplink.
    private const string ParserFormat = "flag:0:bool:7 temp:1:int:13:/10 humid:3:uint:8:/100 lat::float:32 long::float:32";
    private const string ParsedFields = "\"flag\":true,\"temp\":25.5,\"humid\":0.95,\"lat\":35.669918060302734,\"long\":139.74423217773438,\"binaryParserEnabled\":true";

    private readonly GatewayProcess _gateway = new() { WithLpwa = true };
    // Bound but never listening: connections to it are refused, and no parallel test can take the port meanwhile.
    private readonly System.Net.Sockets.Socket _closed = new(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
    private RecordingUpstream _upstream = null!;

    public async ValueTask InitializeAsync()
    {
        _upstream = await RecordingUpstream.StartAsync();
        var up = _upstream.BaseUri.ToString().TrimEnd('/');
        _closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var closed = ((IPEndPoint)_closed.LocalEndPoint!).Port;
        var seed = $$"""
            {
              "groups": [
                { "groupId": "g-lora", "configuration": { "SoracomBeam": {
                    "lorawan://beam.soracom.io": { "destination": "{{up}}/lora", "enabled": true, "addDeviceIdHeader": true, "addSignature": true, "psk": "topsecret",
                      "customHeaders": { "X-Tenant": { "action": "append", "headerKey": "X-Tenant", "headerValue": "acme" } } } } } },
                { "groupId": "g-lora-signed-only", "configuration": { "SoracomBeam": {
                    "lorawan://beam.soracom.io": { "destination": "{{up}}/signed-only", "enabled": true, "addSignature": true, "psk": "topsecret" } } } },
                { "groupId": "g-lora-plain", "configuration": { "SoracomBeam": {
                    "lorawan://beam.soracom.io": { "destination": "{{up}}/plain", "enabled": true } } } },
                { "groupId": "g-sigfox", "configuration": {
                    "SoracomAir": { "binaryParserEnabled": true, "binaryParserFormat": "{{ParserFormat}}" },
                    "SoracomBeam": {
                      "sigfox://beam.soracom.io": { "destination": "{{up}}/sigfox", "enabled": true, "addDeviceIdHeader": true, "addSignature": true, "psk": "topsecret" } } } },
                { "groupId": "g-none", "configuration": { "SoracomBeam": {
                    "udp://beam.soracom.io:23080": { "destination": "{{up}}/udp", "enabled": true } } } },
                { "groupId": "g-slow", "configuration": { "SoracomBeam": {
                    "lorawan://beam.soracom.io": { "destination": "{{up}}/slow", "enabled": true, "timeoutSeconds": 0.3 } } } },
                { "groupId": "g-down", "configuration": { "SoracomBeam": {
                    "lorawan://beam.soracom.io": { "destination": "http://127.0.0.1:{{closed}}/", "enabled": true } } } }
              ],
              "subscribers": [
                { "imsi": "001010000000101", "groupId": "g-lora", "loraDeviceId": "0123456789ABCDEF" },
                { "imsi": "001010000000102", "groupId": "g-lora-signed-only", "loraDeviceId": "70b3d57ed0000002" },
                { "imsi": "001010000000103", "groupId": "g-lora-plain", "loraDeviceId": "70b3d57ed0000003" },
                { "imsi": "001010000000104", "groupId": "g-sigfox", "sigfoxDeviceId": "1a2b3c" },
                { "imsi": "001010000000105", "groupId": "g-none", "loraDeviceId": "70b3d57ed0000005" },
                { "imsi": "001010000000106", "groupId": "g-down", "loraDeviceId": "70b3d57ed0000006" },
                { "imsi": "001010000000108", "groupId": "g-slow", "loraDeviceId": "70b3d57ed0000008" },
                { "imsi": "001010000000107", "groupId": "g-lora", "loraDeviceId": "70b3d57ed0000007", "status": "inactive" }
              ]
            }
            """;
        var path = Path.Combine(_gateway.DataDir, "seed.json");
        await File.WriteAllTextAsync(path, seed, TestContext.Current.CancellationToken);
        await _gateway.StartAsync(
            "--registry", path,
            "--Gateway:Lpwa:OperatorId", OperatorId,
            "--Gateway:Lpwa:Integrations:0:Name", "cs",
            "--Gateway:Lpwa:Integrations:0:Type", "chirpstack",
            "--Gateway:Lpwa:Integrations:0:Secret", ChirpStackSecret,
            "--Gateway:Lpwa:Integrations:1:Name", "tts-eu1",
            "--Gateway:Lpwa:Integrations:1:Type", "tts",
            "--Gateway:Lpwa:Integrations:1:Secret", TtsSecret,
            "--Gateway:Lpwa:Integrations:2:Name", "kccs",
            "--Gateway:Lpwa:Integrations:2:Type", "sigfox",
            "--Gateway:Lpwa:Integrations:2:Secret", SigfoxSecret);
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
        _closed.Dispose();
    }

    private string Url(string path) => $"http://127.0.0.1:{_gateway.LpwaPort}{path}";

    private static string ChirpStackUplink(string devEui, string data = "iVwvsw==") => $$"""
        {
          "deduplicationId": "3ac7e3c4-4401-4b8d-9386-a5c902f9202d",
          "time": "2024-07-18T09:33:28.823500726+00:00",
          "deviceInfo": {
            "tenantId": "52f14cd4-c6f1-4fbd-8f87-4025e1d49242", "tenantName": "ChirpStack",
            "applicationId": "17c82e96-be03-4f38-aef3-f83d48582d97", "applicationName": "meters",
            "deviceProfileId": "14855bf7-d10d-4aee-b618-ebfcb64dc7ad", "deviceProfileName": "EU868",
            "deviceName": "meter-1", "devEui": "{{devEui}}", "tags": {}
          },
          "devAddr": "00189440", "adr": true, "dr": 5, "fCnt": 17, "fPort": 2, "confirmed": false,
          "data": "{{data}}",
          "rxInfo": [
            { "gatewayId": "0016c001f153a14c", "uplinkId": 4217106255, "rssi": -80, "snr": 7, "context": "E3OWOQ==" },
            { "gatewayId": "0016C001F153A14D", "uplinkId": 1217106255, "rssi": -36, "snr": 10.5, "context": "E3OWOQ==" }
          ],
          "txInfo": { "frequency": 868100000, "modulation": { "lora": { "bandwidth": 125000, "spreadingFactor": 7, "codeRate": "CR_4_5" } } }
        }
        """;

    private static long UnixMs(string time) => DateTimeOffset.Parse(time, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();

    private async Task<(int Status, string Body)> PostAsync(string path, string body, string? secret, string contentType = "application/json")
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, Url(path)) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        if (secret is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secret);
        }

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ChirpStack_uplink_through_curl_arrives_as_the_documented_body_with_signed_headers()
    {
        var (status, body, _) = await Curl.RunAsync(
            "127.0.0.1", "-X", "POST", Url("/lpwa/chirpstack/cs?event=up"),
            "-H", "Content-Type: application/json", "-H", $"Authorization: Bearer {ChirpStackSecret}",
            "--data-binary", ChirpStackUplink("0123456789ABCDEF"));

        Assert.Equal(204, status);
        Assert.Equal(string.Empty, body);
        var r = _upstream.Single();
        Assert.Equal("POST", r.Method);
        Assert.Equal("/lora", r.Path);
        Assert.Equal(
            $"{{\"deviceId\":\"0123456789abcdef\",\"time\":{UnixMs("2024-07-18T09:33:28.823Z")},\"data\":\"895c2fb3\",\"fPort\":2,\"fCnt\":17,\"rssi\":-36,\"snr\":10.5,\"gatewayId\":\"0016c001f153a14d\"}}",
            r.Body);
        Assert.Equal("0123456789abcdef", r.Headers["x-soracom-lora-device-id"]);
        Assert.Equal(OperatorId, r.Headers["x-soracom-operator-id"]);
        Assert.Equal("20151001", r.Headers["x-soracom-signature-version"]);
        Assert.Equal("ok", r.SignatureVerdict);
        Assert.Equal("close", r.Headers["connection"]);
        Assert.Equal("application/json", r.Headers["content-type"]);
        Assert.Equal("acme", r.Headers["x-tenant"]);
        Assert.InRange(long.Parse(r.Headers["x-soracom-timestamp"], CultureInfo.InvariantCulture), DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task ChirpStack_uplink_with_proto_field_names_and_defaults_left_out_is_read()
    {
        // proto3 JSON leaves out zero values and accepts the proto field names; an empty frame has no data.
        const string uplink = """{ "device_info": { "dev_eui": "70b3d57ed0000003" }, "rx_info": [] }""";
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.Equal(204, (await PostAsync("/lpwa/chirpstack/cs?event=up", uplink, ChirpStackSecret)).Status);

        var r = _upstream.Single();
        Assert.Equal("/plain", r.Path);
        var body = System.Text.Json.Nodes.JsonNode.Parse(r.Body)!;
        Assert.Equal("70b3d57ed0000003", (string?)body["deviceId"]);
        Assert.Equal(string.Empty, (string?)body["data"]);
        Assert.Equal(0, (int)body["fPort"]!);
        Assert.True((long)body["time"]! >= before);
        Assert.Null(body["rssi"]);

        // Neither option: no device-ID header, no signature, but operator ID and timestamp always.
        Assert.False(r.Headers.ContainsKey("x-soracom-lora-device-id"));
        Assert.False(r.Headers.ContainsKey("x-soracom-signature"));
        Assert.Equal(OperatorId, r.Headers["x-soracom-operator-id"]);
        Assert.True(r.Headers.ContainsKey("x-soracom-timestamp"));
    }

    [Fact]
    public async Task Signature_without_the_device_id_option_still_signs_and_sends_the_device_id()
    {
        Assert.Equal(204, (await PostAsync("/lpwa/chirpstack/cs?event=up", ChirpStackUplink("70B3D57ED0000002"), ChirpStackSecret)).Status);

        var r = _upstream.Single();
        Assert.Equal("/signed-only", r.Path);
        Assert.Equal("70b3d57ed0000002", r.Headers["x-soracom-lora-device-id"]);
        Assert.Equal("ok", r.SignatureVerdict);
    }

    [Theory]
    [InlineData("join")]
    [InlineData("status")]
    [InlineData("ack")]
    [InlineData("txack")]
    [InlineData("log")]
    public async Task ChirpStack_events_other_than_up_are_accepted_and_ignored(string eventType)
    {
        Assert.Equal(204, (await PostAsync($"/lpwa/chirpstack/cs?event={eventType}", "{\"deviceInfo\":{\"devEui\":\"0123456789abcdef\"}}", ChirpStackSecret)).Status);
        Assert.Empty(_upstream.Requests);
    }

    [Fact]
    public async Task ChirpStack_protobuf_encoding_is_refused_with_415()
    {
        var (status, body) = await PostAsync("/lpwa/chirpstack/cs?event=up", "\u0012\u0008", ChirpStackSecret, "application/octet-stream");
        Assert.Equal(415, status);
        Assert.Equal("set the integration's encoding to JSON\n", body);
    }

    [Fact]
    public async Task Tts_uplink_arrives_as_the_documented_body()
    {
        const string uplink = """
            {
              "end_device_ids": {
                "device_id": "meter-7", "application_ids": { "application_id": "meters" },
                "dev_eui": "70B3D57ED0000007", "join_eui": "0000000000000000", "dev_addr": "260B1234"
              },
              "correlation_ids": [ "as:up:01H0000000000000000000000" ],
              "received_at": "2024-07-18T09:33:29.123456789Z",
              "uplink_message": {
                "session_key_id": "AYd8ZKm1R2Dd6Qr3nYdYxQ==",
                "f_port": 15, "f_cnt": 4242,
                "frm_payload": "gAf4X0IOrf9DC76G",
                "rx_metadata": [
                  { "gateway_ids": { "gateway_id": "eui-b827ebfffe000001", "eui": "B827EBFFFE000001" }, "rssi": -101, "channel_rssi": -101, "snr": -3.25 },
                  { "gateway_ids": { "gateway_id": "my-gw-2" }, "rssi": -60, "channel_rssi": -60, "snr": 9.5 }
                ],
                "settings": { "data_rate": { "lora": { "bandwidth": 125000, "spreading_factor": 7 } }, "frequency": "868100000" },
                "received_at": "2024-07-18T09:33:29.100Z",
                "consumed_airtime": "0.061696s"
              }
            }
            """;

        // 70b3d57ed0000007 is inactive; re-point the uplink at the active g-lora device.
        var (status, _) = await PostAsync("/lpwa/tts/tts-eu1", uplink.Replace("70B3D57ED0000007", "0123456789ABCDEF", StringComparison.Ordinal), TtsSecret);
        Assert.Equal(204, status);

        var r = _upstream.Single();
        Assert.Equal("/lora", r.Path);
        Assert.Equal(
            $"{{\"deviceId\":\"0123456789abcdef\",\"time\":{UnixMs("2024-07-18T09:33:29.123Z")},\"data\":\"8007f85f420eadff430bbe86\",\"fPort\":15,\"fCnt\":4242,\"rssi\":-60,\"snr\":9.5,\"gatewayId\":\"my-gw-2\"}}",
            r.Body);
        Assert.Equal("ok", r.SignatureVerdict);
        Assert.Equal(OperatorId, r.Headers["x-soracom-operator-id"]);
    }

    [Fact]
    public async Task Tts_message_without_an_uplink_is_accepted_and_ignored()
    {
        const string joinAccept = """{ "end_device_ids": { "dev_eui": "0123456789ABCDEF" }, "join_accept": { "session_key_id": "x" } }""";
        Assert.Equal(204, (await PostAsync("/lpwa/tts/tts-eu1", joinAccept, TtsSecret)).Status);
        Assert.Empty(_upstream.Requests);
    }

    [Fact]
    public async Task Sigfox_callback_arrives_in_the_spec_shape_with_the_parser_fields_merged()
    {
        // A hand-written callback template: some variables quoted, some not.
        const string callback = """
            { "device": "1A2B3C", "time": 1621401862, "data": "8007f85f420eadff430bbe86", "seqNumber": 2651,
              "lqi": "Average", "operatorName": "SIGFOX_Japan_KCCS", "countryCode": "392", "rssi": "-120.00", "station": "7E2B" }
            """;
        Assert.Equal(204, (await PostAsync("/lpwa/sigfox/kccs", callback, SigfoxSecret)).Status);

        var r = _upstream.Single();
        Assert.Equal("/sigfox", r.Path);
        Assert.Equal(
            "{\"device\":\"1A2B3C\",\"time\":\"1621401862\",\"data\":\"8007f85f420eadff430bbe86\",\"seqNumber\":\"2651\",\"lqi\":\"Average\",\"operatorName\":\"SIGFOX_Japan_KCCS\",\"countryCode\":\"392\"," + ParsedFields + "}",
            r.Body);
        Assert.Equal("1A2B3C", r.Headers["x-soracom-sigfox-device-id"]);
        Assert.Equal(OperatorId, r.Headers["x-soracom-operator-id"]);
        Assert.Equal("close", r.Headers["connection"]);
        Assert.Equal("ok", r.SignatureVerdict);
    }

    [Fact]
    public async Task Basic_authentication_with_the_secret_as_password_is_accepted()
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, Url("/lpwa/sigfox/kccs"))
        {
            Content = new StringContent("""{ "device": "1A2B3C", "data": "00" }""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("sigfox:" + SigfoxSecret)));
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Single(_upstream.Requests);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-secret-0000000000")]
    [InlineData(TtsSecret)]
    public async Task Missing_or_wrong_secret_is_refused_with_401(string? secret)
    {
        var (status, body) = await PostAsync("/lpwa/chirpstack/cs?event=up", ChirpStackUplink("0123456789abcdef"), secret);
        Assert.Equal(401, status);
        Assert.Equal("missing or wrong secret\n", body);
        Assert.Empty(_upstream.Requests);
    }

    [Theory]
    [InlineData("/lpwa/chirpstack/nope?event=up")]
    [InlineData("/lpwa/tts/cs")]
    [InlineData("/lpwa/sigfox/tts-eu1")]
    public async Task Unknown_integration_is_refused_with_404(string path)
    {
        var (status, body) = await PostAsync(path, "{}", ChirpStackSecret);
        Assert.Equal(404, status);
        Assert.Equal("unknown integration\n", body);
    }

    [Fact]
    public async Task Other_paths_on_the_lpwa_port_are_404_and_the_admin_api_is_not_there()
    {
        using var client = new HttpClient();
        var healthz = await client.GetAsync(new Uri(Url("/healthz")), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, healthz.StatusCode);
        var auth = await client.PostAsync(new Uri(Url("/v1/auth")), new StringContent("{}"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, auth.StatusCode);
    }

    [Theory]
    [InlineData("7777777777777777", "device not registered\n")]
    [InlineData("70b3d57ed0000007", "device not active\n")]
    public async Task Unregistered_or_inactive_device_is_refused_with_403(string devEui, string reason)
    {
        var (status, body) = await PostAsync("/lpwa/chirpstack/cs?event=up", ChirpStackUplink(devEui), ChirpStackSecret);
        Assert.Equal(403, status);
        Assert.Equal(reason, body);
        Assert.Empty(_upstream.Requests);
    }

    [Fact]
    public async Task Unregistered_sigfox_device_is_refused_with_403()
    {
        var (status, _) = await PostAsync("/lpwa/sigfox/kccs", """{ "device": "FFFFFF", "data": "00" }""", SigfoxSecret);
        Assert.Equal(403, status);
    }

    [Theory]
    [InlineData("/lpwa/chirpstack/cs?event=up", ChirpStackSecret, "{ \"deviceInfo\": ", "malformed JSON\n")]
    [InlineData("/lpwa/chirpstack/cs?event=up", ChirpStackSecret, "[]", "body must be a JSON object\n")]
    [InlineData("/lpwa/chirpstack/cs?event=up", ChirpStackSecret, "{ \"fPort\": 1 }", "missing deviceInfo.devEui\n")]
    [InlineData("/lpwa/chirpstack/cs?event=up", ChirpStackSecret, "{ \"deviceInfo\": { \"devEui\": \"0123\" } }", "deviceInfo.devEui must be 16 hex digits\n")]
    [InlineData("/lpwa/chirpstack/cs?event=up", ChirpStackSecret, "{ \"deviceInfo\": { \"devEui\": \"0123456789abcdef\" }, \"data\": \"%%%\" }", "data must be base64\n")]
    [InlineData("/lpwa/chirpstack/cs?event=up", ChirpStackSecret, "{ \"deviceInfo\": { \"devEui\": \"0123456789abcdef\" }, \"fCnt\": -1 }", "fCnt must be a non-negative 32-bit integer\n")]
    [InlineData("/lpwa/chirpstack/cs", ChirpStackSecret, "{}", "missing ?event=\n")]
    [InlineData("/lpwa/tts/tts-eu1", TtsSecret, "{ \"end_device_ids\": { \"dev_eui\": \"0123456789abcdef\" }, \"uplink_message\": { \"f_port\": \"x\" } }", "uplink_message.f_port must be a non-negative 32-bit integer\n")]
    [InlineData("/lpwa/tts/tts-eu1", TtsSecret, "{ \"end_device_ids\": {} }", "missing end_device_ids.dev_eui\n")]
    [InlineData("/lpwa/sigfox/kccs", SigfoxSecret, "{ \"device\": \"1A2B3C\", \"data\": \"xyz\" }", "data must be hex\n")]
    [InlineData("/lpwa/sigfox/kccs", SigfoxSecret, "{ \"device\": \"1A2B3C\" }", "missing data\n")]
    [InlineData("/lpwa/sigfox/kccs", SigfoxSecret, "{ \"device\": true, \"data\": \"00\" }", "device must be a string or a number\n")]
    public async Task Malformed_bodies_are_refused_with_400_and_a_reason(string path, string secret, string json, string reason)
    {
        var (status, body) = await PostAsync(path, json, secret);
        Assert.Equal(400, status);
        Assert.Equal(reason, body);
        Assert.Empty(_upstream.Requests);
    }

    [Fact]
    public async Task Body_over_64_KiB_is_refused_with_413()
    {
        var big = "{\"pad\":\"" + new string('x', 70 * 1024) + "\"}";
        var (status, body) = await PostAsync("/lpwa/tts/tts-eu1", big, TtsSecret);
        Assert.Equal(413, status);
        Assert.Equal("body over 65536 bytes\n", body);
    }

    [Fact]
    public async Task Chunked_body_over_64_KiB_is_refused_with_413()
    {
        var (status, body, _) = await Curl.RunAsync(
            "127.0.0.1", "-X", "POST", Url("/lpwa/tts/tts-eu1"), "-H", "Transfer-Encoding: chunked", "-H", $"Authorization: Bearer {TtsSecret}",
            "--data-binary", "{\"pad\":\"" + new string('x', 70 * 1024) + "\"}");
        Assert.Equal(413, status);
        Assert.Equal("body over 65536 bytes\n", body);
    }

    [Fact]
    public async Task Group_without_a_lorawan_entry_is_404()
    {
        var (status, body) = await PostAsync("/lpwa/chirpstack/cs?event=up", ChirpStackUplink("70b3d57ed0000005"), ChirpStackSecret);
        Assert.Equal(404, status);
        Assert.Equal("no Beam LoRaWAN entry for this device's group\n", body);
        Assert.Empty(_upstream.Requests);
    }

    [Fact]
    public async Task Upstream_refusing_the_connection_is_502_with_the_reason()
    {
        var (status, body) = await PostAsync("/lpwa/chirpstack/cs?event=up", ChirpStackUplink("70b3d57ed0000006"), ChirpStackSecret);
        Assert.Equal(502, status);
        Assert.Equal("upstream refused the connection\n", body);
    }

    [Fact]
    public async Task Each_outcome_is_counted_by_type_and_result()
    {
        var seen = new System.Collections.Concurrent.ConcurrentQueue<(string? Type, string? Result)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = static (instrument, l) =>
        {
            if (instrument.Name == "gateway.lpwa.uplinks")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            string? type = null, result = null;
            foreach (var tag in tags)
            {
                (type, result) = tag.Key switch
                {
                    "type" => ((string?)tag.Value, result),
                    "result" => (type, (string?)tag.Value),
                    _ => (type, result),
                };
            }

            seen.Enqueue((type, result));
        });
        listener.Start();

        await PostAsync("/lpwa/sigfox/kccs", """{ "device": "1A2B3C", "data": "00" }""", SigfoxSecret);
        await PostAsync("/lpwa/tts/tts-eu1", "{", TtsSecret);
        await PostAsync("/lpwa/chirpstack/cs?event=up", ChirpStackUplink("0123456789abcdef"), "wrong-secret-000000000");

        Assert.Contains(("sigfox", "ok"), seen);
        Assert.Contains(("tts", "malformed"), seen);
        Assert.Contains(("chirpstack", "unauthorized"), seen);
    }

    [Fact]
    public async Task Upstream_too_slow_is_504_with_the_reason()
    {
        _upstream.Delay = TimeSpan.FromSeconds(2);
        var (status, body) = await PostAsync("/lpwa/chirpstack/cs?event=up", ChirpStackUplink("70b3d57ed0000008"), ChirpStackSecret);
        Assert.Equal(504, status);
        Assert.Equal("upstream timed out after 0.3 s\n", body);
    }

    [Fact]
    public async Task Upstream_error_status_is_relayed_to_the_network_server()
    {
        _upstream.Reply = (503, "busy");
        var (status, body) = await PostAsync("/lpwa/chirpstack/cs?event=up", ChirpStackUplink("0123456789abcdef"), ChirpStackSecret);
        Assert.Equal(503, status);
        Assert.Equal("upstream answered 503\n", body);
        Assert.Single(_upstream.Requests);
    }
}
