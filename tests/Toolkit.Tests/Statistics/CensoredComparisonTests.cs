using FsCheck;
using FsCheck.Fluent;
using Toolkit.Evaluation;

namespace Toolkit.Tests;

/// <summary>Outcomes some seeds never reach ("steps to 90%", "first induction head") are censored at the budget:
/// reported as "reached in k of n", compared with an exact permutation test of the Gehan statistic, never imputed.</summary>
public class CensoredComparisonTests
{
    /// <summary>n runs with exponential times of mean <paramref name="scale"/> on a 10-step grid, censored at the budget.</summary>
    internal static List<TimeToEvent> Runs(Simulated sim, int n, double scale, double budget) =>
        Enumerable.Range(0, n).Select(_ => Math.Round(scale * sim.Exponential() / 10) * 10 + 10).Select(t => t > budget ? TimeToEvent.NotBy(budget) : TimeToEvent.At(t)).ToList();

    [Test]
    public void Under_the_null_the_test_claims_a_difference_in_at_most_five_percent_of_experiments()
    {
        // Both groups from one distribution, a third of the runs censored at the shared budget, times on a 10-step grid (ties).
        const int experiments = 3000;
        var sim = new Simulated(11);
        var claims = Enumerable.Range(0, experiments).Count(_ => CensoredComparison.Of(Runs(sim, 5, 1000, 1100), Runs(sim, 5, 1000, 1100)).Direction is Difference.Higher or Difference.Lower);
        var rate = (double)claims / experiments;
        TestContext.Out.WriteLine($"censored, 5 + 5 runs, same distribution: a difference claimed in {rate:P1} of {experiments} experiments");
        Assert.That(rate, Is.LessThanOrEqualTo(0.05 + 3 * Math.Sqrt(0.05 * 0.95 / experiments)));
    }

    [Test]
    public void A_group_that_never_reaches_it_is_later_than_one_that_always_does_and_is_never_given_the_budget()
    {
        var never = Enumerable.Repeat(TimeToEvent.NotBy(1000), 5).ToList();
        var early = new[] { 200, 250, 300, 350, 400 }.Select(s => TimeToEvent.At(s)).ToList();
        var c = CensoredComparison.Of(never, early);
        Assert.That(c.Direction, Is.EqualTo(Difference.Higher));
        Assert.That(c.P, Is.EqualTo(2.0 / 252).Within(1e-12), "the most extreme of 252 splits, either way");
        Assert.That(c.Statistic, Is.EqualTo(25));
        Assert.That(c.A.ToString(), Is.EqualTo("reached in 0 of 5 seeds"));
        Assert.That(c.B.ToString(), Is.EqualTo("reached in 5 of 5 seeds (median step 300 among those; Kaplan–Meier median 300)"));
    }

    [Test]
    public void Runs_censored_before_the_other_group_reaches_it_leave_the_order_open()
    {
        // A stopped at 500 without reaching it; B reached it at 800: A may be later or sooner, so the pair scores 0.
        Assert.That(TimeToEvent.NotBy(500).LaterThan(TimeToEvent.At(800)), Is.EqualTo(0));
        Assert.That(TimeToEvent.NotBy(900).LaterThan(TimeToEvent.At(800)), Is.EqualTo(1));
        Assert.That(TimeToEvent.At(800).LaterThan(TimeToEvent.NotBy(900)), Is.EqualTo(-1));
        Assert.That(TimeToEvent.NotBy(900).LaterThan(TimeToEvent.NotBy(900)), Is.EqualTo(0));
    }

    [Test]
    public void The_Gehan_score_is_antisymmetric_and_the_test_is_symmetric_in_its_groups()
    {
        var outcome = Gen.Choose(1, 20).Select(x => x * 50).Two().Select(t => t.Item1 > 600 ? TimeToEvent.NotBy(600) : TimeToEvent.At(t.Item1));
        Prop.ForAll(outcome.ListOf(5).ToArbitrary(), outcome.ListOf(5).ToArbitrary(), (a, b) =>
        {
            var ab = CensoredComparison.Of(a.ToList(), b.ToList());
            var ba = CensoredComparison.Of(b.ToList(), a.ToList());
            return ab.Statistic == -ba.Statistic && Math.Abs(ab.P - ba.P) < 1e-12 && a.All(x => b.All(y => x.LaterThan(y) == -y.LaterThan(x)));
        }).Check(PropertyConfig.Cases(100));
    }

    [Test]
    public void The_Kaplan_Meier_median_is_unknown_when_fewer_than_half_reach_it()
    {
        var mostlyNever = new[] { TimeToEvent.At(300), TimeToEvent.At(500), TimeToEvent.NotBy(1000), TimeToEvent.NotBy(1000), TimeToEvent.NotBy(1000) };
        var s = TimeToEventSummary.Of(mostlyNever);
        Assert.That(s.ToString(), Is.EqualTo("reached in 2 of 5 seeds (median step 400 among those; Kaplan–Meier median not reached (fewer than half reached it))"));
        var most = new[] { TimeToEvent.At(300), TimeToEvent.At(500), TimeToEvent.At(700), TimeToEvent.NotBy(1000), TimeToEvent.NotBy(1000) };
        Assert.That(TimeToEventSummary.Of(most).KaplanMeierMedian, Is.EqualTo(700));
    }

    [Test]
    public void Fewer_than_five_seeds_make_no_claim()
    {
        var c = CensoredComparison.Of([TimeToEvent.NotBy(100), TimeToEvent.NotBy(100), TimeToEvent.NotBy(100), TimeToEvent.NotBy(100)],
                                      [TimeToEvent.At(1), TimeToEvent.At(2), TimeToEvent.At(3), TimeToEvent.At(4)]);
        Assert.That(c.Direction, Is.EqualTo(Difference.TooFewSeeds));
        Assert.That(c.Words("later than", "sooner than", "B"), Does.StartWith("too few seeds (4, need 5)"));
    }
}
