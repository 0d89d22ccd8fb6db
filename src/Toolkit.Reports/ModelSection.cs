using System.Globalization;
using Toolkit.Analysis;

namespace Toolkit.Reports;

/// <summary>The part of a run report that looks inside the trained model: the shortcut audit, attention patterns of every
/// head on one scoring sequence (labelled with its tokens), the logit lens and composition matrices, drawn from the
/// saved <see cref="InsideFile"/>.</summary>
public static class ModelSection
{
    /// <summary>Adds the section for what was saved of a run's model.</summary>
    public static void Add(HtmlReport report, InsideFile inside)
    {
        static string P(double x) => double.IsNaN(x) ? "n/a" : x.ToString("P1", CultureInfo.InvariantCulture);

        report.AddHeading("Shortcut audit");
        var audits = inside.Audit;
        report.AddTable("shortcut audit: accuracy of simple strategies on predictable positions (fitted on the training distribution)",
            new[] { "strategy", "what it does" }.Concat(audits.Select(a => a.Set)).ToArray(),
            audits[0].Scores.Select((r, i) => (IReadOnlyList<string>)new[] { r.Strategy, r.Description }.Concat(audits.Select(a => P(a.Scores[i].Accuracy))).ToArray()));

        report.AddHeading($"Attention on a scoring sequence (period {inside.ScoringPeriod}, block from position {inside.ScoringStart})");
        report.AddParagraph("Every head, the most induction- or previous-token-like first. Hover a token to see where it attends; tick the box to see what attends to it.");
        report.AddHtml(inside.AttentionSequence().Html());

        if (inside.RoutedNote is { } routed)
        {
            report.AddParagraph(routed);
            return;
        }
        if (inside.LensNote is { } note) report.AddParagraph(note);
        if (inside.Lens is { } lens)
        {
            report.AddHeading("Logit lens");
            report.AddBarChart($"what each layer's residual stream already predicts at predictable positions (through {inside.LensThrough})", "layer", "share of positions",
                lens.Select(l => $"layer {l.Layer}").ToList(),
                [("accuracy", lens.Select(l => l.Accuracy).ToArray()), ("P(correct)", lens.Select(l => l.Probability).ToArray()),
                 ("predictions settling at this layer", lens.Select(l => l.Settled).ToArray())]);
        }

        if (inside.Composition is { } composition)
        {
            report.AddHeading("Composition (Elhage et al. 2021)");
            foreach (var kind in new[] { CompositionKind.K, CompositionKind.Q, CompositionKind.V })
            {
                var senders = composition.Scores.Select(s => s.Sender).Distinct().ToArray();
                var receivers = composition.Scores.Select(s => s.Receiver).Distinct().ToArray();
                var z = new double[senders.Length, receivers.Length];
                foreach (var s in composition.Scores.Where(s => s.Kind == kind))
                    z[Array.IndexOf(senders, s.Sender), Array.IndexOf(receivers, s.Receiver)] = s.Score;
                report.AddHeatmap($"{kind}-composition (rows: sender, columns: receiver; random baseline {composition.Baseline:F2})",
                    z, receivers, senders);
            }
        }
    }
}
