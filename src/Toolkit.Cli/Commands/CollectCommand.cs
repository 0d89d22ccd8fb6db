using System.CommandLine;
using System.Text;
using Toolkit.Reports;
using Toolkit.Sweeps;
using Toolkit.Verdicts;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit collect DIR</c>: every run of a sweep in one frame (collect.csv), a comparison report
/// (collect.html) and a table grouped by the varying settings with per-group verdict tallies.</summary>
public static class CollectCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "sweep directory (written by toolkit sweep --out DIR)" };
        var tolerance = new Option<double>("--tolerance") { Description = "a probe passes when the upper end of its 95% interval reaches in-distribution accuracy minus this", DefaultValueFactory = _ => 0.1 };
        var sequences = new Option<int>("--sequences") { Description = "sequences per probe", DefaultValueFactory = _ => 256 };
        var command = new Command("collect", "Gather a sweep's runs: config, final metrics and the verdict (as toolkit probe judges) into DIR/collect.csv and DIR/collect.html, and print them grouped by the varying settings.");
        command.Arguments.Add(dir);
        command.Options.Add(tolerance);
        command.Options.Add(sequences);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            var settings = new VerdictSettings { Tolerance = r.GetValue(tolerance), Sequences = r.GetValue(sequences) };
            var sweep = SweepCollection.Gather(r.GetValue(dir)!, settings,
                (done, total, name) => Console.Error.WriteLine($"collect: {done + 1}/{total} {name}"));
            var (csv, html) = SweepReport.Write(sweep);
            Console.Write(Table(sweep));
            Console.WriteLine($"csv: {csv}");
            Console.WriteLine($"report: {html}");
            return 0;
        }));
        return command;
    }

    /// <summary>The printed table: one line per group (every varying setting but the seed).</summary>
    public static string Table(SweepCollection sweep)
    {
        static string P(double v) => double.IsFinite(v) ? v.ToString("P1", System.Globalization.CultureInfo.InvariantCulture) : "-";
        var runs = sweep.Runs;
        var sb = new StringBuilder();
        sb.AppendLine($"sweep {sweep.Plan.Directory}: {runs.Count} runs, {runs.Count(x => x.State == SweepRunState.Complete)} complete" +
                      (runs.Any(x => x.State != SweepRunState.Complete) ? $" ({runs.Count(x => x.State == SweepRunState.Interrupted)} interrupted, {runs.Count(x => x.State == SweepRunState.New)} not started)" : "") +
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
        return sb.ToString();
    }

    private static string Trim(string s) => s.Length <= 16 ? s : s[..15] + "~";
}
