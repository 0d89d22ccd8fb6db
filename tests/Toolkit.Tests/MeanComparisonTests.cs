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
    public void Fewer_than_three_seeds_never_claim_a_difference()
    {
        // Two groups a world apart still claim nothing from one or two seeds each: the bootstrap interval of one value is a point.
        Prop.ForAll(Values(1, 2).ToArbitrary(), Values(1, 8).ToArbitrary(), (a, b) =>
        {
            var far = a.Select(x => x + 10).ToArray();
            return MeanComparison.Of(far, b).Direction == Difference.TooFewSeeds && MeanComparison.Of(b, far).Direction == Difference.TooFewSeeds;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(100));
    }

    [Test]
    public void A_shift_beyond_the_spread_is_found_in_its_direction_and_swapping_the_groups_flips_it()
    {
        Prop.ForAll(Values(3, 8).ToArbitrary(), Values(3, 8).ToArbitrary(), (a, b) =>
        {
            var higher = a.Select(x => x + 2).ToArray(); // every value of `higher` exceeds every value of b
            var ab = MeanComparison.Of(higher, b);
            var ba = MeanComparison.Of(b, higher);
            return ab.Direction == Difference.Higher && ba.Direction == Difference.Lower && ab.Low > 0 && ab.Seeds == Math.Min(a.Length, b.Length)
                   && Math.Abs(ab.MeanDifference + ba.MeanDifference) < 1e-12;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(100));
    }

    [Test]
    public void Identical_groups_show_no_difference()
    {
        Prop.ForAll(Values(3, 8).ToArbitrary(), a =>
        {
            var c = MeanComparison.Of(a, a.ToArray());
            return c.Direction == Difference.NotShown && c.MeanDifference == 0 && c.Low <= 0 && c.High >= 0;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(100));
    }

    [Test]
    public void The_words_name_the_direction_and_the_reference()
    {
        var better = MeanComparison.Of([0.9, 0.91, 0.92], [0.5, 0.51, 0.52]);
        Assert.That(better.Words("better than", "worse than", "standard"), Is.EqualTo("better than standard"));
        Assert.That(MeanComparison.Of([0.5, 0.51, 0.52], [0.9, 0.91, 0.92]).Words("better than", "worse than", "standard"), Is.EqualTo("worse than standard"));
        Assert.That(MeanComparison.Of([0.9], [0.5]).Words("better than", "worse than", "standard"), Does.StartWith("too few seeds (1, need 3)"));
    }
}
