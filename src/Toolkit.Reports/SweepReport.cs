using System.Globalization;
using Deedle;
using Toolkit.Evaluation;
using Toolkit.Runs;
using Toolkit.Sweeps;

namespace Toolkit.Reports;

/// <summary>A collected sweep as data (<c>collect.json</c>), one frame (<c>collect.csv</c>: one line per run) and a comparison
/// report (<c>collect.html</c>: the runs, the groups with their verdict tallies, accuracy by group).</summary>
public static class SweepReport
{
    /// <summary>One row per run: name, index, state (with the problem of a running, diverged or damaged run), seed, every varying value, steps, final losses and
    /// accuracy, the verdict and its in-distribution and per-probe accuracies; missing numbers are empty.</summary>
    public static Frame<int, string> Frame(SweepCollection sweep)
    {
        var runs = sweep.Runs;
        var keys = Enumerable.Range(0, runs.Count).ToArray();
        Series<int, string> Text(Func<CollectedRun, string> f) => new(keys, runs.Select(f).ToArray());
        Series<int, double> Number(Func<CollectedRun, double> f) => new(keys, runs.Select(f).ToArray());
        var builder = new FrameBuilder.Columns<int, string>
        {
            { "run", Text(r => r.Run.Name) },
            { "index", new Series<int, int>(keys, runs.Select(r => r.Run.Index).ToArray()) },
            { "state", Text(r => r.State.ToString().ToLowerInvariant()) },
            { "problem", Text(r => r.State is RunState.Complete or RunState.New or RunState.Interrupted ? "" : r.Status.Detail ?? "") },
            { "seed", new Series<int, long>(keys, runs.Select(r => r.Run.Seed).ToArray()) },
        };
        foreach (var label in sweep.Plan.Varying.Where(v => !SweepCollection.IsSeed(v)))
            builder.Add(label, Text(r => r.Run.Values[label]));
        builder.Add("task", Text(r => r.Run.Config.Task.Name));
        builder.Add("steps", new Series<int, int>(keys, runs.Select(r => r.StepsDone).ToArray()));
        builder.Add("final_train_loss", Number(r => r.FinalTrainLoss));
        builder.Add("eval_loss", Number(r => r.EvalLoss));
        builder.Add("eval_accuracy", Number(r => r.EvalAccuracy));
        builder.Add("verdict", Text(r => r.VerdictWord));
        builder.Add("in_distribution_accuracy", Number(r => r.InDistributionAccuracy));
        foreach (var probe in sweep.ProbeNames)
            builder.Add($"probe_{probe}_accuracy", Number(r => r.ProbeAccuracy(probe)));
        builder.Add("phase_change_step", Number(r => r.Verdict?.PhaseChange?.Step ?? double.NaN));
        builder.Add("verdict_headline", Text(r => r.Verdict?.Verdict.Headline ?? ""));
        return builder.Frame;
    }

    /// <summary>Writes <c>collect.json</c> (the data), <c>collect.csv</c> and <c>collect.html</c> into the sweep directory;
    /// returns their paths.</summary>
    public static (string Json, string Csv, string Html) Write(SweepCollection sweep)
    {
        var json = CollectFile.Of(sweep).Save();
        var csv = Path.Combine(sweep.Plan.Directory, "collect.csv");
        CsvFrame.Write(Frame(sweep), csv);
        var html = Path.Combine(sweep.Plan.Directory, "collect.html");
        Build(sweep).Save(html, sharedAssets: sweep.Plan.Directory);
        return (json, csv, html);
    }

    /// <summary>The comparison report without saving it.</summary>
    public static HtmlReport Build(SweepCollection sweep)
    {
        static string P(double v) => double.IsFinite(v) ? v.ToString("P1", CultureInfo.InvariantCulture) : "";
        static string F(double v) => double.IsFinite(v) ? v.ToString("F3", CultureInfo.InvariantCulture) : "";
        var plan = sweep.Plan;
        var report = new HtmlReport($"Sweep {Path.GetFileName(Path.GetFullPath(plan.Directory).TrimEnd('/'))}");
        var complete = sweep.Runs.Count(r => r.State == RunState.Complete);
        report.AddParagraph($"{sweep.Runs.Count} runs ({complete} complete) in {plan.Directory}; varying: " +
                            (plan.Varying.Count == 0 ? "nothing" : string.Join(", ", plan.Varying)) +
                            $". Grid: {plan.Grid.ToJsonString()}." +
                            (plan.Provenance is { } p ? $" Toolkit {p.ToolkitVersion}, commit {p.GitCommit}{(p.GitDirty ? " (dirty)" : "")}, TorchSharp {p.TorchSharpVersion}, started {p.StartedUtc}." : ""));
        report.AddParagraph("Every verdict is the library's (toolkit probe's rule, docs/design.md §4); accuracies are top-1 on predictable positions.");

        var groups = sweep.Groups();
        var probes = sweep.ProbeNames;
        report.AddHeading("Groups (every varying setting but the seed)");
        static string I(MeanInterval m) => m.N == 0 ? "" : m.N < 2 ? P(m.Mean) : m.Format(P);
        report.AddTable("runs per group: mean accuracy over judged seeds with its 95% Student-t interval, and the verdict tally",
            ["group", "runs", "judged", "in-distribution", .. probes, "verdicts"],
            groups.Select(g => (IReadOnlyList<string>)[g.Label, g.Runs.Count.ToString(CultureInfo.InvariantCulture), g.Judged.Count.ToString(CultureInfo.InvariantCulture),
                I(g.AccuracyInterval(r => r.InDistributionAccuracy)), .. probes.Select(pr => I(g.AccuracyInterval(r => r.ProbeAccuracy(pr)))), g.Tally]));
        if (groups.Any(g => g.Judged.Count > 0))
            report.AddBarChart("Accuracy by group (mean over judged seeds)", "group", "accuracy", groups.Select(g => g.Label).ToList(),
                new[] { ("in-distribution", groups.Select(g => g.Mean(r => r.InDistributionAccuracy)).ToArray()) }
                    .Concat(probes.Select(pr => (pr, groups.Select(g => g.Mean(r => r.ProbeAccuracy(pr))).ToArray()))));

        report.AddHeading("Runs");
        // Each run's name links to its report (or its folder when it has none), relative to collect.html.
        var links = sweep.Runs.ToDictionary(r => r.Run.Name, r =>
            File.Exists(Path.Combine(plan.PathOf(r.Run), "report.html")) ? $"{Uri.EscapeDataString(r.Run.Name)}/report.html" : $"{Uri.EscapeDataString(r.Run.Name)}/");
        report.AddTable("one line per run (as in collect.csv); a run's name links to its report, or to its folder",
            ["run", "seed", "state", "steps", "final train loss", "eval accuracy", "in-distribution", .. probes, "verdict"],
            sweep.Runs.Select(r => (IReadOnlyList<string>)[r.Run.Name, r.Run.Seed.ToString(CultureInfo.InvariantCulture), r.State.ToString().ToLowerInvariant(),
                r.StepsDone.ToString(CultureInfo.InvariantCulture), F(r.FinalTrainLoss), P(r.EvalAccuracy), P(r.InDistributionAccuracy),
                .. probes.Select(pr => P(r.ProbeAccuracy(pr))), r.Verdict?.Verdict.Headline ?? r.VerdictWord]),
            link: (row, column) => column == 0 && links.TryGetValue(row[0], out var href) ? href : null);
        return report;
    }
}
