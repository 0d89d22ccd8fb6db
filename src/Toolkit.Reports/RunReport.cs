using System.Globalization;
using Toolkit.Analysis;

namespace Toolkit.Reports;

/// <summary>The HTML report of a training run, and the side-by-side comparison of several runs.</summary>
public static class RunReport
{
    private static readonly string[] Kinds = ["prev", "dup", "ind"];

    /// <summary>Writes <c>runDir/report.html</c> and returns its path. The answer comes first: with a checkpoint, the
    /// verdict and its evidence (<see cref="VerdictSection"/>); then the training curves with the phase change marked,
    /// what the model does inside (attention, lens, composition), saved analyses, and the config.</summary>
    /// <exception cref="ReportException">The run directory is missing, or its files are malformed.</exception>
    public static string Write(string runDir)
    {
        var run = RunData.Read(runDir);
        var report = new HtmlReport($"Run {run.Name}");
        // A run with a config and a checkpoint has a model. Its verdict and inside are read from their saved files when
        // they describe the latest checkpoint; otherwise the model is loaded (once) and they are computed and saved.
        // The verdict verifies the latest checkpoint and names its step, which the inside's file must describe.
        Toolkit.Verdicts.LoadedRun? loaded = null;
        Toolkit.Verdicts.LoadedRun Load() => loaded ??= Toolkit.Verdicts.LoadedRun.Open(runDir);
        try
        {
            var verdict = VerdictSection.Add(report, runDir, Load);
            AddTraining(report, run);
            if (verdict is not null) ModelSection.Add(report, InsideFile.ReadOrCompute(runDir, verdict.CheckpointStep, Load));
        }
        finally { loaded?.Dispose(); }
        RouterSection.Add(report, runDir);
        AnalysisSection.Add(report, runDir);
        AddConfig(report, run);
        var path = Path.Combine(runDir, "report.html");
        // A sweep's runs share one plotly.js in the sweep's folder.
        var parent = Path.GetDirectoryName(Path.GetFullPath(runDir).TrimEnd('/', '\\'));
        report.Save(path, parent is not null && File.Exists(Path.Combine(parent, Toolkit.Sweeps.SweepPlan.FileName)) ? parent : null);
        return path;
    }

    /// <summary>The report of one run's files without its model (training curves and config), not saved.</summary>
    public static HtmlReport Build(RunData run)
    {
        var report = new HtmlReport($"Run {run.Name}");
        AddTraining(report, run);
        AddConfig(report, run);
        return report;
    }

    private static void AddConfig(HtmlReport report, RunData run)
    {
        report.AddHeading("Configuration");
        if (run.Config.Count == 0) report.AddParagraph("No config.json in this run directory.");
        else report.AddTable("config.json", ["key", "value"], run.Config.Select(kv => (IReadOnlyList<string>)[kv.Key, kv.Value]));
    }

    /// <summary>The phase change of the run's training loss (docs/design.md §4), or null.</summary>
    private static PhaseChange? Phase(RunData run)
    {
        var (x, y) = CsvFrame.Pairs(run.Metrics, "step", "train_loss");
        return PhaseChange.Detect(x.Zip(y, (step, loss) => ((int)step, loss)).ToList());
    }

    private static void AddTraining(HtmlReport report, RunData run)
    {
        report.AddHeading("Training");
        report.AddParagraph(Summary(run));
        if (!run.HasMetrics) return;
        var phase = Phase(run);
        IReadOnlyList<(double, string)> markers = phase is null ? [] : [(phase.Step, $"phase change, step {phase.Step}")];
        report.AddLineChart("Loss" + (phase is null ? " (no phase change detected)" : $" (phase change at step {phase.Step}: 10–90% of the drop at steps {phase.DropStart}..{phase.DropEnd})"),
            "step", "loss (log scale)", LossSeries(run, prefix: ""), logY: true, markers: markers);
        report.AddLineChart("Accuracy on predictable positions (the training's evaluation batch)", "step", "accuracy",
            [Series(run, "eval_accuracy", "eval accuracy")], markers: markers);
        if (run.Metrics.ColumnKeys.Contains("icl") && Series(run, "icl", "icl") is { Y.Length: > 0 } icl)
            report.AddLineChart("In-context learning score: loss at the last token − loss at the token at a tenth of the context " +
                                "(Olsson et al. 2022; negative once the model uses its context, e.g. by induction)", "step", "loss difference (nats)", [icl]);
        var lr = Series(run, "lr", "learning rate");
        if (lr.Y.Distinct().Count() > 1) report.AddLineChart("Learning rate", "step", "lr", [lr]);
        else if (lr.Y.Length > 0) report.AddParagraph($"Constant learning rate {lr.Y[0].ToString("G4", CultureInfo.InvariantCulture)}.");

        foreach (var kind in Kinds.Where(run.HeadColumns.ContainsKey))
        {
            report.AddHeading($"{RunData.KindName(kind)} scores");
            var heads = run.HeadColumns[kind];
            report.AddLineChart($"{RunData.KindName(kind)} score per head over training", "step", "score",
                heads.Select(h => Series(run, h.Column, $"L{h.Layer}H{h.Head}")));
            if (FinalScores(run, kind) is { } final)
                report.AddHeatmap($"{RunData.KindName(kind)} score at step {final.Step} (layer × head)", final.Z,
                    Enumerable.Range(0, final.Z.GetLength(1)).Select(h => $"H{h}").ToArray(),
                    Enumerable.Range(0, final.Z.GetLength(0)).Select(l => $"L{l}").ToArray(), zmin: 0, zmax: 1);
        }
    }

    /// <summary>Writes one page overlaying the curves of several runs, their configs in columns; returns the path.</summary>
    /// <exception cref="ReportException">A run directory or its metrics.csv is missing or malformed.</exception>
    public static string Compare(IReadOnlyList<string> runDirs, string outPath)
    {
        if (runDirs.Count == 0) throw new ReportException("no run directories to compare", "give at least one run folder, e.g. runs/A runs/B");
        var runs = runDirs.Select(RunData.Read).ToList();
        var report = new HtmlReport($"Comparison: {string.Join(" vs ", runs.Select(r => r.Name))}");
        VerdictSection.AddComparison(report, runs.Select((r, i) => (r.Name, runDirs[i])).ToList());
        foreach (var run in runs) report.AddParagraph($"{run.Name}: {Summary(run)}");

        report.AddHeading("Training");
        report.AddLineChart("Loss", "step", "loss (log scale)", runs.SelectMany(r => LossSeries(r, prefix: r.Name + " ")), logY: true);
        report.AddLineChart("Accuracy on predictable positions", "step", "accuracy",
            runs.Select(r => Series(r, "eval_accuracy", r.Name)));
        foreach (var kind in Kinds.Where(k => runs.Any(r => r.HeadColumns.ContainsKey(k))))
        {
            report.AddHeading($"{RunData.KindName(kind)} scores");
            report.AddLineChart($"{RunData.KindName(kind)} score per head over training", "step", "score",
                runs.Where(r => r.HeadColumns.ContainsKey(kind))
                    .SelectMany(r => r.HeadColumns[kind].Select(h => Series(r, h.Column, $"{r.Name} L{h.Layer}H{h.Head}"))));
        }

        report.AddHeading("Configuration");
        var keys = runs.SelectMany(r => r.Config.Select(kv => kv.Key)).Distinct().ToList();
        var lookups = runs.Select(r => r.Config.ToDictionary(kv => kv.Key, kv => kv.Value)).ToList();
        var rows = keys.Select(k =>
        {
            var values = lookups.Select(l => l.TryGetValue(k, out var v) ? v : "").ToList();
            // Marks the settings that differ, which is usually what a comparison is about.
            var differs = values.Distinct().Count() > 1 ? "≠" : "";
            return (IReadOnlyList<string>)[differs, k, .. values];
        });
        report.AddTable("config.json (≠ marks settings that differ)", ["", "key", .. runs.Select(r => r.Name)], rows);
        report.Save(outPath);
        return outPath;
    }

    private static IEnumerable<(string, double[], double[])> LossSeries(RunData run, string prefix) =>
        [Series(run, "train_loss", prefix + "train loss"), Series(run, "eval_loss", prefix + "eval loss")];

    private static (string Name, double[] X, double[] Y) Series(RunData run, string column, string name)
    {
        var (x, y) = CsvFrame.Pairs(run.Metrics, "step", column);
        return (name, x, y);
    }

    private static string Summary(RunData run)
    {
        if (!run.HasMetrics) return "No metrics.csv: this run was not trained by the toolkit (e.g. imported with toolkit import), so it has no training curves.";
        var steps = CsvFrame.Column(run.Metrics, "step").Where(double.IsFinite).ToArray();
        var (_, train) = CsvFrame.Pairs(run.Metrics, "step", "train_loss");
        var (_, acc) = CsvFrame.Pairs(run.Metrics, "step", "eval_accuracy");
        var parts = new List<string> { $"{steps.Length} logged steps" + (steps.Length > 0 ? $" up to step {steps.Max().ToString(CultureInfo.InvariantCulture)}" : "") };
        if (train.Length > 0) parts.Add($"final train loss {train[^1].ToString("G4", CultureInfo.InvariantCulture)}");
        if (acc.Length > 0) parts.Add($"last logged accuracy on the training's evaluation batch {acc[^1].ToString("P1", CultureInfo.InvariantCulture)}");
        return string.Join(", ", parts) + ".";
    }

    /// <summary>The last row where any score of this kind is present, as a layer × head matrix (NaN where absent).</summary>
    private static (double Step, double[,] Z)? FinalScores(RunData run, string kind)
    {
        var heads = run.HeadColumns[kind];
        var columns = heads.Select(h => CsvFrame.Column(run.Metrics, h.Column)).ToList();
        var steps = CsvFrame.Column(run.Metrics, "step");
        for (var row = steps.Length - 1; row >= 0; row--)
        {
            if (!columns.Any(c => double.IsFinite(c[row]))) continue;
            var z = new double[heads.Max(h => h.Layer) + 1, heads.Max(h => h.Head) + 1];
            for (var i = 0; i < z.GetLength(0); i++)
                for (var j = 0; j < z.GetLength(1); j++) z[i, j] = double.NaN;
            for (var k = 0; k < heads.Count; k++) z[heads[k].Layer, heads[k].Head] = columns[k][row];
            return (steps[row], z);
        }
        return null;
    }
}
