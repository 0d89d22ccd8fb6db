using System.Globalization;
using Toolkit.Evaluation;

namespace Toolkit.Sweeps;

/// <summary>The tables of a collected sweep, drawn from its saved data (<see cref="CollectFile"/>): the groups with their
/// accuracies' intervals and verdict tallies, and one line per run. collect.html and the notebook display both use them.</summary>
public static class CollectView
{
    /// <summary>A table's caption, columns and rows as text.</summary>
    public sealed record Table(string Caption, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string>> Rows);

    private static string P(double v) => double.IsFinite(v) ? v.ToString("P1", CultureInfo.InvariantCulture) : "";
    private static string F(double v) => double.IsFinite(v) ? v.ToString("F3", CultureInfo.InvariantCulture) : "";
    private static string I(MeanInterval m) => m.N == 0 ? "" : m.N < 2 ? P(m.Mean) : m.Format(P);
    private static string N(long n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>Every probe met in any run's verdict, in first-seen order.</summary>
    public static IReadOnlyList<string> ProbeNames(CollectFile file) => CollectedRun.ProbeNamesOf(file.Runs.Select(r => r.Verdict));

    /// <summary>One row per group: runs, judged runs, mean accuracies with their 95% Student-t intervals, the tally.</summary>
    public static Table Groups(CollectFile file)
    {
        var probes = ProbeNames(file);
        return new Table("runs per group: mean accuracy over judged seeds with its 95% Student-t interval, and the verdict tally",
            ["group", "runs", "judged", "in-distribution", .. probes, "verdicts"],
            file.Groups.Select(g => (IReadOnlyList<string>)[g.Label, N(g.Runs.Count), N(g.Judged), I(g.InDistribution),
                .. probes.Select(p => g.Probes.TryGetValue(p, out var m) ? I(m) : ""), g.Tally]).ToList());
    }

    /// <summary>One row per run (as in collect.csv): seed, state, steps, final loss and accuracy, the verdict's accuracies and headline.</summary>
    public static Table Runs(CollectFile file)
    {
        var probes = ProbeNames(file);
        return new Table("one line per run (as in collect.csv)",
            ["run", "seed", "state", "steps", "final train loss", "eval accuracy", "in-distribution", .. probes, "verdict"],
            file.Runs.Select(r => (IReadOnlyList<string>)[r.Name, N(r.Seed), r.State, N(r.Steps), F(r.FinalTrainLoss), P(r.EvalAccuracy),
                P(r.InDistributionAccuracy), .. probes.Select(p => P(r.ProbeAccuracy(p))), r.Verdict?.Verdict.Headline ?? r.VerdictWord]).ToList());
    }

    /// <summary>Both tables as HTML (notebooks).</summary>
    public static string Html(CollectFile file)
    {
        var (groups, runs) = (Groups(file), Runs(file));
        return Toolkit.Html.Table(groups.Caption, groups.Columns, groups.Rows) + Toolkit.Html.Table(runs.Caption, runs.Columns, runs.Rows);
    }
}
