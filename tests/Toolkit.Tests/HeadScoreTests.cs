using FsCheck;
using FsCheck.Fluent;
using Toolkit.Analysis;
using static TorchSharp.torch;

namespace Toolkit.Tests;

public class HeadScoreTests
{
    /// <summary>Patterns that put all attention on one offset give exactly that head's score.</summary>
    [Test]
    public void Hand_built_patterns_score_exactly()
    {
        Prop.ForAll(Gen.Choose(3, 12).ToArbitrary(), Gen.Choose(0, 8).ToArbitrary(), (period, startSeed) =>
        {
            using var scope = NewDisposeScope();
            const int p = 32;
            if (2 * period > p) return true;
            var start = startSeed % (p - 2 * period + 1);
            var pattern = zeros(1, 3, p, p);
            for (var i = 0; i < p; i++)
            {
                pattern[0, 0, i, Math.Max(0, i - 1)] = 1;                                     // previous token
                var inSecond = i >= start + period && i < start + 2 * period;
                pattern[0, 1, i, inSecond ? i - period : i] = 1;                              // duplicate token
                pattern[0, 2, i, inSecond ? i - period + 1 : i] = 1;                          // induction
            }
            var s = HeadScores.FromPattern(pattern, 0, period, new[] { start });
            return Math.Abs(s[0].PreviousToken - 1) < 1e-6 && Math.Abs(s[1].DuplicateToken - 1) < 1e-6 && Math.Abs(s[2].Induction - 1) < 1e-6
                   && s[0].Induction < 1e-6 && s[1].PreviousToken < 1e-6 && s[2].DuplicateToken < 1e-6;
        }).Check(PropertyConfig.Quick);
    }

    [Test]
    public void Scoring_period_is_never_a_training_period()
    {
        Prop.ForAll(Gen.Choose(3, 31).ToArbitrary(), Gen.Choose(3, 31).ToArbitrary(), (a, b) =>
        {
            var seen = Enumerable.Range(Math.Min(a, b), Math.Abs(a - b) + 1).ToList();
            int period;
            // When every period that fits would credit a predictive offset, refusing is the right answer.
            try { period = ScoringBatch.ChoosePeriod(64, seen, 62); }
            catch (ToolkitException) { return Enumerable.Range(3, 30).All(q => ScoringBatch.ScoredOffsets(q).Any(seen.Contains)); }
            return !ScoringBatch.ScoredOffsets(period).Any(seen.Contains) && 2 * period <= 64;
        }).Check(PropertyConfig.Quick);
    }
}
