using System.Collections.Concurrent;
using Gateway.Registry;

namespace Gateway.Tests.Registry;

/// <summary>
/// The single writer behind coalesced registrations and bindings: every change enqueued is written, in batches,
/// by one writer at a time, including changes enqueued just as the writer finds the queue empty.
/// </summary>
public sealed class CoalescingWriterTests
{
    [Fact]
    public async Task Every_change_from_many_callers_is_written_by_one_writer_at_a_time()
    {
        var queue = new ConcurrentQueue<(int Change, TaskCompletionSource Done)>();
        var written = new ConcurrentBag<int>();
        var writing = 0;
        var overlapped = false;
        var batches = 0;
        var writer = new CoalescingWriter(() => queue.IsEmpty, async () =>
        {
            overlapped |= Interlocked.Increment(ref writing) > 1;
            await Task.Yield();
            Interlocked.Increment(ref batches);
            while (queue.TryDequeue(out var item))
            {
                written.Add(item.Change);
                item.Done.SetResult();
            }

            Interlocked.Decrement(ref writing);
        });

        // Callers in bursts from several threads, with pauses that let the writer stand down between them.
        var callers = Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            var mine = new List<Task>();
            for (var i = 0; i < 2_000; i++)
            {
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                queue.Enqueue(((t * 10_000) + i, done));
                writer.Wake();
                mine.Add(done.Task);
                if (i % 97 == 0)
                {
                    await Task.Delay(1);
                }
            }

            await Task.WhenAll(mine);
        })).ToArray();

        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(16_000, written.Distinct().Count());
        Assert.False(overlapped);
        Assert.InRange(batches, 1, 15_999);
    }

    [Fact]
    public async Task A_batch_that_throws_does_not_stop_later_changes_from_being_written()
    {
        var queue = new ConcurrentQueue<TaskCompletionSource>();
        var first = true;
        var writer = new CoalescingWriter(() => queue.IsEmpty, () =>
        {
            queue.TryDequeue(out var item);
            if (first)
            {
                first = false;
                item!.SetException(new InvalidOperationException("store down"));
                throw new InvalidOperationException("store down");
            }

            item!.SetResult();
            return Task.CompletedTask;
        });

        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        queue.Enqueue(failed);
        writer.Wake();
        await Assert.ThrowsAsync<InvalidOperationException>(() => failed.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));

        var later = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        queue.Enqueue(later);
        writer.Wake();
        await later.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }
}
