namespace Gateway.Registry;

/// <summary>
/// One address binding written (RADIUS Start or Interim-Update) or removed (<see cref="Binding"/> null: Stop) — the
/// removal only while the address is still bound to <see cref="ExpectedImsi"/> when that is given.
/// </summary>
internal sealed record BindingChange(string Address, AddressBinding? Binding, string? ExpectedImsi);
