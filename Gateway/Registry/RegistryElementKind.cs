namespace Gateway.Registry;

/// <summary>The three kinds of registry element, each a table in a store.</summary>
internal enum RegistryElementKind
{
    Group,
    Subscriber,
    Credential,
}
