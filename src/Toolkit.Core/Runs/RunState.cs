namespace Toolkit.Runs;

/// <summary>Where a run stands on disk (docs/design.md §6). Sweeps and collect act on it: new runs are trained,
/// interrupted and damaged ones resumed (a resume rewrites what is damaged), the others left as they are.</summary>
public enum RunState
{
    /// <summary>Nothing trained yet (no config.json).</summary>
    New,
    /// <summary>A live process holds the run's lock: it is training now.</summary>
    Running,
    /// <summary>Started, not finished, resumable: config.json, maybe checkpoints, none at the final step.</summary>
    Interrupted,
    /// <summary>Training diverged (diverged.json): the same config diverges again, so it is reported, never retried.</summary>
    Diverged,
    /// <summary>A file does not verify: config.json, the final checkpoint or metrics.csv.</summary>
    Damaged,
    /// <summary>Its final checkpoint exists and verifies, and metrics.csv reads.</summary>
    Complete,
}

/// <summary>A run's state and what explains it: the lock's holder, the divergence, or the damage with the hint that repairs it.</summary>
public sealed record RunStatus(RunState State, string? Detail = null, string? Hint = null)
{
    /// <summary>The state of the run in <paramref name="path"/>, complete at <paramref name="steps"/> (null: its config's steps).</summary>
    public static RunStatus Of(string path, int? steps = null)
    {
        if (RunLock.Holder(path) is { } holder) return new(RunState.Running, $"trained now by {holder}");
        if (!File.Exists(Path.Combine(path, "config.json")) && !Directory.Exists(Path.Combine(path, "checkpoints"))) return new(RunState.New);
        RunDirectory run;
        RunConfig config;
        try
        {
            run = RunDirectory.Open(path);
            config = run.ReadConfig();
        }
        catch (ToolkitException e) { return new(RunState.Damaged, e.Message, e.Hint); }
        if (DivergenceRecord.Read(run) is { } diverged)
            return new(RunState.Diverged, diverged.Reason, "the same config diverges again: change it (a lower lr, a longer warm-up) and train a new run");
        var checkpoints = run.Checkpoints();
        if (checkpoints.Count == 0 || checkpoints[^1].Step < (steps ?? config.Training.Steps)) return new(RunState.Interrupted);
        var (step, folder) = checkpoints[^1];
        if (run.CheckpointProblem(config, step, folder) is { } problem) return new(RunState.Damaged, problem, run.RepairHint(config, step));
        try { run.ReadMetrics(config); }
        catch (ToolkitException e) { return new(RunState.Damaged, e.Message, e.Hint); }
        return new(RunState.Complete);
    }
}
