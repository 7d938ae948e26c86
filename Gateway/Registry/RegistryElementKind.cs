namespace Gateway.Registry;

/// <summary>The three kinds of registry element, each a table in a store; the numbers are stored (the change log).</summary>
internal enum RegistryElementKind
{
    Group = 0,
    Subscriber = 1,
    Credential = 2,
}
