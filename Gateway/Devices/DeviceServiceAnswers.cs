namespace Gateway.Devices;

/// <summary>
/// What one request/response device service (the metadata service, Endorse) says in the opening every such service
/// shares (<see cref="DeviceServicePrologue"/>): its name in log lines, its entry point for the counters, its error
/// codes for an unknown device and for a group that has it off, and the methods a browser's preflight is told.
/// </summary>
/// <param name="Name">The service as log lines name it, e.g. "Metadata".</param>
/// <param name="Route">Its Host route; <see cref="DeviceHostRoute.EntryPoint"/> tags its counters.</param>
/// <param name="UnknownCode">The error code of 403 "device not recognised", e.g. "MET0001".</param>
/// <param name="DisabledCode">The error code of 403 when the device's group has the service off.</param>
/// <param name="DisabledMessage">The message of that 403.</param>
/// <param name="PreflightMethods">The <c>Access-Control-Allow-Methods</c> of the answer to <c>OPTIONS</c>.</param>
internal sealed record DeviceServiceAnswers(
    string Name, DeviceHostRoute Route, string UnknownCode, string DisabledCode, string DisabledMessage, string PreflightMethods);
