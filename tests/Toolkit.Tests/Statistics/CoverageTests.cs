using Toolkit.Evaluation;

namespace Toolkit.Tests;

/// <summary>The intervals over seeds cover what they claim, measured by simulation at the seed counts experiments use
/// (5 per group): a few thousand simulated experiments per case, seeded, so the numbers repeat. A nominal 95% interval
/// must cover the true value in at least 93% of them (the Monte Carlo standard error at 4,000 experiments is 0.35%).</summary>
public class CoverageTests
{
    private const int Experiments = 4000;
    private const double Required = 0.93;

    // One group: the t interval holds 95% on normal data. On skewed data no interval of a mean holds its level at 5
    // values without growing several-fold (bootstrap-t: 2.6 times as wide on exponential data); the t interval's measured
    // coverage there is what docs/design.md §4 states, and these floors keep it from getting worse.
    [TestCase("normal", Required)]
    [TestCase("exponential", 0.86)] // measured 87.8%
    [TestCase("lognormal", 0.91)]   // measured 92.0%
    public void One_group_mean_interval_covers_at_five_seeds(string shape, double required)
    {
        var sim = new Simulated(1);
        var (draw, mean) = sim.Shape(shape);
        var covered = Enumerable.Range(0, Experiments).Count(_ =>
        {
            var i = MeanInterval.Of(sim.Draw(draw, 5));
            return i.Low <= mean && mean <= i.High;
        });
        Report($"one group, {shape}, n = 5", covered, required);
    }

    // Two groups of the same shape: the skew cancels in the difference. Of different shapes (a normal arm against an
    // exponential arm twice as spread) the difference is skewed again: measured 92.1%.
    [TestCase("normal", "normal", Required)]
    [TestCase("exponential", "exponential", Required)]
    [TestCase("lognormal", "lognormal", Required)]
    [TestCase("normal", "exponential", 0.91)]
    public void Two_group_difference_interval_covers_at_five_seeds_each(string shapeA, string shapeB, double required)
    {
        var sim = new Simulated(2);
        var (drawA, meanA) = sim.Shape(shapeA);
        var (drawB, meanB) = sim.Shape(shapeB);
        // Different spreads in the two groups (Welch's interval does not assume equal variances).
        var truth = (meanA + 1) - 2 * meanB;
        var covered = Enumerable.Range(0, Experiments).Count(_ =>
        {
            var c = MeanComparison.Of(sim.Draw(drawA, 5).Select(x => x + 1).ToList(), sim.Draw(drawB, 5).Select(x => 2 * x).ToList());
            return c.Low <= truth && truth <= c.High;
        });
        Report($"two groups, {shapeA} against {shapeB}, n = 5 + 5", covered, required);
    }

    [TestCase("normal")]
    [TestCase("exponential")]
    [TestCase("lognormal")]
    public void Paired_difference_interval_covers_at_five_pairs(string shape)
    {
        // Each seed shifts both arms alike (shared data and initialization); each arm adds its own skewed noise.
        var sim = new Simulated(3);
        var (draw, mean) = sim.Shape(shape);
        var covered = Enumerable.Range(0, Experiments).Count(_ =>
        {
            var seedEffect = sim.Draw(sim.Normal, 5).Select(x => 3 * x).ToArray();
            var a = seedEffect.Select(s => s + 0.5 + draw()).ToList();
            var b = seedEffect.Select(s => s + draw()).ToList();
            var c = MeanComparison.PairedOf(a, b);
            return c.Low <= 0.5 && 0.5 <= c.High;
        });
        Report($"paired, {shape} noise, 5 pairs", covered);
    }

    [Test]
    public void Icl_interval_over_seeds_covers_the_mean_over_seeds_and_windows()
    {
        // Two-stage sampling: a seed's model has its own mean score (seed sd 0.05), a text window adds its own (window sd
        // 0.3, heavier than the seed effect, as on text). Each seed scores its own 64 windows, drawn independently, so the
        // spread of per-seed means contains the window sampling and the interval over 5 seeds covers the population mean.
        var sim = new Simulated(4);
        var covered = Enumerable.Range(0, Experiments).Count(_ =>
        {
            var perSeed = Enumerable.Range(0, 5).Select(_ =>
            {
                var model = 0.05 * sim.Normal();
                return Enumerable.Range(0, 64).Average(_ => model + 0.3 * (sim.Exponential() - 1));
            }).ToList();
            var i = MeanInterval.Of(perSeed);
            return i.Low <= 0 && 0 <= i.High;
        });
        Report("ICL scores: 5 seeds, each on its own 64 windows", covered);
    }

    [Test]
    public void Icl_windows_shared_by_every_seed_do_not_cover_the_mean_over_windows()
    {
        // The contrast that makes each seed draw its own windows: one set of 64 windows scored by all five seeds fixes the
        // window effect for the whole experiment, and the interval over seeds misses the mean over windows far more often.
        var sim = new Simulated(5);
        var covered = Enumerable.Range(0, Experiments).Count(_ =>
        {
            var windows = Enumerable.Range(0, 64).Average(_ => 0.3 * (sim.Exponential() - 1));
            var perSeed = Enumerable.Range(0, 5).Select(_ => 0.05 * sim.Normal() + windows).ToList();
            var i = MeanInterval.Of(perSeed);
            return i.Low <= 0 && 0 <= i.High;
        });
        var coverage = (double)covered / Experiments;
        TestContext.Out.WriteLine($"ICL scores, 5 seeds sharing 64 windows: coverage {coverage:P1}");
        Assert.That(coverage, Is.LessThan(Required));
    }

    private static void Report(string what, int covered, double required = Required)
    {
        var coverage = (double)covered / Experiments;
        TestContext.Out.WriteLine($"{what}: coverage {coverage:P1} of {Experiments} simulated experiments");
        Assert.That(coverage, Is.GreaterThanOrEqualTo(required), $"{what}: a nominal 95% interval covered {coverage:P1}");
    }
}
