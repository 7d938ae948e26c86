namespace Gateway.Devices;

/// <summary>
/// A device service on the HTTP device listener that is not a message into the pipeline but an API of its own
/// (the metadata service, Endorse): it gets every request whose Host matches <see cref="Route"/>, and identifies the
/// caller itself, because what a refusal looks like is part of its own API.
/// </summary>
internal interface IDeviceHostHandler
{
    DeviceHostRoute Route { get; }

    Task HandleAsync(HttpContext context);
}
