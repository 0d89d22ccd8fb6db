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
        var file = CollectFile.Of(sweep);
        var json = file.Save();
        var csv = Path.Combine(sweep.Plan.Directory, "collect.csv");
        CsvFrame.Write(Frame(sweep), csv);
        var html = Path.Combine(sweep.Plan.Directory, "collect.html");
        Build(sweep.Plan, file).Save(html, sharedAssets: sweep.Plan.Directory);
        return (json, csv, html);
    }

    /// <summary>The comparison report of a sweep's saved collection, without saving it: its tables are
    /// <see cref="CollectView"/>'s, as in a notebook.</summary>
    public static HtmlReport Build(SweepPlan plan, CollectFile file)
    {
        var report = new HtmlReport($"Sweep {Path.GetFileName(Path.GetFullPath(plan.Directory).TrimEnd('/'))}");
        var complete = file.Runs.Count(r => r.State == RunState.Complete.ToString().ToLowerInvariant());
        report.AddParagraph($"{file.Runs.Count} runs ({complete} complete) in {plan.Directory}; varying: " +
                            (plan.Varying.Count == 0 ? "nothing" : string.Join(", ", plan.Varying)) +
                            $". Grid: {plan.Grid.ToJsonString()}." +
                            (plan.Provenance is { } p ? $" Toolkit {p.ToolkitVersion}, commit {p.GitCommit}{(p.GitDirty ? " (dirty)" : "")}, TorchSharp {p.TorchSharpVersion}, started {p.StartedUtc}." : ""));
        report.AddParagraph("Every verdict is the library's (toolkit probe's rule, docs/design.md §4); accuracies are top-1 on predictable positions.");

        var probes = CollectView.ProbeNames(file);
        report.AddHeading("Groups (every varying setting but the seed)");
        var groups = CollectView.Groups(file);
        report.AddTable(groups.Caption, groups.Columns, groups.Rows);
        if (file.Groups.Any(g => g.Judged > 0))
            report.AddBarChart("Accuracy by group (mean over judged seeds)", "group", "accuracy", file.Groups.Select(g => g.Label).ToList(),
                new[] { ("in-distribution", file.Groups.Select(g => g.InDistribution.Mean).ToArray()) }
                    .Concat(probes.Select(pr => (pr, file.Groups.Select(g => g.Probes.TryGetValue(pr, out var m) ? m.Mean : double.NaN).ToArray()))));

        report.AddHeading("Runs");
        // Each run's name links to its report (or its folder when it has none), relative to collect.html.
        var links = file.Runs.ToDictionary(r => r.Name, r =>
            File.Exists(Path.Combine(plan.Directory, r.Name, "report.html")) ? $"{Uri.EscapeDataString(r.Name)}/report.html" : $"{Uri.EscapeDataString(r.Name)}/");
        var runs = CollectView.Runs(file);
        report.AddTable(runs.Caption + "; a run's name links to its report, or to its folder", runs.Columns, runs.Rows,
            link: (row, column) => column == 0 && links.TryGetValue(row[0], out var href) ? href : null);
        return report;
    }
}
