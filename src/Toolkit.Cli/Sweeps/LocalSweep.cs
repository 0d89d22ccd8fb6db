using System.Runtime.InteropServices;
using Toolkit.Runs;
using Toolkit.Sweeps;

namespace Toolkit.Cli.Sweeps;

/// <summary>Runs a sweep on this machine: at most <c>workers</c> child <c>toolkit train --sweep DIR --index i</c>
/// processes at once, each with <c>threads</c> CPU threads; complete runs are skipped without a process,
/// interrupted ones resumed (by the child, as a Slurm task would). Each child's output goes to DIR/logs/NAME.log.</summary>
public sealed class LocalSweep(SweepPlan plan, int workers, int threads)
{
    /// <summary>What happened to the sweep's runs in this invocation.</summary>
    public sealed record Outcome(int Total, int Skipped, int Trained, int Resumed, IReadOnlyList<(SweepRun Run, int Code, string Log)> Failed, int NotStarted, bool Stopped, int Interrupted)
    {
        /// <summary>Runs left alone because another process trains them now.</summary>
        public int Running { get; init; }
        /// <summary>Runs that diverged before: reported, not retried (the same config diverges again).</summary>
        public int Diverged { get; init; }
    }

    private sealed record Child(SweepRun Run, ToolkitChild Process, bool Resuming);

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    /// <summary>Runs every incomplete run; a stop request (SIGINT/SIGTERM) is passed on to the running
    /// children as SIGTERM (each saves a checkpoint) and no new run starts.</summary>
    public Outcome Run(CancellationToken stop)
    {
        var states = plan.Runs.ToDictionary(r => r.Index, r => plan.StateOf(r).State);
        int Count(params RunState[] s) => states.Values.Count(s.Contains);
        // Complete runs are skipped; running ones belong to another process; diverged ones would diverge again.
        var pending = new Queue<SweepRun>(plan.Runs.Where(r => states[r.Index] is RunState.New or RunState.Interrupted or RunState.Damaged));
        var skipped = Count(RunState.Complete);
        var logs = Path.Combine(plan.Directory, "logs");
        Directory.CreateDirectory(logs);
        var progress = new SweepProgress(plan.Runs.Count, plan.Runs.Count - pending.Count);
        Console.Error.WriteLine($"sweep {plan.Directory}: {plan.Runs.Count} runs; {skipped} complete (skipped), " +
                                (Count(RunState.Running) > 0 ? $"{Count(RunState.Running)} running elsewhere (left alone), " : "") +
                                (Count(RunState.Diverged) > 0 ? $"{Count(RunState.Diverged)} diverged before (not retried), " : "") +
                                $"{Count(RunState.Interrupted, RunState.Damaged)} to resume, {Count(RunState.New)} to train; " +
                                $"{workers} worker(s) x {threads} thread(s)");
        var running = new List<Child>();
        var failed = new List<(SweepRun, int, string)>();
        int trained = 0, resumed = 0, interrupted = 0;
        var stopSent = false;
        progress.Draw(running.Select(c => c.Run.Name));
        while (running.Count > 0 || (pending.Count > 0 && !stop.IsCancellationRequested))
        {
            while (running.Count < workers && pending.Count > 0 && !stop.IsCancellationRequested)
                running.Add(Start(pending.Dequeue(), states, logs));
            progress.Draw(running.Select(c => c.Run.Name));
            if (stop.IsCancellationRequested && !stopSent)
            {
                foreach (var c in running) kill(c.Process.Id, 15); // SIGTERM: the child checkpoints and exits 143
                stopSent = true;
            }
            var finished = running.FirstOrDefault(c => c.Process.HasExited);
            if (finished is null)
            {
                Thread.Sleep(200);
                continue;
            }
            var code = finished.Process.Finish();
            running.Remove(finished);
            if (code == 0)
            {
                if (finished.Resuming) resumed++; else trained++;
                progress.RunFinished();
            }
            else if (stopSent) interrupted++;
            else failed.Add((finished.Run, code, finished.Process.LogPath));
            progress.Draw(running.Select(c => c.Run.Name), force: true);
        }
        progress.Finish();
        return new Outcome(plan.Runs.Count, skipped, trained, resumed, failed, pending.Count, stop.IsCancellationRequested, interrupted)
        {
            Running = Count(RunState.Running),
            Diverged = Count(RunState.Diverged),
        };
    }

    private Child Start(SweepRun run, IReadOnlyDictionary<int, RunState> states, string logs)
    {
        var args = ToolkitProgram.TrainArgs(plan.Directory, run.Index.ToString(), threads.ToString());
        var child = ToolkitProcess.Start(args[0], args.Skip(1), Path.Combine(logs, run.Name + ".log"));
        return new Child(run, child, states[run.Index] is RunState.Interrupted or RunState.Damaged);
    }
}
