using System.Security.Cryptography;
using FsCheck;
using FsCheck.Fluent;
using Gateway.Signing.Soracom;

namespace Gateway.Signing.Tests;

/// <summary>Both SHA-256 paths the signer can take agree with the platform's SHA-256 on every input.</summary>
public sealed class Sha256Tests
{
    [Fact]
    public void Native_path_is_available_on_linux()
    {
        // .NET on Linux loads libcrypto.so.3 itself; if this fails the signer silently runs at half speed.
        Assert.Equal(OperatingSystem.IsLinux(), Sha256.IsNative);
    }

    [Fact]
    public void Both_paths_match_the_platform_for_random_keys_and_messages()
    {
        var bytes = ArbMap.Default.GeneratorFor<byte[]>();
        var lengths = Gen.Elements(0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 511, 512, 513, 4096);
        var input =
            from key in bytes
            from messageLength in lengths
            from message in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), messageLength)
            select (Key: key, Message: message);

        Prop.ForAll(Arb.From(input), i =>
        {
            var expected = SHA256.HashData([.. i.Key, .. i.Message]);
            var managed = new byte[32];
            Sha256.HashManaged(i.Key, i.Message, managed);
            var ok = managed.AsSpan().SequenceEqual(expected);
            if (Sha256.IsNative)
            {
                var native = new byte[32];
                Sha256.HashNative(i.Key, i.Message, native);
                ok &= native.AsSpan().SequenceEqual(expected);
            }

            return ok;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Fact]
    public void Short_destination_is_refused()
    {
        Assert.Throws<ArgumentException>(() => Sha256.Hash([1], [2], new byte[31]));
    }
}
