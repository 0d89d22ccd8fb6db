using FsCheck;
using FsCheck.Fluent;
using Toolkit.Evaluation;

namespace Toolkit.Tests;

/// <summary>The rule every experiment uses to claim that two settings differ over seeds.</summary>
public class MeanComparisonTests
{
    private static Gen<double[]> Values(int min, int max) =>
        Gen.Choose(min, max).SelectMany(n => Gen.Choose(0, 1000).Select(x => x / 1000.0).ArrayOf(n));

    [Test]
    public void Fewer_than_five_seeds_never_claim_a_difference()
    {
        // Two groups a world apart still claim nothing from four seeds or fewer, paired or not.
        Prop.ForAll(Values(2, 4).ToArbitrary(), Values(2, 8).ToArbitrary(), (a, b) =>
        {
            var far = a.Select(x => x + 10).ToArray();
            return MeanComparison.Of(far, b).Direction == Difference.TooFewSeeds && MeanComparison.Of(b, far).Direction == Difference.TooFewSeeds
                   && MeanComparison.PairedOf(far, a).Direction == Difference.TooFewSeeds && MeanComparison.FromZero(far).Direction == Difference.TooFewSeeds;
        }).Check(PropertyConfig.Cases(100));
    }

    [Test]
    public void A_shift_beyond_the_spread_is_found_in_its_direction_and_swapping_the_groups_flips_it()
    {
        Prop.ForAll(Values(5, 8).ToArbitrary(), Values(5, 8).ToArbitrary(), (a, b) =>
        {
            var higher = a.Select(x => x + 2).ToArray(); // every value of `higher` exceeds every value of b
            var ab = MeanComparison.Of(higher, b);
            var ba = MeanComparison.Of(b, higher);
            return ab.Direction == Difference.Higher && ba.Direction == Difference.Lower && ab.Low > 0 && ab.P < 0.05 && ab.Seeds == Math.Min(a.Length, b.Length)
                   && Math.Abs(ab.MeanDifference + ba.MeanDifference) < 1e-12 && Math.Abs(ab.P - ba.P) < 1e-12;
        }).Check(PropertyConfig.Cases(100));
    }

    [Test]
    public void The_interval_excludes_zero_exactly_when_p_is_at_most_five_percent()
    {
        Prop.ForAll(Values(5, 8).ToArbitrary(), Values(5, 8).ToArbitrary(), Gen.Choose(0, 100).ToArbitrary(), (a, b, shift) =>
        {
            var c = MeanComparison.Of(a.Select(x => x + shift / 200.0).ToArray(), b);
            return (c.Low > 0 || c.High < 0) == (c.P <= 0.05) || Math.Abs(c.P - 0.05) < 1e-9;
        }).Check(PropertyConfig.Cases(200));
    }

    [Test]
    public void Identical_groups_show_no_difference()
    {
        Prop.ForAll(Values(5, 8).ToArbitrary(), a =>
        {
            var c = MeanComparison.Of(a, a.ToArray());
            var p = MeanComparison.PairedOf(a, a.ToArray());
            return c.Direction == Difference.NotShown && c.MeanDifference == 0 && c.Low <= 0 && c.High >= 0 && p.Direction == Difference.NotShown && p.Paired;
        }).Check(PropertyConfig.Cases(100));
    }

    [Test]
    public void Pairing_finds_a_consistent_shift_that_the_seed_to_seed_spread_hides()
    {
        // Each seed moves both arms alike; the second arm is 0.01 higher in every seed.
        double[] a = [0.1, 0.5, 0.9, 0.3, 0.7], b = a.Select((x, i) => x + 0.01 + 0.001 * i).ToArray();
        Assert.That(MeanComparison.Of(b, a).Direction, Is.EqualTo(Difference.NotShown));
        Assert.That(MeanComparison.PairedOf(b, a).Direction, Is.EqualTo(Difference.Higher));
    }

    [Test]
    public void The_words_name_the_direction_and_the_reference()
    {
        double[] high = [0.9, 0.91, 0.92, 0.93, 0.9], low = [0.5, 0.51, 0.52, 0.5, 0.53];
        Assert.That(MeanComparison.Of(high, low).Words("better than", "worse than", "standard"), Is.EqualTo("better than standard"));
        Assert.That(MeanComparison.Of(low, high).Words("better than", "worse than", "standard"), Is.EqualTo("worse than standard"));
        Assert.That(MeanComparison.Of([0.9, 0.9, 0.9, 0.9], [0.5, 0.5, 0.5, 0.5]).Words("better than", "worse than", "standard"), Does.StartWith("too few seeds (4, need 5)"));
    }
}
