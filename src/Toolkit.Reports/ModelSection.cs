using System.Globalization;
using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Verdicts;
using static TorchSharp.torch;

namespace Toolkit.Reports;

/// <summary>The part of a run report that looks inside the trained model: the shortcut audit, attention patterns of every
/// head on one scoring sequence (labelled with its tokens), the logit lens and composition matrices.</summary>
public static class ModelSection
{
    /// <summary>Adds the section for a run loaded once by the report (<see cref="LoadedRun"/>).</summary>
    public static void Add(HtmlReport report, LoadedRun run)
    {
        var (config, task, model, scoring, heads) = (run.Config, run.Task, run.Model, run.Scoring, run.Heads);

        static string P(double x) => double.IsNaN(x) ? "n/a" : x.ToString("P1", CultureInfo.InvariantCulture);

        report.AddHeading("Shortcut audit");
        // What simple strategies would score on the same sets: a high one means the task itself admits a shortcut.
        var audits = ShortcutAudit.table(task, 1UL, 1000, 500).Select(c => (Name: c.Item1, Rows: c.Item2.ToList())).ToList();
        report.AddTable("shortcut audit: accuracy of simple strategies on predictable positions (fitted on the training distribution)",
            new[] { "strategy", "what it does" }.Concat(audits.Select(a => a.Name)).ToArray(),
            audits[0].Rows.Select((r, i) => (IReadOnlyList<string>)new[] { r.Name, r.Description }.Concat(audits.Select(a => P(a.Rows[i].Accuracy))).ToArray()));

        report.AddHeading($"Attention on a scoring sequence (period {scoring.Period}, block from position {scoring.Starts[0]})");
        var example = scoring.Examples[0];
        report.AddParagraph("Every head, the most induction- or previous-token-like first. Hover a token to see where it attends; tick the box to see what attends to it.");
        report.AddHtml(AttentionView.Of(model, task.Vocabulary, example, heads).Html());

        if (model.Config.Routed)
        {
            // A routed pool's block can run at several steps or none: "layer l's stream" and "earlier layer" have no meaning.
            report.AddParagraph("Logit lens and composition are left out: this model routes a pool of blocks, so its blocks are no fixed sequence of layers (see the router statistics below).");
            return;
        }
        if (model.Config.MaskedLm)
            report.AddParagraph("Logit lens left out: this model is a masked LM, and the lens reads each layer as a next-token prediction.");
        else if (model.Config.EncoderDecoder)
            report.AddParagraph("Logit lens left out: this model is an encoder-decoder, and the lens reads the decoder blocks as the whole model (they also read the encoder). Composition below is between the decoder's self-attention heads only.");
        else
        {
            report.AddHeading("Logit lens");
            using var lensBatch = Batch.Sample(task, Seeds.Derive(config.Training.Seed, Seeds.Stream.Probe), 256, model.Device);
            var lens = LogitLens.Run(model, lensBatch.Tokens, lensBatch.LossMask);
            var layers = lens.Select(l => $"layer {l.Layer}").ToList();
            var through = model.Config.NormalizationType is null ? "W_U" : "ln_final and W_U";
            report.AddBarChart($"what each layer's residual stream already predicts at predictable positions (through {through})", "layer", "share of positions",
                layers, [("accuracy", lens.Select(l => l.Accuracy).ToArray()), ("P(correct)", lens.Select(l => l.Probability).ToArray()),
                         ("predictions settling at this layer", lens.Select(l => l.Settled).ToArray())]);
        }

        if (model.Config.NLayers > 1)
        {
            report.AddHeading("Composition (Elhage et al. 2021)");
            var composition = Composition.Compute(model);
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
