using FsCheck;
using FsCheck.Fluent;
using Toolkit.Evaluation;

namespace Toolkit.Tests;

/// <summary>A family of claims over seeds keeps its family-wise error rate at 5% (Holm's correction).</summary>
public class HolmTests
{
    [Test]
    public void Holm_adjusted_p_values_are_ordered_bounded_and_reduce_to_p_for_one_claim()
    {
        Prop.ForAll(Gen.Choose(0, 1000).Select(x => x / 1000.0).ArrayOf().ToArbitrary(), p =>
        {
            var adjusted = Holm.Adjust(p);
            var orderKept = Enumerable.Range(0, p.Length).All(i => Enumerable.Range(0, p.Length).All(j => !(p[i] < p[j]) || adjusted[i] <= adjusted[j]));
            return orderKept && adjusted.Zip(p).All(x => x.First >= x.Second && x.First <= 1)
                   && (p.Length != 1 || adjusted[0] == p[0]);
        }).Check(PropertyConfig.Cases(200));
    }

    [Test]
    public void Holm_matches_the_step_down_rule_on_a_known_family()
    {
        // Sorted 0.01, 0.02, 0.03, 0.2 against 0.05/4, 0.05/3, 0.05/2, 0.05: the first two are shown, the third is not.
        var adjusted = Holm.Adjust([0.03, 0.01, 0.2, 0.02]);
        Assert.That(adjusted, Is.EqualTo(new[] { 0.06, 0.04, 0.2, 0.06 }).Within(1e-12));
        Assert.That(double.IsNaN(Holm.Adjust([double.NaN, 0.01])[0]) && Holm.Adjust([double.NaN, 0.01])[1] == 0.01, Is.True, "untested claims do not count");
    }

    [Test]
    public void A_family_of_true_null_claims_shows_any_claim_in_at_most_five_percent_of_experiments()
    {
        // 12 claims (routed-arithmetic's count), each two groups of 5 seeds from one distribution; some exponential, so
        // the claims' p-values are not exact. Without a correction, about 1 − 0.95^12 ≈ 46% of experiments claim something.
        const int experiments = 2000;
        var sim = new Simulated(7);
        var anyClaim = 0;
        for (var e = 0; e < experiments; e++)
        {
            var family = new ClaimFamily("simulated");
            var claims = Enumerable.Range(0, 12).Select(i =>
            {
                Func<double> draw = i % 2 == 0 ? sim.Normal : sim.Exponential;
                return family.Add($"claim {i}", MeanComparison.Of(sim.Draw(draw, 5), sim.Draw(draw, 5)));
            }).ToList();
            if (claims.Any(c => c.Shown)) anyClaim++;
        }
        var rate = (double)anyClaim / experiments;
        TestContext.Out.WriteLine($"12 true null claims: some claim shown in {rate:P1} of {experiments} simulated experiments");
        Assert.That(rate, Is.LessThanOrEqualTo(0.05 + 3 * Math.Sqrt(0.05 * 0.95 / experiments)));
    }

    [Test]
    public void A_family_still_shows_a_large_effect_and_prints_the_corrected_decision()
    {
        var family = new ClaimFamily("test family");
        var big = family.Add("big", MeanComparison.Of([10.0, 10.1, 10.2, 9.9, 10.05], [0.0, 0.1, -0.1, 0.05, 0.02]));
        var small = family.Add("small", MeanComparison.Of([0.3, 0.5, 0.2, 0.6, 0.4], [0.1, 0.3, 0.0, 0.4, 0.2])); // p ≈ 0.08 alone
        var few = family.Add("few", MeanComparison.Of([1.0, 2.0], [0.0, 0.5]));
        Assert.That(big.Direction, Is.EqualTo(Difference.Higher));
        Assert.That(small.Direction, Is.EqualTo(Difference.NotShown));
        Assert.That(few.Direction, Is.EqualTo(Difference.TooFewSeeds));
        Assert.That(family.Size, Is.EqualTo(2));
        Assert.That(big.Evidence, Does.Contain("Holm-adjusted p").And.Contain("over 2 claims"));
        Assert.That(family.Summary(), Does.Contain("2 claims tested as one family, 1 shown"));
        Assert.Throws<InvalidOperationException>(() => family.Add("late", small.Comparison), "a decided family takes no more claims");
    }

    [Test]
    public void Reading_a_decision_closes_the_family_even_with_too_few_seeds()
    {
        // A fast run (2 seeds) must fail where the full run (5 seeds) would: after its training, at the first late claim.
        var family = new ClaimFamily("fast run");
        var first = family.Add("first", MeanComparison.Of([1.0, 2.0], [0.0, 0.5]));
        Assert.That(first.Words("higher than", "lower than", "B"), Does.StartWith("too few seeds"));
        Assert.Throws<InvalidOperationException>(() => family.Add("second", MeanComparison.Of([1.0, 2.0], [0.0, 0.5])));
    }
}
