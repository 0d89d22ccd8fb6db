using Toolkit.Evaluation;
using Toolkit.Tasks;

namespace Toolkit.Verdicts;

/// <summary>The answers to "algorithm or memorized positions?" (docs/design.md §4).</summary>
public enum VerdictKind
{
    /// <summary>Every held-out inside probe passes and no probe shows the positional shortcut.</summary>
    Generalizes,
    /// <summary>On a failing probe the model's predictions follow the positional shortcut where it disagrees with the rule.</summary>
    MemorizesPositions,
    /// <summary>Held-out inside probes fail, and on each the model is shown not to follow the shortcut.</summary>
    FailsNotPositional,
    /// <summary>The task has no held-out inside probe, and no probe shows the shortcut.</summary>
    Undetermined,
    /// <summary>Held-out inside probes fail and the shortcut test cannot tell whether the failure is positional.</summary>
    Partial,
    /// <summary>In-distribution accuracy is below the bar: the model has not learned its own task, so shifts of it are not judged.</summary>
    NotLearned,
}

/// <summary>Verdict kinds in words.</summary>
public static class VerdictKinds
{
    /// <summary>"memorizes positions", "generalizes", "fails (not positional)", "undetermined", "partial" or "not learned".</summary>
    public static string Word(this VerdictKind kind) => kind switch
    {
        VerdictKind.MemorizesPositions => "memorizes positions",
        VerdictKind.Generalizes => "generalizes",
        VerdictKind.FailsNotPositional => "fails (not positional)",
        VerdictKind.Undetermined => "undetermined",
        VerdictKind.NotLearned => "not learned",
        _ => "partial",
    };

    /// <summary>The kind a word names (<see cref="Word"/>, as saved in verdict.json).</summary>
    /// <exception cref="ToolkitException">No kind has that word.</exception>
    public static VerdictKind Parse(string word) =>
        Enum.GetValues<VerdictKind>().Where(k => k.Word() == word).Select(k => (VerdictKind?)k).FirstOrDefault()
        ?? throw new ToolkitException($"\"{word}\" is not a verdict", $"a verdict is one of: {string.Join(", ", Enum.GetValues<VerdictKind>().Select(k => k.Word()))}");

    /// <summary>The kind as what a model does, to follow "the model": "memorizes positions", "generalizes", "fails (not
    /// positional)", "is undetermined", "is partial" or "has not learned its task".</summary>
    public static string Predicate(this VerdictKind kind) => kind switch
    {
        VerdictKind.Undetermined or VerdictKind.Partial => "is " + kind.Word(),
        VerdictKind.NotLearned => "has not learned its task",
        _ => kind.Word(),
    };

    /// <summary>"memorizes positions in 5 of 5 seeds" or "generalizes in 3 of 5 seeds, has not learned its task in 2 of 5
    /// seeds": reads after "the model".</summary>
    public static string Tally(IReadOnlyList<VerdictKind> perSeed) =>
        string.Join(", ", perSeed.GroupBy(k => k).OrderByDescending(g => g.Count()).ThenBy(g => g.Key)
            .Select(g => $"{g.Key.Predicate()} in {g.Count()} of {perSeed.Count} seeds"));
}

/// <summary>One probe measured: the model beside the position-only baseline and chance, and the
/// shortcut test where the model fails.</summary>
public sealed record ProbeOutcome(
    string Name, ProbeKind Kind, string Description, EvalResult Eval, double BaselineAccuracy, double ChanceAccuracy, bool Passed,
    ShortcutAgreement Shortcut, double UntrainedPositions)
{
    /// <summary>Share of an inside probe's instances whose shape training could draw (<see cref="IShapeSupport"/>); null for
    /// outside probes and for tasks that do not state their support.</summary>
    public double? DrawnInTraining { get; init; }

    /// <summary>An inside probe none of whose instances training could draw (as far as the task states): only these decide
    /// "generalizes" and "fails (not positional)".</summary>
    public bool HeldOut => Kind.IsInside && !(DrawnInTraining > 0);

    /// <summary>"held-out-periods 99.1% [98.6%, 99.5%]": how a verdict line cites the probes that decided it.</summary>
    public string Cite => $"{Name} {Eval.Accuracy:P1} [{Eval.AccuracyLow:P1}, {Eval.AccuracyHigh:P1}]";

    /// <summary>The result column of verdict tables ("pass", "FAIL", "fail (outside: reported only)", "pass (drawn in training: reported only)").</summary>
    public string Result =>
        Kind.IsInside && !HeldOut ? $"{(Passed ? "pass" : "fail")} (drawn in training: reported only)"
        : Passed ? "pass" : Kind.IsInside ? "FAIL" : "fail (outside: reported only)";
}

/// <summary>A verdict with its evidence: in-distribution and probe accuracies with 95% intervals,
/// baselines, the shortcut test on failing probes, and what the heads do.</summary>
public sealed record GeneralizationVerdict(
    VerdictKind Kind, EvalResult InDistribution, double InDistributionBaseline, double Chance,
    IReadOnlyList<ProbeOutcome> Probes, IReadOnlyList<string> Evidence, VerdictSettings Settings)
{
    /// <summary>For a model that generalizes and was judged with its head scores: whether it does so by induction (also one
    /// line of <see cref="Evidence"/>); null otherwise.</summary>
    public InductionAttribution? Mechanism { get; init; }

    /// <summary>Held-out inside probes (<see cref="ProbeOutcome.HeldOut"/>) that failed.</summary>
    public IReadOnlyList<ProbeOutcome> FailingInside => Probes.Where(p => p.HeldOut && !p.Passed).ToList();

    /// <summary>Failing probes (inside or outside) on which the model follows the positional shortcut.</summary>
    public IReadOnlyList<ProbeOutcome> ShortcutFollowed => Probes.Where(p => !p.Passed && p.Shortcut.Follows(Settings)).ToList();

    /// <summary>The probes that decided the verdict: every held-out inside probe (generalizes), those where the model follows
    /// the shortcut (memorizes positions), the failing held-out inside probes (fails, partial); none otherwise.</summary>
    public IReadOnlyList<ProbeOutcome> Deciding => Kind switch
    {
        VerdictKind.Generalizes => Probes.Where(p => p.HeldOut).ToList(),
        VerdictKind.MemorizesPositions => ShortcutFollowed,
        VerdictKind.FailsNotPositional => FailingInside,
        VerdictKind.Partial => FailingInside,
        _ => [],
    };

    /// <summary>The deciding probes cited with their accuracy and 95% interval, e.g. "held-out-periods 99.1% [98.6%, 99.5%]".</summary>
    public string CiteDeciding => string.Join(", ", Deciding.Select(p => p.Cite));

    /// <summary>The verdict in words, naming the probes that decided it, e.g. "generalizes (held-out-periods 99.1% [98.6%, 99.5%])".</summary>
    public string Headline => Kind switch
    {
        VerdictKind.Generalizes => $"generalizes ({CiteDeciding})",
        VerdictKind.MemorizesPositions => $"memorizes positions (on {CiteDeciding} it predicts a token at one of the position-only shortcut's offsets where they and the rule disagree)",
        VerdictKind.FailsNotPositional => $"fails (not positional): fails {CiteDeciding} without following the position-only shortcut",
        VerdictKind.Undetermined => "undetermined: no inside probe of instances training never drew (the task's probes cannot test generalization, and none shows the shortcut)",
        VerdictKind.NotLearned => $"not learned: in-distribution accuracy {InDistribution.Accuracy:P0} is below {Settings.GoodAccuracy:P0}, so shifts of the task are not judged",
        _ => $"partial: fails {CiteDeciding}; the shortcut test does not decide whether it is positional",
    };

    /// <summary>A plain-text table of every measurement, then the verdict and its evidence (<see cref="VerdictView.Text"/>).</summary>
    public string Render() => VerdictView.Text(VerdictResult.Of(this));
}
