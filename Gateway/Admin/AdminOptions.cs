namespace Gateway.Admin;

/// <summary>Admin API settings (section <c>Gateway:Admin</c>).</summary>
internal sealed class AdminOptions
{
    /// <summary>The root auth key ID (<c>--root-auth-key-id</c>); generated on first start when absent.</summary>
    public string? RootAuthKeyId { get; set; }

    /// <summary>The root auth key secret (<c>--root-auth-key</c>); generated on first start when absent.</summary>
    public string? RootAuthKey { get; set; }

    /// <summary>The operator ID the API reports.</summary>
    public string OperatorId { get; set; } = "OP0000000000";

    /// <summary>Further auth keys, each with a SAM permission document (e.g. a read-only monitoring key).</summary>
    public List<AuthKeyOptions> AuthKeys { get; } = [];

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if ((RootAuthKeyId is null) != (RootAuthKey is null))
        {
            errors.Add("Gateway:Admin:RootAuthKeyId and Gateway:Admin:RootAuthKey (--root-auth-key-id, --root-auth-key) go together.");
        }

        if (RootAuthKey is { Length: < 16 })
        {
            errors.Add("Gateway:Admin:RootAuthKey must be at least 16 characters.");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        if (RootAuthKeyId is not null)
        {
            ids.Add(RootAuthKeyId);
        }

        for (var i = 0; i < AuthKeys.Count; i++)
        {
            var k = AuthKeys[i];
            if (string.IsNullOrEmpty(k.AuthKeyId) || !ids.Add(k.AuthKeyId))
            {
                errors.Add($"Gateway:Admin:AuthKeys:{i}:AuthKeyId must be present and unique.");
            }

            if (k.AuthKey is not { Length: >= 16 })
            {
                errors.Add($"Gateway:Admin:AuthKeys:{i}:AuthKey must be at least 16 characters.");
            }

            if (string.IsNullOrWhiteSpace(k.Permission))
            {
                errors.Add($"Gateway:Admin:AuthKeys:{i}:Permission is required (a SAM permission document).");
            }
            else
            {
                var permissionErrors = new List<string>();
                SamPermission.Parse(System.Text.Json.Nodes.JsonValue.Create(k.Permission), $"Gateway:Admin:AuthKeys:{i}:Permission", permissionErrors);
                errors.AddRange(permissionErrors);
            }
        }

        return errors;
    }
}
