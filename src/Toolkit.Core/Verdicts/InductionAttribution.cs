using Toolkit.Analysis;
using Toolkit.Evaluation;
using Toolkit.Model;
using Toolkit.Tasks;

namespace Toolkit.Verdicts;

/// <summary>What the heads say about how a generalizing model solves its task (docs/design.md §4, "by induction").</summary>
public enum InductionFinding
{
    /// <summary>Induction heads are named and ablating them together costs every held-out probe at least the margin.</summary>
    ByInduction,
    /// <summary>Induction heads are named, but ablating them together does not cost some held-out probe the margin.</summary>
    HeadsNotNeeded,
    /// <summary>No head scores above the threshold as an induction head on the run's scoring layout.</summary>
    NoInductionHead,
}

/// <summary>One held-out probe's accuracy with the named induction heads ablated together, beside the clean model on the
/// same sequences; the drop's 95% interval is the per-sequence paired bootstrap (<see cref="Bootstrap.DifferenceInterval"/>).</summary>
public sealed record InductionAblation(string Probe, double Clean, double Ablated, double DropLow, double DropHigh)
{
    /// <summary>Clean minus ablated accuracy.</summary>
    public double Drop => Clean - Ablated;

    /// <summary>"held-out-periods 99.6% → 4.1% (drop 95.5% [94.6%, 96.3%])".</summary>
    public override string ToString() => $"{Probe} {Clean:P1} → {Ablated:P1} (drop {Drop:P1} [{DropLow:P1}, {DropHigh:P1}])";
}

/// <summary>The one rule for saying a model solves its task "by induction": named induction heads (score above the
/// threshold on the run's scoring layout) exist, and mean-ablating all of them at once costs every held-out inside probe
/// at least <see cref="MinDrop"/> of accuracy, by the lower end of the 95% interval of the drop. Anything less is said as
/// what it is: heads named but not needed by this test, or no head named.</summary>
public sealed record InductionAttribution(InductionFinding Finding, IReadOnlyList<string> Heads, IReadOnlyList<InductionAblation> Ablations)
{
    /// <summary>Accuracy the ablation must cost (lower end of the drop's 95% interval): the verdict's tolerance, so the
    /// ablated model would fail a probe the clean model passes with no margin to spare.</summary>
    public const double MinDrop = 0.1;

    /// <summary>How the heads are ablated: each head's z replaced by its mean over the probe's sequences and positions.</summary>
    public const AblationKind Kind = AblationKind.Mean;

    /// <summary>Ablates the named induction heads of <paramref name="heads"/> together on each held-out probe's examples,
    /// beside the probe's clean evaluation of the same examples.</summary>
    public static InductionAttribution Measure(HookedTransformer model, HeadScoreTable heads,
        IReadOnlyList<(string Probe, IReadOnlyList<Example> Examples, EvalResult Clean)> heldOut)
    {
        var named = heads.Named(HeadRole.Induction);
        if (named.Count == 0) return new InductionAttribution(InductionFinding.NoInductionHead, [], []);
        var set = named.Select(h => (h.Layer, h.Head)).ToList();
        var ablations = heldOut.Select(p =>
        {
            var (clean, ablated) = HeadSetAblation.Evaluate(model, p.Examples, set, Kind, p.Clean);
            var (low, high) = Bootstrap.DifferenceInterval(clean.CorrectPerSequence, ablated.CorrectPerSequence, clean.PositionsPerSequence);
            return new InductionAblation(p.Probe, clean.Accuracy, ablated.Accuracy, low, high);
        }).ToList();
        return new InductionAttribution(Decide(ablations), named.Select(h => h.Name).ToList(), ablations);
    }

    /// <summary>The rule on measured ablations of named heads: by induction when there is at least one and every drop's
    /// interval starts at or above <see cref="MinDrop"/>.</summary>
    public static InductionFinding Decide(IReadOnlyList<InductionAblation> ablations) =>
        ablations.Count > 0 && ablations.All(a => a.DropLow >= MinDrop) ? InductionFinding.ByInduction : InductionFinding.HeadsNotNeeded;

    /// <summary>True only for <see cref="InductionFinding.ByInduction"/>.</summary>
    public bool ByInduction => Finding == InductionFinding.ByInduction;

    /// <summary>The finding in words, with the ablations behind it.</summary>
    public override string ToString()
    {
        var heads = string.Join(", ", Heads);
        var measured = string.Join("; ", Ablations);
        var how = $"mean-ablating them together (each head's z replaced by its mean over the probe's sequences and positions)";
        return Finding switch
        {
            InductionFinding.ByInduction =>
                $"by induction: induction heads {heads} named, and {how} costs every held-out probe at least {MinDrop:P0} of accuracy ({measured})",
            InductionFinding.HeadsNotNeeded =>
                $"induction heads {heads} named, but {how} does not cost every held-out probe {MinDrop:P0} of accuracy ({measured}): how it generalizes is not shown",
            _ => "no induction head named (none scores above the threshold on the scoring layout): how it generalizes is not shown",
        };
    }
}
