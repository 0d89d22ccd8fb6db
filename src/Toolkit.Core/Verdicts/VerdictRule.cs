using Toolkit.Evaluation;

namespace Toolkit.Verdicts;

/// <summary>The one verdict rule (docs/design.md §4), used by the probe suite and so by <c>probe</c>, the demo,
/// reports and scripts. Pure: it sees only measurements, so tests can drive it with any outcome.</summary>
public static class VerdictRule
{
    /// <summary>A probe passes when the upper end of its 95% interval reaches in-distribution accuracy minus the tolerance.</summary>
    public static bool Passes(EvalResult probe, EvalResult inDistribution, VerdictSettings settings) =>
        probe.AccuracyHigh >= inDistribution.Accuracy - settings.Tolerance;

    /// <summary>Decides the verdict from in-distribution accuracy and the measured probes.</summary>
    public static VerdictKind Decide(EvalResult inDistribution, IReadOnlyList<ProbeOutcome> probes, VerdictSettings settings)
    {
        // A model that has not learned its own task cannot be judged on shifts of it.
        if (!(inDistribution.Accuracy >= settings.GoodAccuracy)) return VerdictKind.NotLearned;
        // The mechanism, shown: where the shortcut and the rule disagree, the model sides with the shortcut.
        // Any failing probe can show it (a new period is where a fixed-offset memorizer gives itself away),
        // even an outside one: it is the predictions, not the probe's accuracy, that decide.
        if (probes.Any(p => !p.Passed && p.Shortcut.Follows(settings))) return VerdictKind.MemorizesPositions;
        // Only instances training never drew can show generalization: an inside probe that training could draw is reported only.
        var inside = probes.Where(p => p.HeldOut).ToList();
        if (inside.Count == 0) return VerdictKind.Undetermined;
        var failingInside = inside.Where(p => !p.Passed).ToList();
        if (failingInside.Count == 0) return VerdictKind.Generalizes;
        return failingInside.All(p => p.Shortcut.DoesNotFollow(settings)) ? VerdictKind.FailsNotPositional : VerdictKind.Partial;
    }
}
