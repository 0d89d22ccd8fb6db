using FsCheck;
using FsCheck.Fluent;
using Toolkit.Evaluation;

namespace Toolkit.Tests;

/// <summary>A censored outcome's trend over ordered settings ("the phase change comes later with more layers"): one
/// Jonckheere–Terpstra claim with Gehan's scores and a permutation p-value, instead of a claim per pair of levels.</summary>
public class CensoredTrendTests
{
    private static List<TimeToEvent> Runs(Simulated sim, int n, double scale, double budget) => CensoredComparisonTests.Runs(sim, n, scale, budget);

    private static readonly Gen<TimeToEvent> Outcome =
        Gen.Choose(1, 20).Select(x => x * 50).Select(t => t > 600 ? TimeToEvent.NotBy(600) : TimeToEvent.At(t));

    [Test]
    public void Under_the_null_it_claims_a_trend_in_at_most_five_percent_of_experiments()
    {
        // Four levels of 5 runs from one distribution, a third censored at the shared budget, ties on a 10-step grid:
        // 11.7 billion assignments, so the p-value comes from random ones.
        const int experiments = 2000;
        var sim = new Simulated(7);
        var claims = Enumerable.Range(0, experiments).Count(_ =>
            CensoredTrend.Of(Enumerable.Range(0, 4).Select(_ => (IReadOnlyList<TimeToEvent>)Runs(sim, 5, 1000, 1100)).ToList(), assignments: 999).Direction
                is Difference.Higher or Difference.Lower);
        var rate = (double)claims / experiments;
        TestContext.Out.WriteLine($"censored, 4 levels × 5 runs, same distribution: a trend claimed in {rate:P1} of {experiments} experiments");
        Assert.That(rate, Is.LessThanOrEqualTo(0.05 + 3 * Math.Sqrt(0.05 * 0.95 / experiments)));
    }

    [Test]
    public void One_trend_claim_shows_a_steady_trend_more_often_than_pairwise_claims_under_Holm()
    {
        // Three levels, each later than the last by half the spread: one trend claim has power that pairwise claims at
        // 5 + 5 (smallest p 2/252, three of them under Holm) lack.
        var sim = new Simulated(3);
        const int experiments = 200;
        int trend = 0, pairwise = 0;
        for (var e = 0; e < experiments; e++)
        {
            var levels = Enumerable.Range(0, 3).Select(k => (IReadOnlyList<TimeToEvent>)Runs(sim, 5, 300, 10_000).Select(t => TimeToEvent.At(t.Time + 150 * k)).ToList()).ToList();
            if (CensoredTrend.Of(levels, assignments: 999).Direction == Difference.Higher) trend++;
            var ps = new[] { (0, 1), (1, 2), (0, 2) }.Select(p => CensoredComparison.Of(levels[p.Item2], levels[p.Item1]).P).Order().ToList();
            if (ps[0] <= 0.05 / 3) pairwise++;
        }
        TestContext.Out.WriteLine($"trend shown in {trend} of {experiments}; some pairwise claim surviving Holm in {pairwise}");
        Assert.That(trend, Is.GreaterThan(pairwise + 20));
    }

    [Test]
    public void Two_levels_give_the_Gehan_comparison_of_the_larger_level_against_the_smaller()
    {
        Prop.ForAll(Outcome.ListOf(5).ToArbitrary(), Outcome.ListOf(4).ToArbitrary(), (a, b) =>
        {
            var trend = CensoredTrend.Of([a.ToList(), b.ToList()]);
            var gehan = CensoredComparison.Of(b.ToList(), a.ToList());
            return trend.Statistic == gehan.Statistic && Math.Abs(trend.P - gehan.P) < 1e-12 && trend.Pairs == 20;
        }).Check(PropertyConfig.Cases(100));
    }

    [Test]
    public void Reversing_the_order_of_the_levels_negates_the_statistic_and_keeps_the_p_value()
    {
        Prop.ForAll(Outcome.ListOf(3).ToArbitrary(), Outcome.ListOf(3).ToArbitrary(), Outcome.ListOf(2).ToArbitrary(), (a, b, c) =>
        {
            var up = CensoredTrend.Of([a.ToList(), b.ToList(), c.ToList()]);
            var down = CensoredTrend.Of([c.ToList(), b.ToList(), a.ToList()]);
            return up.Statistic == -down.Statistic && Math.Abs(up.P - down.P) < 1e-12;
        }).Check(PropertyConfig.Cases(100));
    }

    [Test]
    public void Random_assignments_approach_the_exact_p_value()
    {
        // 3 + 3 + 3 runs: 1,680 assignments, enumerated; 200,000 random ones agree within their sampling error.
        var sim = new Simulated(5);
        for (var e = 0; e < 5; e++)
        {
            var levels = Enumerable.Range(0, 3).Select(k => (IReadOnlyList<TimeToEvent>)Runs(sim, 3, 400 + 200 * k, 900)).ToList();
            var exact = CensoredTrend.Of(levels);
            var sampled = SampledP(levels);
            Assert.That(sampled, Is.EqualTo(exact.P).Within(4 * Math.Sqrt(exact.P * (1 - exact.P) / 200_000) + 1e-5), string.Join(" | ", levels.Select(l => string.Join(",", l))));
        }

        // The same statistic with the runs' group labels shuffled 200,000 times.
        static double SampledP(IReadOnlyList<IReadOnlyList<TimeToEvent>> levels)
        {
            var runs = levels.SelectMany((l, g) => l.Select(t => (t, g))).ToArray();
            int J(IList<int> groups)
            {
                var s = 0;
                for (var i = 0; i < runs.Length; i++)
                    for (var j = 0; j < runs.Length; j++) if (groups[i] > groups[j]) s += runs[i].t.LaterThan(runs[j].t);
                return s;
            }
            var observed = Math.Abs(J(runs.Select(r => r.g).ToArray()));
            var rng = new Random(1);
            var labels = runs.Select(r => r.g).ToArray();
            var atLeast = 0;
            for (var r = 0; r < 200_000; r++) { rng.Shuffle(labels); if (Math.Abs(J(labels)) >= observed) atLeast++; }
            return atLeast / 200_000.0;
        }
    }

    [Test]
    public void Levels_ordered_without_overlap_give_the_largest_statistic_and_levels_with_too_few_seeds_no_claim()
    {
        var levels = Enumerable.Range(0, 3).Select(k => (IReadOnlyList<TimeToEvent>)Enumerable.Range(0, 5).Select(i => TimeToEvent.At(100 * k + 10 * i + 10)).ToList()).ToList();
        var trend = CensoredTrend.Of(levels);
        Assert.That((trend.Statistic, trend.Pairs, trend.Concordance), Is.EqualTo((75, 75, 1.0)));
        Assert.That(trend.Direction, Is.EqualTo(Difference.Higher));
        Assert.That(trend.P, Is.LessThan(1e-3));
        Assert.That(trend.Format(x => x.ToString("0.00")), Is.EqualTo("Jonckheere–Terpstra (Gehan) statistic 75 over 75 pairs (concordance 1.00)"));
        var never = levels.Append(Enumerable.Repeat(TimeToEvent.NotBy(1000), 4).ToList()).ToList();
        Assert.That(CensoredTrend.Of(never).Direction, Is.EqualTo(Difference.TooFewSeeds));
    }
}
