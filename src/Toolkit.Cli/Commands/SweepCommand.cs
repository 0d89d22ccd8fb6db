using System.CommandLine;
using Toolkit.Cli.Sweeps;
using Toolkit.Runs;
using Toolkit.Sweeps;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit sweep grid.json --out DIR</c>: expands a grid into runs and trains them here with
/// bounded parallel workers, or as a Slurm job array (<c>--slurm</c>); rerunning skips complete runs and
/// resumes interrupted ones.</summary>
public static class SweepCommand
{
    public static Command Create()
    {
        var grid = new Argument<string>("grid") { Description = "grid file (JSON): {\"task\": ..., \"parameters\": {...}, \"model\": {...}, \"training\": {...}, \"seeds\": [...]}, each value a list" };
        var output = new Option<string?>("--out") { Description = "sweep directory: sweep.json, one run directory per run, logs/" };
        var workers = new Option<int>("--workers") { Description = "runs trained at once on this machine, each with cores / workers threads", DefaultValueFactory = _ => 1 };
        var dryRun = new Option<bool>("--dry-run") { Description = "list the runs (with --slurm: print the job script) without running anything" };
        var slurm = new Option<bool>("--slurm") { Description = "write a Slurm batch script (one array task per run) and submit it with sbatch" };
        var partition = new Option<string?>("--partition") { Description = "with --slurm: the partition (#SBATCH --partition)" };
        var time = new Option<string?>("--time") { Description = "with --slurm: time limit per run, e.g. 1:00:00 (#SBATCH --time)" };
        var cpus = new Option<int?>("--cpus-per-task") { Description = "with --slurm: CPUs per run, also its threads (#SBATCH --cpus-per-task; default 1 thread)" };
        var gres = new Option<string?>("--gres") { Description = "with --slurm: generic resources, e.g. gpu:1 (#SBATCH --gres)" };
        var command = new Command("sweep", "Expand a grid (task parameters x model x training x seeds) into runs and train them: here with --workers, or on Slurm with --slurm. Complete runs are skipped, interrupted ones resumed. Then: toolkit collect DIR.");
        command.Arguments.Add(grid);
        foreach (var o in new Option[] { output, workers, dryRun, slurm, partition, time, cpus, gres }) command.Options.Add(o);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            var dir = r.GetValue(output) ?? throw new ToolkitException("no sweep directory given", "add --out sweeps/NAME");
            Toolkit.Runs.RunDirectory.CheckPath(dir);
            var slurmOnly = new Option[] { partition, time, cpus, gres }.Where(o => r.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
            if (!r.GetValue(slurm) && slurmOnly.Count > 0)
                throw new ToolkitException($"{string.Join(", ", slurmOnly)} only apply to Slurm", "add --slurm, or drop them for a local sweep (--workers N)");
            if (r.GetValue(slurm) && r.GetResult(workers) is { Implicit: false })
                throw new ToolkitException("--workers applies to a local sweep; on Slurm every run is its own array task", "drop --workers (use --cpus-per-task for threads per run)");
            var n = r.GetValue(workers);
            if (n < 1 || n > 256) throw new ToolkitException($"--workers {n} is outside 1..256", $"use --workers 1 .. {Environment.ProcessorCount} (this machine's cores)");
            if (r.GetValue(cpus) is int c && (c < 1 || c > TrainingConfig.MaxThreads))
                throw new ToolkitException($"--cpus-per-task {c} is outside 1..{TrainingConfig.MaxThreads}", "use --cpus-per-task 4, for example");

            var plan = SweepPlan.Of(SweepGrid.Read(r.GetValue(grid)!), dir);
            var threads = Math.Max(1, Environment.ProcessorCount / n);
            if (r.GetValue(slurm))
            {
                var options = new SlurmOptions(r.GetValue(partition), r.GetValue(time), r.GetValue(cpus), r.GetValue(gres));
                if (r.GetValue(dryRun))
                {
                    plan.CheckExisting();
                    Console.Write(SlurmSweep.Script(plan, options));
                    Console.Error.WriteLine($"dry run: {plan.Runs.Count} runs as array tasks 0-{plan.Runs.Count - 1}; nothing written or submitted");
                    return 0;
                }
                plan = plan.Save(options.CpusPerTask ?? 1);
                var job = SlurmSweep.Submit(plan, options);
                Console.WriteLine($"submitted Slurm job {job}: {plan.Runs.Count} array tasks (0-{plan.Runs.Count - 1}), script {Path.Combine(plan.Directory, SlurmSweep.ScriptName)}");
                Console.WriteLine($"follow it with: squeue -j {job}; logs in {Path.Combine(plan.Directory, "logs")}; when it is done: toolkit collect {plan.Directory}");
                return 0;
            }
            if (r.GetValue(dryRun))
            {
                plan.CheckExisting();
                PrintRuns(plan, n, threads);
                return 0;
            }
            plan = plan.Save(threads);
            using var signals = new StopSignals();
            var outcome = new LocalSweep(plan, n, threads).Run(signals.Token);
            Console.WriteLine($"sweep {plan.Directory}: {outcome.Total} runs; {outcome.Trained} trained, {outcome.Resumed} resumed, {outcome.Skipped} skipped (complete), {outcome.Failed.Count} failed" +
                              (outcome.Interrupted > 0 ? $", {outcome.Interrupted} interrupted" : "") + (outcome.NotStarted > 0 ? $", {outcome.NotStarted} not started" : "") +
                              (outcome.Running > 0 ? $", {outcome.Running} running elsewhere (left alone)" : "") +
                              (outcome.Diverged > 0 ? $", {outcome.Diverged} diverged before (not retried)" : ""));
            if (outcome.Stopped)
            {
                Console.Error.WriteLine("stopped: the running runs saved a checkpoint");
                Console.Error.WriteLine($"hint: rerun the same command to resume them: toolkit sweep {r.GetValue(grid)} --out {plan.Directory}");
                return signals.ExitCode;
            }
            if (outcome.Failed.Count > 0)
            {
                foreach (var (run, code, log) in outcome.Failed)
                    Console.Error.WriteLine($"error: run {run.Name} failed (exit code {code}): {LastError(log)}");
                Console.Error.WriteLine($"hint: see the logs named above; rerun the same command to retry the failed runs (complete ones are skipped)");
                return 1;
            }
            if (outcome.Running > 0)
                Console.WriteLine($"{outcome.Running} run(s) are still training in other processes; when they finish: toolkit collect {plan.Directory}");
            else
                Console.WriteLine($"next: toolkit collect {plan.Directory}");
            return 0;
        }));
        return command;
    }

    private static void PrintRuns(SweepPlan plan, int workers, int threads)
    {
        var states = plan.Runs.Select(plan.StateOf).ToList();
        Console.WriteLine($"sweep {plan.Directory}: {plan.Runs.Count} runs; varying: {(plan.Varying.Count == 0 ? "nothing" : string.Join(", ", plan.Varying))}");
        Console.WriteLine($"  {"index",5}  {"state",-11}  {"run",-40}  what it does");
        for (var i = 0; i < plan.Runs.Count; i++)
        {
            var run = plan.Runs[i];
            var action = states[i].State switch
            {
                RunState.Complete => "skip (complete)",
                RunState.Interrupted => "resume",
                RunState.Damaged => $"resume, rewriting what does not verify ({states[i].Detail})",
                RunState.Running => $"skip ({states[i].Detail})",
                RunState.Diverged => $"report, not retry ({states[i].Detail})",
                _ => "train",
            };
            Console.WriteLine($"  {run.Index,5}  {states[i].State.ToString().ToLowerInvariant(),-11}  {run.Name,-40}  {action}");
        }
        int Count(params RunState[] s) => states.Count(x => s.Contains(x.State));
        Console.WriteLine($"dry run: would train {Count(RunState.New)}, resume {Count(RunState.Interrupted, RunState.Damaged)}, " +
                          $"skip {Count(RunState.Complete)}" +
                          (Count(RunState.Running) > 0 ? $", leave {Count(RunState.Running)} running" : "") +
                          (Count(RunState.Diverged) > 0 ? $", report {Count(RunState.Diverged)} diverged" : "") +
                          $"; {workers} worker(s) x {threads} thread(s); nothing written");
    }

    /// <summary>The last "error:" line of a child's log, or its last line.</summary>
    private static string LastError(string log)
    {
        try
        {
            var lines = File.ReadAllLines(log).Where(l => !l.StartsWith("== ", StringComparison.Ordinal)).ToList();
            return lines.LastOrDefault(l => l.StartsWith("error:", StringComparison.Ordinal))?["error:".Length..].Trim() ?? lines.LastOrDefault() ?? "(no output)";
        }
        catch (IOException) { return "(log unreadable)"; }
    }
}
