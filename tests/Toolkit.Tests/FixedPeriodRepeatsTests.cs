using Toolkit.Experiments;
using Toolkit.Training;
using Toolkit.Verdicts;

namespace Toolkit.Tests;

/// <summary>Fixed-period models with 2 to 6 repeats are judged "memorizes positions" in each of 5 seeds (issue 21 §2).
/// With R repeats every earlier copy's offset is right in training, and a memorizer spreads its predictions over
/// them: against one fitted offset per position it agreed too rarely to be called positional (before the shortcut
/// became the union of those offsets, these models read "generalizes" for 4 repeats and "undetermined" for 5 and
/// 6). <see cref="FixedPeriodRepeats"/> holds the configuration; scripts/fixed-period-repeats.csx runs the same
/// study and the review's period 16 × 4 at the demo's settings.</summary>
public class FixedPeriodRepeatsTests
{
    private const int Seeds = 5;

    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    [TestCase(5)]
    [TestCase(6)]
    public void A_fixed_period_model_memorizes_positions_in_every_seed_whatever_the_number_of_repeats(int repeats)
    {
        var root = Directory.CreateTempSubdirectory($"toolkit-repeats-{repeats}-").FullName;
        try
        {
            var kinds = new List<VerdictKind>();
            for (var seed = 0L; seed < Seeds; seed++)
            {
                var dir = Path.Combine(root, $"seed{seed}");
                Trainer.Train(FixedPeriodRepeats.Config(repeats, seed), dir);
                var verdict = SeedStudy.Judge(dir).Verdict;
                TestContext.Out.WriteLine($"period {FixedPeriodRepeats.Period(repeats)} × {repeats}, seed {seed}: in distribution {verdict.InDistribution.Accuracy:P1}; {verdict.Headline}");
                foreach (var p in verdict.Probes.Where(p => !p.Passed)) TestContext.Out.WriteLine($"  {p.Name}: {p.Shortcut}");
                kinds.Add(verdict.Kind);
            }
            Assert.That(kinds, Is.All.EqualTo(VerdictKind.MemorizesPositions), VerdictKinds.Tally(kinds));
        }
        finally { Directory.Delete(root, recursive: true); }
    }
}
