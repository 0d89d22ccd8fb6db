using FsCheck;
using FsCheck.Fluent;
using Toolkit.Evaluation;

namespace Toolkit.Tests;

/// <summary>Student's t distribution against tabulated values and its own symmetry.</summary>
public class StudentTTests
{
    [TestCase(0.975, 1, 12.7062047)]
    [TestCase(0.975, 4, 2.7764451)]
    [TestCase(0.975, 8, 2.3060041)]
    [TestCase(0.995, 4, 4.6040949)]
    [TestCase(0.975, 1000000, 1.9599640)]
    public void Quantiles_match_the_tables(double p, double df, double expected) =>
        Assert.That(StudentT.Quantile(p, df), Is.EqualTo(expected).Within(2e-4 * expected));

    [Test]
    public void A_fractional_df_as_Welch_gives_lies_between_its_integer_neighbours() =>
        Assert.That(StudentT.Quantile(0.9, 7.5), Is.InRange(1.3968, 1.4149)); // tabulated at df 8 and 7

    [Test]
    public void The_cdf_inverts_the_quantile_and_is_symmetric()
    {
        Prop.ForAll(Gen.Choose(1, 999).Select(x => x / 1000.0).ToArbitrary(), Gen.Choose(1, 400).Select(x => x / 10.0).ToArbitrary(), (p, df) =>
        {
            var t = StudentT.Quantile(p, df);
            return Math.Abs(StudentT.Cdf(t, df) - p) < 1e-9 && Math.Abs(StudentT.Cdf(-t, df) - (1 - p)) < 1e-9
                   && Math.Abs(StudentT.TwoSidedP(t, df) - 2 * Math.Min(p, 1 - p)) < 1e-9;
        }).Check(PropertyConfig.Cases(200));
    }
}
