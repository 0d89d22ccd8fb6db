using System.Text;
using Toolkit.Evaluation;
using Toolkit.Tasks;

namespace Toolkit.Verdicts;

/// <summary>The three answers to "algorithm or memorized positions?" (docs/design.md §4).</summary>
public enum VerdictKind { Generalizes, MemorizesPositions, Partial }

/// <summary>One probe measured: the model beside the position-only baseline and chance.</summary>
public sealed record ProbeOutcome(
    string Name, ProbeKind Kind, string Description, EvalResult Eval, double BaselineAccuracy, double ChanceAccuracy, bool Passed)
{
    /// <summary>Whether the model is no better than positions or chance here.</summary>
    public bool NearBaselineOrChance(double margin) => Eval.Accuracy <= Math.Max(BaselineAccuracy, ChanceAccuracy) + margin;
}

/// <summary>A verdict with its evidence: in-distribution and probe accuracies with 95% intervals,
/// baselines, failing probes, and what the heads do.</summary>
public sealed record GeneralizationVerdict(
    VerdictKind Kind, EvalResult InDistribution, double InDistributionBaseline, double Chance,
    IReadOnlyList<ProbeOutcome> Probes, IReadOnlyList<string> Evidence, VerdictSettings Settings)
{
    /// <summary>Inside probes that failed.</summary>
    public IReadOnlyList<ProbeOutcome> FailingInside => Probes.Where(p => p.Kind.IsInside && !p.Passed).ToList();

    /// <summary>The verdict in words, e.g. "partial: fails held-out-periods".</summary>
    public string Headline => Kind switch
    {
        VerdictKind.Generalizes => "generalizes",
        VerdictKind.MemorizesPositions => $"memorizes positions (fails {string.Join(", ", FailingInside.Select(p => p.Name))} near the position-only baseline or chance)",
        _ => InDistribution.Accuracy < Settings.GoodAccuracy && FailingInside.Count == 0
            ? $"partial: in-distribution accuracy {InDistribution.Accuracy:P0} is below {Settings.GoodAccuracy:P0}"
            : !Probes.Any(p => p.Kind.IsInside)
                ? "partial: the task has no inside probe to test generalization with"
                : $"partial: fails {string.Join(", ", FailingInside.Select(p => p.Name))}",
    };

    /// <summary>A plain-text table of every measurement, then the verdict and its evidence.</summary>
    public string Render()
    {
        var sb = new StringBuilder();
        sb.AppendLine("  set                  kind     accuracy [95% CI]             loss    positions-only  chance   result");
        void Row(string name, string kind, EvalResult e, double baseline, double chance, string result) =>
            sb.AppendLine($"  {name,-20} {kind,-8} {e.Accuracy,6:P1} [{e.AccuracyLow,6:P1}, {e.AccuracyHigh,6:P1}]  {e.Loss,7:F3}  {baseline,12:P1}  {chance,6:P1}   {result}");
        Row("in-distribution", "", InDistribution, InDistributionBaseline, Chance, "");
        foreach (var p in Probes)
            Row(p.Name, p.Kind.IsInside ? "inside" : "outside", p.Eval, p.BaselineAccuracy, p.ChanceAccuracy,
                p.Passed ? "pass" : p.Kind.IsInside ? "FAIL" : "fail (outside: reported only)");
        sb.AppendLine($"verdict: {Headline}");
        foreach (var e in Evidence) sb.AppendLine($"  evidence: {e}");
        sb.AppendLine($"  rule: {Settings}");
        return sb.ToString();
    }
}
