using System.CommandLine;
using Toolkit.Verdicts;
using Toolkit.Analysis;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit probe runs/NAME [--seeds k]</c>: the generalization verdict with its evidence.</summary>
public static class ProbeCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run") { Description = "run directory, e.g. runs/NAME" };
        var seeds = new Option<int>("--seeds") { Description = "judge this many seeds: the run and its sibling runs NAME-seedS", DefaultValueFactory = _ => 1 };
        var trainMissing = new Option<bool>("--train-missing") { Description = "train the sibling runs that do not exist yet (the run's config with each seed)" };
        var threads = new Option<int?>("--threads") { Description = "CPU threads for --train-missing (default: the run's own)" };
        var tolerance = new Option<double>("--tolerance") { Description = "a probe passes when the upper end of its 95% interval reaches in-distribution accuracy minus this", DefaultValueFactory = _ => 0.1 };
        var sequences = new Option<int>("--sequences") { Description = "sequences per probe", DefaultValueFactory = _ => 256 };
        var step = new Option<int?>("--step") { Description = "judge the checkpoint saved at this step (default: the latest), e.g. before and after a phase change" };
        var command = new Command("probe", "Judge a run: generalizes, memorizes positions, fails (not positional), undetermined or partial, with every probe beside the position-only baseline and chance and the shortcut test.");
        command.Arguments.Add(run);
        command.Options.Add(seeds);
        command.Options.Add(trainMissing);
        command.Options.Add(threads);
        command.Options.Add(tolerance);
        command.Options.Add(sequences);
        command.Options.Add(step);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            var settings = new VerdictSettings { Tolerance = r.GetValue(tolerance), Sequences = r.GetValue(sequences) };
            var outcomes = SeedStudy.Run(r.GetValue(run)!, r.GetValue(seeds), settings, seed => new ProgressReporter($"seed {seed}"),
                r.GetValue(trainMissing), r.GetValue(threads), Console.Error.WriteLine, r.GetValue(step));
            foreach (var o in outcomes)
            {
                Console.WriteLine($"== {o.RunPath} (seed {o.Seed}, checkpoint at step {o.CheckpointStep}); {o.Dynamics}");
                Console.Write(o.Verdict.Render());
                // The saved verdict is the run's answer, so only the latest checkpoint's is saved.
                if (o.CheckpointStep != Runs.RunDirectory.Open(o.RunPath).LatestCheckpoint().Step) continue;
                VerdictFile.Save(o);
                Console.WriteLine($"saved {VerdictFile.PathOf(o.RunPath)}");
            }
            if (outcomes.Count > 1) Console.Write(Spread(outcomes));
            return 0;
        }));
        return command;
    }

    /// <summary>Mean, spread and range over seeds of every accuracy, the verdicts and phase-change steps.</summary>
    private static string Spread(IReadOnlyList<SeedOutcome> outcomes)
    {
        var sb = new System.Text.StringBuilder($"== spread over {outcomes.Count} seeds\n");
        void Line(string name, IEnumerable<double> values)
        {
            var v = values.ToList();
            var mean = v.Average();
            var sd = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / Math.Max(1, v.Count - 1));
            sb.AppendLine($"  {name,-20} accuracy mean {mean:P1} ± {sd:P1} (sd), range {v.Min():P1} .. {v.Max():P1}");
        }
        Line("in-distribution", outcomes.Select(o => o.Verdict.InDistribution.Accuracy));
        foreach (var probe in outcomes[0].Verdict.Probes.Select(p => p.Name))
            Line(probe, outcomes.Select(o => o.Verdict.Probes.First(p => p.Name == probe).Eval.Accuracy));
        sb.AppendLine($"  verdicts: {string.Join("; ", outcomes.Select(o => $"seed {o.Seed} {o.Verdict.Kind.Word()}"))} ({VerdictKinds.Tally(outcomes.Select(o => o.Verdict.Kind).ToList())})");
        sb.AppendLine($"  phase change steps: {string.Join(", ", outcomes.Select(o => o.Dynamics.Phase?.Step.ToString() ?? "none"))}"
                      + (PhaseChangeAcrossSeeds.Of(outcomes.Select(o => o.Dynamics.Phase)) is { } across ? $"; {across}" : ""));
        return sb.ToString();
    }
}
