using System.Globalization;
using Toolkit.Analysis;

namespace Toolkit.Verdicts;

/// <summary>The HTML rendering of a saved analysis (<see cref="AnalysisFile"/>, notebooks): which checkpoint, the head
/// scores with the roles named, the circuit, the training dynamics, and every head's ablation effect beside the clean model.</summary>
public static class AnalysisView
{
    private static string F(double x) => x.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>The analysis as HTML: a summary line, the head table, then the ablation table.</summary>
    public static string Html(AnalysisFile file)
    {
        var a = file.Analysis;
        var summary = $"analysis of checkpoint step {file.CheckpointStep} (seed {file.Seed}, ablations on {file.Sequences} sequences). " +
                      $"Circuit: {(a.Circuit is null ? "none found" : a.Circuit.ToString())}. Training: {file.Dynamics}";
        var clean = a.Ablations.FirstOrDefault();
        var kinds = a.Ablations.Select(x => x.Kind).Distinct().ToList();
        var ablations = Toolkit.Html.Table(
            clean is null ? "no head ablated" : $"accuracy / loss with one head ablated (clean model: {F(clean.CleanAccuracy)} / {F(clean.CleanLoss)})",
            ["head", .. kinds.Select(k => $"{k.ToString().ToLowerInvariant()} ablation")],
            a.Ablations.GroupBy(x => x.Name).Select(g => (IReadOnlyList<string>)
                [g.Key, .. kinds.Select(k => g.FirstOrDefault(x => x.Kind == k) is { } e ? $"{F(e.Accuracy)} / {F(e.Loss)}" : "")]));
        return $"<p>{Toolkit.Html.Encode(summary)}</p>" + HeadTableView.Html(a.Heads) + ablations;
    }
}
