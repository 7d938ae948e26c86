using Gateway.RandomInput;

namespace Gateway.Tests.RandomInput;

/// <summary>
/// A short slice of the random-input run (tests/tools/RandomInput; the full run is 10 million inputs per parser, not
/// in CI): 20,000 generated inputs per parser with a fixed seed, so the same inputs every time. None may escape the
/// parser's documented results or break its contract, and none may still be running after 10 s (a bound no input
/// comes near; it only tells a hang from a slow machine). Heap growth is measured by the full run, not here: other
/// tests share this process's heap.
/// </summary>
public sealed class RandomInputSliceTests : IDisposable
{
    private readonly string _findings = Directory.CreateTempSubdirectory("gw-random-input-").FullName;

    public static TheoryData<string> Parsers => [.. ParserTargets.Names];

    public void Dispose() => Directory.Delete(_findings, recursive: true);

    [Theory]
    [MemberData(nameof(Parsers))]
    public void Generated_inputs_neither_escape_nor_hang(string parser)
    {
        var result = new RandomInputRunner(ParserTargets.Create(parser), Slice(20_000)).Run();

        Assert.Equal(20_000, result.Inputs);
        Assert.True(result.EscapeCount == 0 && result.Hangs.Count == 0 && !result.GaveUp, result.Describe());
    }

    [Fact]
    public void An_exception_out_of_a_parser_is_counted_as_an_escape_and_its_input_saved()
    {
        var result = new RandomInputRunner(new ThrowingTarget(), Slice(100)).Run();

        var escape = Assert.Single(result.Escapes);
        Assert.Equal(100, escape.Count);
        Assert.StartsWith("InvalidOperationException at ", escape.Signature, StringComparison.Ordinal);
        Assert.True(File.Exists(escape.SavedAs), escape.SavedAs);
        Assert.False(result.Clean);
    }

    [Fact]
    public void An_input_that_never_returns_is_reported_as_a_hang_and_the_run_given_up()
    {
        using var release = new ManualResetEventSlim();
        var options = Slice(10) with { HangAfter = TimeSpan.FromMilliseconds(100), GiveUpAfter = TimeSpan.FromMilliseconds(500) };
        var runner = new RandomInputRunner(new BlockingTarget(release), options);
        try
        {
            var result = runner.Run();

            Assert.True(result.GaveUp);
            Assert.StartsWith("input 0 still running after ", Assert.Single(result.Hangs), StringComparison.Ordinal);
            Assert.Equal(0, result.Inputs);
            Assert.True(File.Exists(Path.Combine(_findings, "BlockingTarget-hang-1-0.bin")));
        }
        finally
        {
            release.Set();
            Assert.True(runner.WaitForWorker(TimeSpan.FromSeconds(30)));
        }
    }

    [Fact]
    public void An_input_slow_once_but_fast_when_run_again_is_a_stall_not_a_hang()
    {
        // The first run returns only once the watchdog has saved it as still running: slow once, then fast.
        var options = Slice(10) with { HangAfter = TimeSpan.FromMilliseconds(100) };
        var result = new RandomInputRunner(new SlowOnceTarget(Path.Combine(_findings, "SlowOnceTarget-hang-1-0.bin")), options).Run();

        Assert.Empty(result.Hangs);
        Assert.StartsWith("input 0 took ", Assert.Single(result.Stalls), StringComparison.Ordinal);
        Assert.True(result.Clean);
        Assert.Equal(10, result.Inputs);
    }

    private RunOptions Slice(long inputs) => new()
    {
        Inputs = inputs,
        Seed = 1,
        HangAfter = TimeSpan.FromSeconds(10),
        GiveUpAfter = TimeSpan.FromSeconds(60),
        HeapEvery = 5_000,
        OutputDirectory = _findings,
    };

    private abstract class FakeTarget : IParserTarget
    {
        public string Name => GetType().Name;

        public string Description => "a parser that misbehaves on purpose";

        public IReadOnlyList<byte[]> Samples { get; } = [[1, 2, 3]];

        public IReadOnlyList<byte[]> Tokens { get; } = [[0]];

        public int MaxInputBytes => 64;

        public byte[] Shape(byte[] input, Random random) => input;

        public abstract void Run(byte[] input);
    }

    private sealed class ThrowingTarget : FakeTarget
    {
        public override void Run(byte[] input) => throw new InvalidOperationException("a parser bug");
    }

    private sealed class SlowOnceTarget(string watchdogFile) : FakeTarget
    {
        private bool _once;

        public override void Run(byte[] input)
        {
            if (!_once)
            {
                _once = true;
                Assert.True(SpinWait.SpinUntil(() => File.Exists(watchdogFile), TimeSpan.FromSeconds(30)));
            }
        }
    }

    private sealed class BlockingTarget(ManualResetEventSlim release) : FakeTarget
    {
        public override void Run(byte[] input) => release.Wait();
    }
}
