using Gateway.Radius;

namespace Gateway.Tests.Radius;

public sealed class ImeiTests
{
    [Theory]
    // 490154203237518 is the IMEI example of 3GPP TS 23.003 Annex B; its IMEISV with software version 01.
    [InlineData("4901542032375101", "490154203237518")]
    [InlineData("3534900612345601", "353490061234569")]
    [InlineData("3563620400000099", "356362040000006")]
    // Already an IMEI, and an IMEI without its check digit.
    [InlineData("490154203237518", "490154203237518")]
    [InlineData("49015420323751", "490154203237518")]
    [InlineData("", null)]
    [InlineData("35349006123456011", null)]
    [InlineData("353490061234560A", null)]
    [InlineData(null, null)]
    public void The_imei_is_the_first_14_digits_of_the_imeisv_plus_the_luhn_check_digit(string? imeisv, string? imei) =>
        Assert.Equal(imei, Imei.FromImeisv(imeisv));

    [Theory]
    [InlineData("7992739871", '3')]
    [InlineData("0", '0')]
    [InlineData("1", '8')]
    [InlineData("35349006123456", '9')]
    public void Luhn_check_digits_match_known_values(string digits, char check) =>
        Assert.Equal(check, Imei.LuhnCheckDigit(digits));

    [Fact]
    public void A_number_with_its_check_digit_appended_passes_the_luhn_test()
    {
        var random = new Random(2866);
        for (var i = 0; i < 1000; i++)
        {
            var digits = string.Concat(Enumerable.Range(0, 14).Select(_ => (char)('0' + random.Next(10))));
            var full = digits + Imei.LuhnCheckDigit(digits);
            var sum = 0;
            for (var j = 0; j < full.Length; j++)
            {
                // Luhn validation: double every second digit counted from the right, check digit excluded.
                var d = full[full.Length - 1 - j] - '0';
                sum += j % 2 == 1 ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d;
            }

            Assert.Equal(0, sum % 10);
        }
    }
}
