using System.CommandLine;
using System.Text;
using Toolkit.Reports;
using Toolkit.Runs;
using Toolkit.Sweeps;
using Toolkit.Verdicts;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit collect DIR</c>: every run of a sweep as data (collect.json), in one frame (collect.csv), a comparison report
/// (collect.html) and a table grouped by the varying settings with per-group verdict tallies.</summary>
public static class CollectCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "sweep directory (written by toolkit sweep --out DIR)" };
        var tolerance = new Option<double>("--tolerance") { Description = "a probe passes when the upper end of its 95% interval reaches in-distribution accuracy minus this", DefaultValueFactory = _ => 0.1 };
        var sequences = new Option<int>("--sequences") { Description = "sequences per probe", DefaultValueFactory = _ => 256 };
        var command = new Command("collect", "Gather a sweep's runs: config, final metrics and the verdict (as toolkit probe judges) into DIR/collect.json, DIR/collect.csv and DIR/collect.html, and print them grouped by the varying settings.");
        command.Arguments.Add(dir);
        command.Options.Add(tolerance);
        command.Options.Add(sequences);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            var settings = new VerdictSettings { Tolerance = r.GetValue(tolerance), Sequences = r.GetValue(sequences) };
            var sweep = SweepCollection.Gather(r.GetValue(dir)!, settings,
                (done, total, name) => Console.Error.WriteLine($"collect: {done + 1}/{total} {name}"));
            var (json, csv, html) = SweepReport.Write(sweep);
            Console.Write(Table(sweep));
            Console.WriteLine($"data: {json}");
            Console.WriteLine($"csv: {csv}");
            Console.WriteLine($"report: {html}");
            // Every run that could be read is collected above; the damaged ones are bad input, named here.
            var damaged = sweep.Runs.Where(x => x.State == RunState.Damaged).ToList();
            if (damaged.Count == 0) return 0;
            return CommandLine.Fail(
                $"{damaged.Count} of {sweep.Runs.Count} runs {(damaged.Count == 1 ? "is" : "are")} damaged (the others are collected): " +
                string.Join("; ", damaged.Select(x => $"{x.Run.Name}: {x.Status.Detail}")),
                damaged[0].Status.Hint ?? $"see {csv}");
        }));
        return command;
    }

    /// <summary>The printed table: one line per group (every varying setting but the seed).</summary>
    public static string Table(SweepCollection sweep)
    {
        static string P(double v) => double.IsFinite(v) ? v.ToString("P1", System.Globalization.CultureInfo.InvariantCulture) : "-";
        var runs = sweep.Runs;
        var sb = new StringBuilder();
        var others = new[] { (RunState.Running, "running"), (RunState.Interrupted, "interrupted"), (RunState.Diverged, "diverged"), (RunState.Damaged, "damaged"), (RunState.New, "not started") }
            .Select(s => (Count: runs.Count(x => x.State == s.Item1), Word: s.Item2)).Where(s => s.Count > 0).Select(s => $"{s.Count} {s.Word}").ToList();
        sb.AppendLine($"sweep {sweep.Plan.Directory}: {runs.Count} runs, {runs.Count(x => x.State == RunState.Complete)} complete" +
                      (others.Count > 0 ? $" ({string.Join(", ", others)})" : "") +
                      $"; grouped by {(sweep.GroupBy.Count == 0 ? "nothing (one group)" : string.Join(", ", sweep.GroupBy))}");
        var groups = sweep.Groups();
        var probes = sweep.ProbeNames;
        var width = Math.Max(12, groups.Max(g => g.Label.Length));
        sb.Append($"  {"group".PadRight(width)}  runs  judged  {"in-dist",8}");
        foreach (var p in probes) sb.Append($"  {Trim(p),16}");
        sb.AppendLine("  verdicts");
        foreach (var g in groups)
        {
            sb.Append($"  {g.Label.PadRight(width)}  {g.Runs.Count,4}  {g.Judged.Count,6}  {P(g.Mean(x => x.InDistributionAccuracy)),8}");
            foreach (var p in probes) sb.Append($"  {P(g.Mean(x => x.ProbeAccuracy(p))),16}");
            sb.AppendLine($"  {g.Tally}");
        }
        sb.AppendLine("  (accuracies: means over the group's judged seeds; verdicts: toolkit probe's rule, per seed)");
        foreach (var run in runs.Where(x => x.State is RunState.Running or RunState.Diverged or RunState.Damaged))
            sb.AppendLine($"  {run.State.ToString().ToLowerInvariant()}: {run.Run.Name}: {run.Status.Detail}");
        return sb.ToString();
    }

    private static string Trim(string s) => s.Length <= 16 ? s : s[..15] + "~";
}
