namespace Gateway.Registry;

/// <summary>
/// A registration waiting for the coalescing writer (<see cref="RegistryService.ApplyCoalescedAsync"/>), with the
/// binding to write in the same transaction and to put in force here once written (RADIUS auto-registration), if any.
/// </summary>
internal sealed record QueuedRegistration(RegistryChange Change, BindingChange? Binding, Action? Publish)
{
    public TaskCompletionSource<RegistryUpdateResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
