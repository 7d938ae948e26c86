using System.Text.Json.Nodes;

namespace Gateway.Registry;

/// <summary>
/// Writes registry elements back in SORACOM's JSON shapes: what the store keeps (with secrets) and what the admin
/// API returns (never with secrets). <see cref="RegistryParser"/> reads the same shapes.
/// </summary>
internal static class RegistryJson
{
    /// <summary>
    /// A group; with <paramref name="includeSecrets"/> false, inline secrets in its configuration are masked
    /// (<see cref="ConfigurationSecrets"/>).
    /// </summary>
    public static JsonObject Write(Group g, bool includeSecrets) => new()
    {
        ["groupId"] = g.GroupId,
        ["tags"] = Tags(g.Tags),
        ["configuration"] = includeSecrets ? g.Configuration.DeepClone() : ConfigurationSecrets.Masked(g.Configuration),
        ["createdTime"] = g.CreatedTime,
        ["lastModifiedTime"] = g.LastModifiedTime,
    };

    public static JsonObject Write(Subscriber s)
    {
        var o = new JsonObject { ["imsi"] = s.Imsi };
        Optional(o, "imei", s.Imei);
        Optional(o, "msisdn", s.Msisdn);
        Optional(o, "simId", s.SimId);
        Optional(o, "groupId", s.GroupId);
        o["tags"] = Tags(s.Tags);
        o["status"] = s.Status;
        o["imeiLock"] = s.ImeiLock is null ? null : new JsonObject { ["imei"] = s.ImeiLock };
        Optional(o, "ipAddress", s.IpAddress);
        if (s.IpRanges.Count > 0)
        {
            o["ipRanges"] = new JsonArray([.. s.IpRanges.Select(static r => (JsonNode?)r)]);
        }

        if (s.CertificateThumbprints.Count > 0)
        {
            o["certificateThumbprints"] = new JsonArray([.. s.CertificateThumbprints.Select(static t => (JsonNode?)t)]);
        }

        if (s.CertificateSubjects.Count > 0)
        {
            o["certificateSubjects"] = new JsonArray([.. s.CertificateSubjects.Select(static t => (JsonNode?)t)]);
        }

        Optional(o, "loraDeviceId", s.LoraDeviceId);
        Optional(o, "sigfoxDeviceId", s.SigfoxDeviceId);
        return o;
    }

    /// <summary>A credential set; with <paramref name="includeSecrets"/> false, <c>credentials</c> is an empty object.</summary>
    public static JsonObject Write(CredentialSet c, bool includeSecrets) => new()
    {
        ["credentialsId"] = c.CredentialsId,
        ["type"] = c.Type,
        ["description"] = c.Description,
        ["credentials"] = includeSecrets ? c.Credentials.DeepClone() : new JsonObject(),
        ["createDateTime"] = c.CreateDateTime,
        ["updateDateTime"] = c.UpdateDateTime,
    };

    /// <summary>The whole document, secrets included: the seed form.</summary>
    public static JsonObject Write(RegistryDocument doc) => new()
    {
        ["credentials"] = new JsonArray([.. doc.Credentials.Select(static c => (JsonNode)Write(c, includeSecrets: true))]),
        ["groups"] = new JsonArray([.. doc.Groups.Select(static g => (JsonNode)Write(g, includeSecrets: true))]),
        ["subscribers"] = new JsonArray([.. doc.Subscribers.Select(static s => (JsonNode)Write(s))]),
    };

    private static JsonObject Tags(IReadOnlyDictionary<string, string> tags)
    {
        var o = new JsonObject();
        foreach (var (k, v) in tags)
        {
            o[k] = v;
        }

        return o;
    }

    private static void Optional(JsonObject o, string name, string? value)
    {
        if (value is not null)
        {
            o[name] = value;
        }
    }
}
