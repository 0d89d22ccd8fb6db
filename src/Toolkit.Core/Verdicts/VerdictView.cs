using System.Globalization;
using System.Text;

namespace Toolkit.Verdicts;

/// <summary>The one rendering of a verdict (<see cref="VerdictResult"/>) as a table, text (the CLI), CSV and HTML (reports,
/// notebooks and scripts): the answer first (the headline naming the deciding probes), then every measurement beside the
/// position-only baseline and chance with the shortcut test, then the evidence and the rule.</summary>
public static class VerdictView
{
    /// <summary>Column names of <see cref="Rows"/>.</summary>
    public static readonly IReadOnlyList<string> Columns =
        ["set", "kind", "accuracy [95% CI]", "loss", "position-only", "chance", "agreement with the shortcut where it and the rule disagree [95% CI]",
         "positions never predictable in training", "result"];

    /// <summary>Caption of the measurement table.</summary>
    public const string Caption = "accuracy on predictable positions (95% bootstrap interval) beside the position-only baseline and chance, and the shortcut test";

    private static string P(double x) => double.IsNaN(x) ? "n/a" : x.ToString("P1", CultureInfo.InvariantCulture);

    private static string Interval(double value, double low, double high) => $"{P(value)} [{P(low)}, {P(high)}]";

    /// <summary>In-distribution, then every probe: one row per set, in <see cref="Columns"/>' order.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Rows(VerdictResult verdict) =>
        verdict.Probes.Prepend(verdict.InDistribution).Select(s => (IReadOnlyList<string>)
        [
            s.Name, s.ProbeKind, Interval(s.Accuracy, s.AccuracyLow, s.AccuracyHigh), s.Loss.ToString("F3", CultureInfo.InvariantCulture),
            P(s.PositionOnly), P(s.Chance),
            s.Shortcut is not { Positions: > 0 } t ? "" : $"{Interval(t.Agreement, t.AgreementLow, t.AgreementHigh)} of {t.Positions}",
            P(s.UntrainedPositions), s.Result,
        ]).ToList();

    /// <summary>Column names of <see cref="CsvRows"/>: the numbers of <see cref="Rows"/>, one per column.</summary>
    public static readonly IReadOnlyList<string> CsvColumns =
        ["set", "kind", "accuracy", "accuracy_low", "accuracy_high", "loss", "position_only", "chance", "shortcut_agreement", "shortcut_agreement_low",
         "shortcut_agreement_high", "shortcut_positions", "untrained_positions", "result"];

    /// <summary>In-distribution, then every probe, as CSV cells (invariant numbers, empty where not measured).</summary>
    public static IReadOnlyList<IReadOnlyList<string>> CsvRows(VerdictResult verdict)
    {
        static string N(double x) => x.ToString("R", CultureInfo.InvariantCulture);
        return verdict.Probes.Prepend(verdict.InDistribution).Select(s => (IReadOnlyList<string>)
        [
            s.Name, s.ProbeKind, N(s.Accuracy), N(s.AccuracyLow), N(s.AccuracyHigh), N(s.Loss), N(s.PositionOnly), N(s.Chance),
            .. s.Shortcut is { Positions: > 0 } t ? new[] { N(t.Agreement), N(t.AgreementLow), N(t.AgreementHigh), t.Positions.ToString(CultureInfo.InvariantCulture) } : ["", "", "", ""],
            N(s.UntrainedPositions), s.Result,
        ]).ToList();
    }

    /// <summary>Plain text for the terminal: the table with aligned columns, then the verdict, its evidence and the rule.</summary>
    public static string Text(VerdictResult verdict)
    {
        var rows = Rows(verdict);
        var widths = Columns.Select((c, i) => Math.Max(Short[i].Length, rows.Max(r => r[i].Length))).ToArray();
        var sb = new StringBuilder();
        void Line(IReadOnlyList<string> cells) => sb.AppendLine(("  " + string.Join("  ", cells.Select((c, i) => c.PadRight(widths[i])))).TrimEnd());
        Line(Short);
        foreach (var row in rows) Line(row);
        sb.AppendLine("  (shortcut agreement: where every offset of the position-only shortcut disagrees with the rule, the share of predictions at one of them; " +
                      "untrained: share of the set's predictable positions never predictable in training)");
        sb.AppendLine($"verdict: {verdict.Headline}");
        foreach (var e in verdict.Evidence) sb.AppendLine($"  evidence: {e}");
        sb.AppendLine($"  rule: {verdict.Rule}");
        return sb.ToString();
    }

    /// <summary>Terminal headers of <see cref="Columns"/>.</summary>
    private static readonly string[] Short = ["set", "kind", "accuracy [95% CI]", "loss", "pos.-only", "chance", "shortcut agreement [95% CI]", "untrained", "result"];

    /// <summary>A self-contained HTML fragment: headline, table, evidence and the rule.</summary>
    public static string Html(VerdictResult verdict)
    {
        var sb = new StringBuilder("<div class=\"toolkit-verdict\">");
        sb.Append("<p class=\"verdict\"><strong>Verdict: ").Append(Toolkit.Html.Encode(verdict.Headline)).Append("</strong></p>");
        sb.Append(Toolkit.Html.Table(Caption, Columns, Rows(verdict)));
        sb.Append("<ul>");
        foreach (var e in verdict.Evidence) sb.Append("<li>").Append(Toolkit.Html.Encode(e)).Append("</li>");
        sb.Append("</ul><p><small>rule: ").Append(Toolkit.Html.Encode(verdict.Rule)).Append("</small></p></div>");
        return sb.ToString();
    }

    /// <summary>The HTML of a computed verdict (notebooks display verdicts with it).</summary>
    public static string Html(GeneralizationVerdict verdict) => Html(VerdictResult.Of(verdict));
}
