using System.Text;
using Gateway.Spool;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Spool;

/// <summary>The spool's segment files: round trip, replay after a restart, torn and corrupt tails, bounds, age, file modes.</summary>
public sealed class DurableSpoolTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gw-spool-").FullName;
    private readonly ListLogger _log = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private DurableSpool Open(SpoolOptions? options = null, TimeProvider? time = null) =>
        DurableSpool.Open(_dir, "test", options ?? new SpoolOptions(), time ?? TimeProvider.System, _log);

    private static async Task<(Guid Id, string Text)> AppendAsync(DurableSpool spool, string text)
    {
        var id = Guid.CreateVersion7();
        Assert.Equal(SpoolAppend.Stored, await spool.AppendAsync(id, Encoding.UTF8.GetBytes(text)));
        return (id, text);
    }

    /// <summary>Reads every record available now (waiting briefly for the writer), without completing them.</summary>
    private static async Task<List<SpoolRecord>> ReadAvailableAsync(DurableSpool spool)
    {
        var records = new List<SpoolRecord>();
        while (true)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            wait.CancelAfter(TimeSpan.FromMilliseconds(300));
            try
            {
                if (await spool.ReadAsync(wait.Token) is not { } record)
                {
                    return records;
                }

                records.Add(record);
            }
            catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
            {
                return records;
            }
        }
    }

    private static string Text(SpoolRecord r) => Encoding.UTF8.GetString(r.Payload.Span);

    private string Segment() => Assert.Single(Directory.GetFiles(_dir, "*.seg"));

    [Fact]
    public async Task Appended_messages_are_read_back_with_their_ids_and_a_delivered_spool_leaves_no_segment()
    {
        var spool = Open();
        var sent = new[] { await AppendAsync(spool, "one"), await AppendAsync(spool, "two") };
        Assert.Equal(2, spool.Depth);
        var read = await ReadAvailableAsync(spool);
        Assert.Equal(sent.Select(static s => s.Id), read.Select(static r => r.Id));
        Assert.Equal(["one", "two"], read.Select(Text));
        foreach (var r in read)
        {
            spool.Complete(r);
        }

        Assert.Equal(0, spool.Depth);
        await spool.DisposeAsync();

        // The next start finds every record done and deletes the segment.
        await using var again = Open();
        Assert.Equal(0, again.Depth);
        Assert.Empty(Directory.GetFiles(_dir, "*.seg"));
    }

    [Fact]
    public async Task After_a_restart_only_the_records_not_completed_are_handed_out_again_with_the_same_ids()
    {
        var spool = Open();
        var sent = new[] { await AppendAsync(spool, "a"), await AppendAsync(spool, "b"), await AppendAsync(spool, "c") };
        var read = await ReadAvailableAsync(spool);
        spool.Complete(read[1]);
        await spool.DisposeAsync();

        await using var again = Open();
        Assert.Equal(2, again.Depth);
        var replayed = await ReadAvailableAsync(again);
        Assert.Equal([sent[0].Id, sent[2].Id], replayed.Select(static r => r.Id));
        Assert.Contains(_log.Lines, static l => l.Contains("2 undelivered messages", StringComparison.Ordinal));

        // New appends after the restart go to a new segment and are read after the old ones.
        var late = await AppendAsync(again, "d");
        Assert.Equal(late.Id, Assert.Single(await ReadAvailableAsync(again)).Id);
    }

    [Fact]
    public async Task A_torn_record_at_the_tail_is_cut_off_and_logged_and_the_whole_ones_survive()
    {
        var spool = Open();
        var kept = await AppendAsync(spool, "whole");
        await spool.DisposeAsync();
        var wholeLength = new FileInfo(Segment()).Length;
        await using (var file = new FileStream(Segment(), FileMode.Append))
        {
            // A record header promising 100 bytes, then only 10 of them: a write the crash interrupted.
            await file.WriteAsync(new byte[] { 100, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 }, Ct);
        }

        await using var again = Open();
        var read = await ReadAvailableAsync(again);
        Assert.Equal(kept.Id, Assert.Single(read).Id);
        Assert.Equal(wholeLength, new FileInfo(Segment()).Length);
        Assert.Contains(_log.Lines, static l => l.Contains("torn or corrupt record", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_record_whose_crc_does_not_match_ends_the_segment_there()
    {
        var spool = Open();
        var first = await AppendAsync(spool, "first-record");
        await AppendAsync(spool, "second-record");
        await AppendAsync(spool, "third-record");
        await spool.DisposeAsync();

        // Flip one byte of the second record's payload.
        var bytes = await File.ReadAllBytesAsync(Segment(), Ct);
        var at = Encoding.UTF8.GetString(bytes).IndexOf("second", StringComparison.Ordinal);
        bytes[at] ^= 0xFF;
        await File.WriteAllBytesAsync(Segment(), bytes, Ct);

        await using var again = Open();
        Assert.Equal(1, again.Depth);
        Assert.Equal(first.Id, Assert.Single(await ReadAvailableAsync(again)).Id);
        Assert.Contains(_log.Lines, static l => l.Contains("torn or corrupt record", StringComparison.Ordinal));
    }

    private static SpoolOptions Small(string whenFull) => new() { SegmentBytes = 64 * 1024, MaxBytes = 128 * 1024, WhenFull = whenFull };

    [Fact]
    public async Task A_full_spool_set_to_refuse_refuses_new_messages_and_keeps_the_old_ones()
    {
        await using var spool = Open(Small("refuse"));
        var payload = new string('x', 10_000);
        var stored = new List<Guid>();
        SpoolAppend result;
        while ((result = await spool.AppendAsync(Guid.CreateVersion7(), Encoding.UTF8.GetBytes(payload))) == SpoolAppend.Stored)
        {
            stored.Add(Guid.Empty);
            Assert.True(stored.Count < 100, "the spool never filled");
        }

        Assert.Equal(SpoolAppend.Full, result);
        Assert.InRange(stored.Count, 10, 13);
        Assert.Equal(stored.Count, (await ReadAvailableAsync(spool)).Count);
        Assert.True(spool.Bytes <= 128 * 1024);
    }

    [Fact]
    public async Task A_full_spool_set_to_drop_oldest_drops_its_oldest_segment_to_take_new_messages()
    {
        await using var spool = Open(Small("drop-oldest"));
        var payload = Encoding.UTF8.GetBytes(new string('x', 10_000));
        var ids = new List<Guid>();
        for (var i = 0; i < 40; i++)
        {
            var id = Guid.CreateVersion7();
            Assert.Equal(SpoolAppend.Stored, await spool.AppendAsync(id, payload));
            ids.Add(id);
        }

        Assert.True(spool.Bytes <= 128 * 1024);
        var read = (await ReadAvailableAsync(spool)).Select(static r => r.Id).ToList();
        Assert.InRange(read.Count, 6, 13);
        Assert.Equal(ids.TakeLast(read.Count), read);
        Assert.Contains(_log.Lines, static l => l.Contains("dropped its oldest segment", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_record_older_than_the_age_limit_is_dropped_instead_of_handed_out()
    {
        var clock = new ManualClock();
        await using var spool = Open(new SpoolOptions { MaxAgeHours = 1 }, clock);
        await AppendAsync(spool, "old");
        clock.Advance(TimeSpan.FromMinutes(61));
        var fresh = await AppendAsync(spool, "fresh");
        Assert.Equal(fresh.Id, Assert.Single(await ReadAvailableAsync(spool)).Id);
        Assert.Equal(1, spool.Depth);
    }

    [Fact]
    public async Task Segment_and_ack_files_are_readable_by_the_owner_only()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        await using var spool = Open();
        await AppendAsync(spool, "x");
        spool.Complete(Assert.Single(await ReadAvailableAsync(spool)));
        await AppendAsync(spool, "y");
        foreach (var file in Directory.GetFiles(_dir))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        Assert.Contains(Directory.GetFiles(_dir), static f => f.EndsWith(".ack", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Concurrent_appends_with_interval_fsync_are_all_stored_once()
    {
        await using var spool = Open(new SpoolOptions { Fsync = "interval", FsyncIntervalMilliseconds = 5 });
        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => spool.AppendAsync(Guid.CreateVersion7(), Encoding.UTF8.GetBytes($"m{i}"))));
        Assert.All(results, static r => Assert.Equal(SpoolAppend.Stored, r));
        var read = await ReadAvailableAsync(spool);
        Assert.Equal(200, read.Select(Text).Distinct().Count());
    }

    [Fact]
    public void The_crc_is_crc32c()
    {
        // The check value of CRC-32C over "123456789" (RFC 3720, B.4).
        Assert.Equal(0xE3069283u, SegmentFormat.Crc32C("123456789"u8));
    }

    [Fact]
    public async Task A_spool_directory_in_use_is_refused_with_its_path_and_free_again_once_closed()
    {
        var first = Open();
        await AppendAsync(first, "kept");

        var refused = Assert.Throws<SpoolInUseException>(() => Open());
        Assert.Contains($"the spool directory '{_dir}' is in use by another gateway process", refused.Message, StringComparison.Ordinal);

        await first.DisposeAsync();
        await using var again = Open();
        Assert.Equal("kept", Text(Assert.Single(await ReadAvailableAsync(again))));
    }
}
