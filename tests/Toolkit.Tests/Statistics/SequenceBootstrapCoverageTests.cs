using Toolkit.Evaluation;

namespace Toolkit.Tests;

/// <summary>The per-sequence accuracy interval every verdict uses (<see cref="Bootstrap.Interval"/>: percentile bootstrap
/// over hundreds of sequences) covers the pooled accuracy it estimates, measured by simulation: each sequence has its own
/// accuracy (sequences differ in difficulty) and 20 predictable positions.</summary>
public class SequenceBootstrapCoverageTests
{
    [TestCase(256, 0.5, 0.93)]
    [TestCase(256, 0.9, 0.93)]
    [TestCase(256, 0.99, 0.93)]
    [TestCase(256, 0.999, 0.85)] // at the boundary (5 wrong positions expected in 5,120) it covers less: measured 87.5%
    [TestCase(32, 0.9, 0.93)]
    public void The_sequence_bootstrap_covers_the_pooled_accuracy(int sequences, double accuracy, double required)
    {
        const int experiments = 400, positions = 20;
        var sim = new Simulated(13);
        // Per-sequence accuracy: Beta-like spread around the mean (a sequence's difficulty), kept inside [0, 1].
        double Difficulty() => Math.Clamp(accuracy + (1 - accuracy) * (sim.Uniform() - 0.5) * 1.5, 0, 1);
        var covered = 0;
        for (var e = 0; e < experiments; e++)
        {
            var correct = new long[sequences];
            var masked = new long[sequences];
            for (var s = 0; s < sequences; s++)
            {
                var p = Difficulty();
                masked[s] = positions;
                for (var i = 0; i < positions; i++) if (sim.Uniform() < p) correct[s]++;
            }
            var (low, high) = Bootstrap.Interval(correct, masked, seed: e);
            if (low <= accuracy && accuracy <= high) covered++;
        }
        var coverage = (double)covered / experiments;
        TestContext.Out.WriteLine($"{sequences} sequences of {positions} positions, accuracy {accuracy:P1}: coverage {coverage:P1} of {experiments}");
        Assert.That(coverage, Is.GreaterThanOrEqualTo(required));
    }
}
