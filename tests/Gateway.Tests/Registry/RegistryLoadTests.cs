using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Registry;

namespace Gateway.Tests.Registry;

/// <summary>
/// The start's load path: the fast reader against the full parser, and rows read on one thread and applied on
/// another (<see cref="SubscriberLoadPipeline"/>) against one thread doing both.
/// </summary>
public sealed class RegistryLoadTests
{
    private static readonly HashSet<string> s_groups = new(StringComparer.Ordinal) { "fleet", "fleet-2" };

    /// <summary>Rows the fast reader must take (the gateway's own shape).</summary>
    public static TheoryData<string> PlainRows => new(
        """{"imsi":"440100000000001"}""",
        """{"imsi":"440100000000002","imei":"353000000000002","msisdn":"819000000002","groupId":"fleet","ipAddress":"10.0.0.2","tags":{"name":"meter-2"}}""",
        """{"imsi":"440100000000003","ipAddress":"255.255.255.255","tags":{}}""",
        """{"imsi":"440100000000004","ipAddress":"0.0.0.0","status":"inactive","groupId":"fleet-2"}""",
        """{"imsi":"440100000000005","msisdn":"+819000000005","simId":"8981100000000000005","imeiLock":{"imei":"353000000000005|ANONYMOUS"}}""",
        """{"imsi":"440100000000006","imeiLock":"353000000000006","tags":{"name":"a","site":"b","café":"x"}}""",
        """{"imsi":"440100000000007","ipAddress":"2001:db8::7","tags":{"name":"ünïcode ✓"}}""",
        """{"imsi":"440100000000008","ipAddress":"010.0.0.8","imei":null,"groupId":null}""",
        """{"imsi":"440100000000009","ipAddress":"1.2.3","status":"standby"}""",
        """{"imsi":"440100000000010","ipAddress":"::ffff:10.0.0.10"}""",
        """{"imsi":"440100000000011","ipAddress":"10.0.0.11","tags":{"name":"x"},}""");

    /// <summary>Rows the fast reader must leave to the full parser (escapes, other fields, lists, errors).</summary>
    public static TheoryData<string> OtherRows => new(
        """{"imsi":"440100000000020","tags":{"name":"a","name":"b"}}""",
        """{"imsi":"440100000000021","tags":{"na\u006de":"a"}}""",
        """{"imsi":"440100000000022","tags":{"name":1}}""",
        """{"imsi":"440100000000023","groupId":"nowhere"}""",
        """{"imsi":"440100000000024","status":"sleeping"}""",
        """{"imsi":"440100000000025","ipAddress":"256.0.0.1"}""",
        """{"imsi":"4401","ipAddress":"10.0.0.27"}""",
        """{"imsi":"440100000000028","msisdn":"++"}""",
        """{"imsi":"440100000000029","imei":"35300000000002x"}""",
        """{"imsi":"440100000000030","simId":"8981-0030"}""",
        """{"imsi":"440100000000031","imeiLock":{"imei":"353000000000031|anonymous"}}""",
        """{"imsi":"440100000000032","ipRanges":["10.1.0.0/24"]}""",
        """{"imsi":"440100000000033","iccid":"8981100000000000033"}""",
        """{"imsi":"440100000000034","imsi":"440100000000035"}""",
        """{"imsi":440100000000036}""",
        """{"imei":"353000000000037"}""",
        """{"imsi":"440100000000038","ipAddress":"10.0.0.\u0033"}""",
        """{"imsi":"440100000000039","tags":{"name":"a"},"x":1}""");

    [Theory]
    [MemberData(nameof(PlainRows))]
    public void Plain_rows_are_read_fast_to_what_the_parser_gives(string row)
    {
        Assert.True(SubscriberFastReader.TryRead(Encoding.UTF8.GetBytes(row), s_groups, out var fast, out var key));
        var errors = new List<string>();
        var parsed = RegistryParser.ParseSubscriberElement((JsonObject)JsonNode.Parse(row, documentOptions: new() { AllowTrailingCommas = true })!, 0, s_groups.Contains, errors);
        Assert.Empty(errors);
        Assert.Equal(Describe(parsed!), Describe(fast!));
        if (fast!.IpAddress is not null)
        {
            Assert.Equal(RegistrySnapshot.Key(IPAddress.Parse(fast.IpAddress)), key);
        }
    }

    [Theory]
    [MemberData(nameof(OtherRows))]
    public void Other_rows_are_left_to_the_parser(string row) =>
        Assert.False(SubscriberFastReader.TryRead(Encoding.UTF8.GetBytes(row), s_groups, out _, out _));

    [Theory]
    [InlineData("1.2.3.4", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("255.255.255.255", true)]
    [InlineData("10.200.3.40", true)]
    [InlineData("01.2.3.4", false)]
    [InlineData("1.2.3.04", false)]
    [InlineData("1.2.3", false)]
    [InlineData("1.2.3.4.5", false)]
    [InlineData("1.2.3.256", false)]
    [InlineData("1.2.3.", false)]
    [InlineData(".1.2.3", false)]
    [InlineData("1..2.3", false)]
    [InlineData("1.2.3.4 ", false)]
    [InlineData("1.2.3.1000", false)]
    [InlineData("::1", false)]
    public void Only_canonical_dotted_quads_are_read_from_their_bytes(string text, bool quad)
    {
        Assert.Equal(quad, SubscriberFastReader.TryReadDottedQuad(Encoding.ASCII.GetBytes(text), out var address));
        if (quad)
        {
            // What the parser would store: the same text, and the same address.
            Assert.Equal(text, IPAddress.Parse(text).ToString());
            Assert.Equal(RegistrySnapshot.Key(IPAddress.Parse(text)), ((UInt128)0xffff << 32) | address);
        }
    }

    /// <summary>
    /// Ten thousand rows with every kind of trouble a stored registry can hold, spread over many batches: read and
    /// applied on two threads they give the same SIMs and the same errors, in the same order, as on one.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rows_applied_on_a_second_thread_give_what_one_thread_gives(bool withErrors)
    {
        var rows = Rows(10_000, withErrors);
        var (oneThread, oneErrors) = Load(rows, pipelined: false);
        var (twoThreads, twoErrors) = Load(rows, pipelined: true);

        Assert.Equal(oneErrors, twoErrors);
        Assert.Equal(withErrors, oneErrors.Count > 0);
        if (!withErrors)
        {
            Assert.Equal(10_000, twoThreads!.Snapshot.SubscriberCount);
            Assert.Equal(
                oneThread!.Snapshot.SubscribersAfter(null).Select(Describe),
                twoThreads.Snapshot.SubscribersAfter(null).Select(Describe));
            Assert.Equal("440100000000100", twoThreads.Snapshot.FindByAddress(IPAddress.Parse("10.0.0.100"))!.Imsi);
            Assert.Equal("440100000000007", twoThreads.Snapshot.FindByAddress(IPAddress.Parse("10.7.0.1"))!.Imsi);
        }
        else
        {
            Assert.Contains(oneErrors, static e => e.Contains("subscribers[440100000000005].groupId: no group 'nowhere'", StringComparison.Ordinal));
            Assert.Contains(oneErrors, static e => e.Contains("'10.0.0.9' already identifies subscriber", StringComparison.Ordinal));
            Assert.Contains(oneErrors, static e => e.Contains("duplicate", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_failure_while_applying_ends_the_load_with_that_failure()
    {
        var applied = 0;
        using var pipeline = new SubscriberLoadPipeline(_ =>
        {
            if (++applied == 3000)
            {
                throw new InvalidOperationException("row 3000");
            }
        });
        var e = Assert.Throws<InvalidOperationException>(() =>
        {
            for (var i = 0; i < 1_000_000; i++)
            {
                pipeline.Add(default);
            }

            pipeline.Complete();
        });
        Assert.Equal("row 3000", e.Message);
        Assert.Equal(3000, applied);
    }

    [Fact]
    public void A_load_abandoned_before_its_end_stops_the_second_thread()
    {
        var applied = 0;
        var pipeline = new SubscriberLoadPipeline(_ => Interlocked.Increment(ref applied));
        for (var i = 0; i < 5000; i++)
        {
            pipeline.Add(default);
        }

        pipeline.Dispose();
        Assert.InRange(Volatile.Read(ref applied), 0, 5000);
    }

    [Fact]
    public void Keys_added_out_of_order_and_then_removed_come_out_sorted()
    {
        var builder = SortedKeys.Empty.ToBuilder();
        foreach (var key in new[] { "3", "1", "2", "5" })
        {
            builder.Add(key);
        }

        var inOrder = SortedKeys.Empty.ToBuilder();
        foreach (var key in new[] { "1", "2", "3" })
        {
            inOrder.Add(key);
        }

        Assert.Equal(["1", "2", "3", "5"], builder.ToImmutable().After(null));
        Assert.Equal(["1", "2", "3"], inOrder.ToImmutable().After(null));

        builder.Remove("2");
        builder.Add("4");
        builder.Add("2");
        builder.Remove("5");
        Assert.Equal(4, builder.Count);
        Assert.Equal(["1", "2", "3", "4"], builder.All());
        Assert.Equal(["3", "4"], builder.ToImmutable().After("2"));
    }

    /// <summary>Rows in storage order (not IMSI order), some of them in shapes only the full parser reads.</summary>
    private static List<(byte[] Id, byte[] Document)> Rows(int count, bool withErrors)
    {
        var rows = new List<(byte[], byte[])>();
        for (var n = 0; n < count; n++)
        {
            var i = (n * 7919) % count;
            var imsi = $"4401{i:00000000000}";
            var row = (i % 10) switch
            {
                7 => $$$"""{"imsi":"{{{imsi}}}","ipRanges":["10.{{{i % 250}}}.{{{i / 250}}}.0/24"]}""",
                8 => $$$"""{"imsi":"{{{imsi}}}","ipAddress":"10.0.{{{i / 250}}}.{{{i % 250}}}","tags":{"n\u00e4me":"caf\u00e9"}}""",
                _ => $$$"""{"imsi":"{{{imsi}}}","groupId":"fleet","ipAddress":"10.0.{{{i / 250}}}.{{{i % 250}}}","tags":{"name":"m-{{{i}}}"}}""",
            };
            if (withErrors)
            {
                row = i switch
                {
                    5 => $$$"""{"imsi":"{{{imsi}}}","groupId":"nowhere"}""",
                    9000 => $$$"""{"imsi":"{{{imsi}}}","ipAddress":"10.0.0.9"}""",
                    9001 => $$$"""{"imsi":"{{{Imsi(4)}}}"}""",
                    9002 => $$$"""{"imsi":"{{{imsi}}}","ipAddress":"10.0.0.9.9"}""",
                    _ => row,
                };
            }

            rows.Add((Encoding.UTF8.GetBytes(imsi), Encoding.UTF8.GetBytes(row)));
        }

        return rows;

        static string Imsi(int i) => $"4401{i:00000000000}";
    }

    private static (RegistryState? State, List<string> Errors) Load(List<(byte[] Id, byte[] Document)> rows, bool pipelined)
    {
        var edit = new RegistryEdit(RegistryState.Empty, wholeDocument: true);
        edit.ApplySmall([new RegistryChange(RegistryElementKind.Group, "fleet", new JsonObject { ["groupId"] = "fleet" })]);
        edit.ExpectSubscribers(rows.Count);
        using (var pipeline = pipelined ? new SubscriberLoadPipeline(edit.ApplyRow) : null)
        {
            foreach (var (id, document) in rows)
            {
                if (pipeline is null)
                {
                    edit.ApplySubscriberUtf8(id, document);
                }
                else
                {
                    pipeline.Add(edit.ReadRow(id, document));
                }
            }

            pipeline?.Complete();
        }

        var errors = new List<string>();
        return (edit.Finish(errors), errors);
    }

    private static string Describe(Subscriber s) =>
        string.Join('|', s.Imsi, s.Imei, s.Msisdn, s.SimId, s.GroupId, s.Status, s.ImeiLock, s.IpAddress,
            string.Join(',', s.IpRanges), string.Join(',', s.Tags.OrderBy(static t => t.Key, StringComparer.Ordinal).Select(static t => $"{t.Key}={t.Value}")));
}
