namespace Gateway.Adapters.Tests.PubSub;

/// <summary>One emulator shared by a test class (it takes seconds to start); none when it is not installed.</summary>
public sealed class EmulatorFixture : IAsyncLifetime
{
    internal PubSubEmulator? Emulator { get; private set; }

    /// <summary>The running emulator; skips the test, with the reason, when it is not installed.</summary>
    internal PubSubEmulator Running
    {
        get
        {
            PubSubEmulator.SkipIfMissing();
            return Emulator!;
        }
    }

    public async ValueTask InitializeAsync()
    {
        if (PubSubEmulator.Missing is null)
            Emulator = await PubSubEmulator.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Emulator is not null)
            await Emulator.DisposeAsync();
    }
}
