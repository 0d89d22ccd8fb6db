using Toolkit.Tasks;

namespace Toolkit.Verdicts;

/// <summary>The thresholds a generalization verdict uses (docs/design.md §4); printed with every verdict.</summary>
public sealed record VerdictSettings
{
    /// <summary>A probe passes when the upper end of its 95% interval reaches in-distribution accuracy minus this.</summary>
    public double Tolerance { get; init; } = 0.1;
    /// <summary>In-distribution accuracy needed before the model is judged at all (below it: partial).</summary>
    public double GoodAccuracy { get; init; } = 0.8;
    /// <summary>The model follows the position-only shortcut on a probe when the lower end of the 95% interval of
    /// its agreement with the shortcut (where the shortcut and the rule disagree) reaches this; it does not
    /// follow it when the upper end stays below.</summary>
    public double ShortcutAgreement { get; init; } = 0.5;
    /// <summary>Disagreeing positions a probe needs before the shortcut test says anything.</summary>
    public int MinShortcutPositions { get; init; } = 50;
    /// <summary>Sequences evaluated per probe.</summary>
    public int Sequences { get; init; } = 256;
    /// <summary>Training examples the position-only baseline is fitted on.</summary>
    public int BaselineExamples { get; init; } = 2000;

    public override string ToString() =>
        $"a probe passes when the upper end of its 95% interval reaches in-distribution accuracy − {Tolerance:0.##}; judged only when in-distribution ≥ {GoodAccuracy:0.##}; " +
        $"memorizes positions when, on a failing probe, the model predicts a token at one of the position-only shortcut's offsets (per position, every offset " +
        $"right in training at least {PositionBaseline.NearBest:0.##} times as often as the best) on ≥ {ShortcutAgreement:0.##} (95% interval's lower end) " +
        $"of ≥ {MinShortcutPositions} positions where every such offset disagrees with the rule; generalizes when every inside probe of instances training never drew passes and no probe shows the shortcut; " +
        $"fails (not positional) when every failing such probe stays below {ShortcutAgreement:0.##} agreement (upper end); undetermined without one; " +
        $"outside probes' accuracy never decides; {Sequences} sequences per probe";
}
