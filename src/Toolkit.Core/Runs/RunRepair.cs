namespace Toolkit.Runs;

/// <summary>What to do about a damaged run (docs/design.md §6): which checkpoints a resume may start from, and the one
/// command that repairs the run, given as the hint of every refusal.</summary>
public sealed partial class RunDirectory
{
    /// <summary>The checkpoints a resume may continue from, newest first, each with why it cannot (null: it can): it must
    /// verify (<see cref="CheckpointProblem"/>), hold a training state, and metrics.csv must hold every row up to its step as
    /// written (<see cref="CheckpointManifest.CheckMetrics"/>; row by row for a checkpoint made before manifests,
    /// <see cref="MetricsFile.ProblemThrough"/>). Lazy: checkpoints older than the first usable one are not read.</summary>
    public IEnumerable<(int Step, string Path, string? Problem)> ResumeCandidates(RunConfig config)
    {
        var metrics = new Lazy<MetricsFile?>(() =>
            File.Exists(MetricsPath) ? MetricsFile.Read(MetricsPath, MetricsLog.HeaderOf(config.Model.NLayers, config.Model.NHeads)) : null);
        foreach (var (step, folder) in Checkpoints().Reverse())
        {
            var problem = CheckpointProblem(config, step, folder);
            if (problem is null && Checkpoint.IsWeightsOnly(folder))
                problem = $"{folder} holds weights only, no training state";
            if (problem is null)
            {
                // The manifest's digest of metrics.csv proves its rows byte for byte; a checkpoint without one (made before
                // manifests) has them checked row by row.
                problem = CheckpointManifest.CheckMetrics(folder, MetricsPath, config.RunId, out var compared);
                if (!compared)
                {
                    try
                    {
                        var interval = Checkpoint.ReadState(folder, step).IntervalSteps;
                        problem = metrics.Value?.ProblemThrough(step, interval)
                                  ?? (metrics.Value is null && step - interval > 0 ? $"{MetricsPath} is missing" : null);
                    }
                    catch (ToolkitException e) { problem = e.Message; }
                }
            }
            yield return (step, folder, problem);
        }
    }

    /// <summary>The command that repairs a damaged run, as a hint: restore config.json from a checkpoint when it is what
    /// changed; else rewrite the damage by resuming from the newest checkpoint that can be resumed; else train again from
    /// step 0 with the damaged checkpoints moved aside. <paramref name="damagedStep"/>, when not the newest checkpoint,
    /// points to a checkpoint that verifies instead (export --step).</summary>
    public string RepairHint(RunConfig config, int? damagedStep)
    {
        if (RestoreSource(config) is { } source)
            return RestoreConfigHint(source);
        var checkpoints = Checkpoints();
        if (damagedStep is int d && checkpoints.Count > 0 && d < checkpoints[^1].Step)
        {
            var sound = checkpoints.Where(c => c.Step != d).Reverse().FirstOrDefault(c => CheckpointProblem(config, c.Step, c.Path) is null);
            if (sound.Path is not null) return $"choose a checkpoint that verifies: use --step {sound.Step}";
        }
        if (checkpoints.Count > 0 && checkpoints.All(c => Checkpoint.IsWeightsOnly(c.Path)))
            return "the run holds an imported model only: import it again into a new run (toolkit import WEIGHTS --config CFG --out runs/NEW)";
        var usable = ResumeCandidates(config).FirstOrDefault(c => c.Problem is null);
        return usable.Path is not null && usable.Step < config.Training.Steps
            ? $"rewrite it from the newest checkpoint that verifies: toolkit train --resume {Path}"
            : $"train it again from step 0, keeping the checkpoints aside: mv {CheckpointsPath} {CheckpointsPath}.damaged && toolkit train --resume {Path}";
    }

    /// <summary>The hint that restores config.json from a checkpoint (the newest that verifies on its own when none is given).</summary>
    private string RestoreConfigHint((int Step, string Path)? source)
    {
        source ??= RestoreSource(null);
        return source is { } s
            ? $"restore it from its checkpoint of step {s.Step}: cp {System.IO.Path.Combine(s.Path, "config.json")} {ConfigPath}"
            : "no checkpoint of the run verifies either, so nothing holds its settings: train the run again into a new folder";
    }

    /// <summary>When config.json (<paramref name="config"/>; null when unreadable) agrees with no checkpoint that verifies on its
    /// own, it is config.json that changed: the newest such checkpoint, to restore it from. Null when config.json is sound.</summary>
    private (int Step, string Path)? RestoreSource(RunConfig? config)
    {
        (int Step, string Path)? newest = null;
        foreach (var (step, folder) in Checkpoints().Reverse())
        {
            if (CheckpointManifest.Check(folder, step, null, out _, anyRun: true) is not null) continue;
            RunConfig saved;
            try { saved = RunConfig.Read(System.IO.Path.Combine(folder, "config.json")); }
            catch (ToolkitException) { continue; }
            if (config is not null && saved.SameRunAs(config)) return null;
            newest ??= (step, folder);
        }
        return newest;
    }
}
