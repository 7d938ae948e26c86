namespace Gateway.Metrics;

/// <summary>Starts <see cref="GcPauseListener"/> with the host (only where metrics are exported); it then lives as long as the process.</summary>
internal sealed class GcPauseRecording : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        GcPauseListener.EnsureStarted();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
