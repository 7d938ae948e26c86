namespace Gateway.Registry;

/// <summary>
/// A stored subscriber as read on the store's thread (<see cref="RegistryEdit.ReadRow"/>), to be applied in order
/// (<see cref="RegistryEdit.ApplyRow"/>): the SIM the fast reader made and its address key, or, for a row in any
/// other shape, its ID and text for the full parser, which reports its errors.
/// </summary>
internal readonly record struct StoredSubscriberRow(Subscriber? Parsed, UInt128 AddressKey, string? Id, string? Document);
