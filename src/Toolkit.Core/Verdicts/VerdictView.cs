using System.Globalization;
using System.Text;

namespace Toolkit.Verdicts;

/// <summary>The one HTML rendering of a verdict, for run reports and notebooks (beside the text of
/// <see cref="GeneralizationVerdict.Render"/>): the answer first (the headline naming
/// the deciding probes), then every measurement beside the position-only baseline and chance, then the evidence.</summary>
public static class VerdictView
{
    /// <summary>Column names of <see cref="Rows"/>.</summary>
    public static readonly IReadOnlyList<string> Columns =
        ["set", "probe kind", "accuracy [95% CI]", "position-only", "chance", "positions never predictable in training", "result"];

    /// <summary>Caption of the measurement table.</summary>
    public const string Caption = "accuracy on predictable positions (95% bootstrap interval) beside the position-only baseline and chance";

    private static string P(double x) => double.IsNaN(x) ? "n/a" : x.ToString("P1", CultureInfo.InvariantCulture);

    /// <summary>In-distribution, then every probe: accuracy with its interval, baselines and the probe's result.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Rows(GeneralizationVerdict verdict)
    {
        var rows = new List<IReadOnlyList<string>>
        {
            new[] { "in-distribution", "", $"{P(verdict.InDistribution.Accuracy)} [{P(verdict.InDistribution.AccuracyLow)}, {P(verdict.InDistribution.AccuracyHigh)}]", P(verdict.InDistributionBaseline), P(verdict.Chance), P(0), "" },
        };
        rows.AddRange(verdict.Probes.Select(p => (IReadOnlyList<string>)new[]
        {
            p.Name, p.Kind.IsInside ? "inside" : "outside", $"{P(p.Eval.Accuracy)} [{P(p.Eval.AccuracyLow)}, {P(p.Eval.AccuracyHigh)}]",
            P(p.BaselineAccuracy), P(p.ChanceAccuracy), P(p.UntrainedPositions), p.Result,
        }));
        return rows;
    }

    /// <summary>A self-contained HTML fragment: headline, table, evidence and the rule.</summary>
    public static string Html(GeneralizationVerdict verdict)
    {
        var sb = new StringBuilder("<div class=\"toolkit-verdict\">");
        sb.Append("<p><strong>Verdict: ").Append(Toolkit.Html.Encode(verdict.Headline)).Append("</strong></p>");
        sb.Append(Toolkit.Html.Table(Caption, Columns, Rows(verdict)));
        sb.Append("<ul>");
        foreach (var e in verdict.Evidence) sb.Append("<li>").Append(Toolkit.Html.Encode(e)).Append("</li>");
        sb.Append("</ul><p><small>rule: ").Append(Toolkit.Html.Encode(verdict.Settings.ToString())).Append("</small></p></div>");
        return sb.ToString();
    }
}
