using System.Collections.Concurrent;
using Gateway.Radius;

namespace Gateway.Tests.Radius;

/// <summary>An accounting sink that records every call and answers as the test decides (true by default).</summary>
internal sealed class RecordingSink : IAccountingEventSink
{
    private readonly ConcurrentQueue<AccountingEvent> _calls = new();

    public Func<AccountingEvent, CancellationToken, ValueTask<bool>> Answer { get; set; } = static (_, _) => ValueTask.FromResult(true);

    public IReadOnlyList<AccountingEvent> Calls => [.. _calls];

    public async ValueTask<bool> HandleAsync(AccountingEvent accountingEvent, CancellationToken cancellationToken)
    {
        _calls.Enqueue(accountingEvent);
        return await Answer(accountingEvent, cancellationToken);
    }

    /// <summary>Waits until the sink has been called this many times in all, or fails the test after a few seconds.</summary>
    public async Task WaitForCallsAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (_calls.Count < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.True(_calls.Count >= count, $"the sink was called {_calls.Count} time(s), expected {count}");
    }
}
