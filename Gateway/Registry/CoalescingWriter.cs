namespace Gateway.Registry;

/// <summary>
/// At most one writer task at a time over a queue that many callers fill: <see cref="Wake"/>, called after each
/// enqueue, starts the writer unless it is running; the writer writes batch after batch until it finds the queue
/// empty. A change enqueued just as the writer finds the queue empty is not left behind: after standing down, the
/// writer looks once more and takes up the work again if no new writer has.
/// </summary>
/// <param name="isEmpty">Whether the queue is empty now.</param>
/// <param name="writeBatch">Takes one batch off the queue and writes it; answers its callers itself, failure included.</param>
internal sealed class CoalescingWriter(Func<bool> isEmpty, Func<Task> writeBatch)
{
    private int _running;

    public void Wake()
    {
        if (Interlocked.CompareExchange(ref _running, 1, 0) == 0)
        {
            // Not on the caller's thread: it may be a socket's I/O thread, and the store blocks (see RegistryService).
            _ = Task.Run(RunAsync);
        }
    }

    private async Task RunAsync()
    {
        do
        {
            try
            {
                while (!isEmpty())
                {
                    await writeBatch();
                }
            }
            finally
            {
                // Even if a batch threw: the next Wake must be able to start a writer.
                Volatile.Write(ref _running, 0);
            }
        }
        while (!isEmpty() && Interlocked.CompareExchange(ref _running, 1, 0) == 0);
    }
}
