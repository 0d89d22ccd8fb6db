using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Toolkit.Runs;
using Toolkit.Training;

namespace Toolkit.Sweeps;

/// <summary>A sweep on disk: <c>DIR/sweep.json</c> holds the grid, its expansion (every run's name,
/// varying values and config) and the provenance of the sweep; runs live in <c>DIR/NAME/</c>.</summary>
/// <remarks>Every launcher (local workers, Slurm array tasks) reads the same sweep.json and trains run
/// <c>i</c> through <see cref="TrainRun"/>, so skip and resume behave the same everywhere.</remarks>
public sealed class SweepPlan
{
    /// <summary>The sweep file's name inside the sweep directory.</summary>
    public const string FileName = "sweep.json";

    [JsonPropertyName("grid")] public JsonObject Grid { get; init; } = new();
    /// <summary>Labels of the axes with more than one value, in grid order.</summary>
    [JsonPropertyName("varying")] public IReadOnlyList<string> Varying { get; init; } = [];
    [JsonPropertyName("runs")] public IReadOnlyList<SweepRun> Runs { get; init; } = [];
    [JsonPropertyName("provenance")] public Provenance? Provenance { get; init; }

    /// <summary>The sweep directory (not serialized).</summary>
    [JsonIgnore] public string Directory { get; private set; } = "";

    /// <summary>The run directory of a run.</summary>
    public string PathOf(SweepRun run) => System.IO.Path.Combine(Directory, run.Name);

    /// <summary>The plan of a grid in a directory (nothing written); every run's path is checked as a run directory's.</summary>
    public static SweepPlan Of(SweepGrid grid, string directory)
    {
        RunDirectory.CheckPath(directory);
        var plan = new SweepPlan { Grid = grid.Json, Varying = grid.Varying.Select(a => a.Label).ToList(), Runs = grid.Expand(), Directory = directory };
        foreach (var run in plan.Runs) RunDirectory.CheckPath(plan.PathOf(run), "use --out sweeps/NAME (a shorter path), or fewer varying settings (each run's folder is named by them)");
        return plan;
    }

    /// <summary>Writes sweep.json, or checks that the one already there describes the same runs
    /// (a directory holds one sweep; rerunning it skips and resumes). Returns the plan on disk.</summary>
    public SweepPlan Save(int threads)
    {
        if (CheckExisting() is { } existing) return existing;
        System.IO.Directory.CreateDirectory(Directory);
        var saved = new SweepPlan
        {
            Grid = Grid, Varying = Varying, Runs = Runs, Directory = Directory,
            Provenance = Toolkit.Runs.Provenance.Capture(Runs.Count > 0 ? Runs[0].Config.Training.Device : "auto", threads),
        };
        AtomicFile.WriteText(System.IO.Path.Combine(Directory, FileName), JsonSerializer.Serialize(saved, RunConfig.Json));
        return saved;
    }

    /// <summary>The sweep already in the directory (null when none), or an error when it describes other runs.</summary>
    public SweepPlan? CheckExisting()
    {
        var path = System.IO.Path.Combine(Directory, FileName);
        if (!File.Exists(path)) return null;
        var existing = Open(Directory);
        if (Identity(existing) != Identity(this))
            throw new ToolkitException($"{Directory} already holds a different sweep (its {FileName} has other runs or settings)",
                $"choose another --out, or delete {path} and the runs beside it to start over");
        return existing;
    }

    /// <summary>What tells two sweeps apart: their runs' names and configs.</summary>
    private static string Identity(SweepPlan plan) =>
        JsonSerializer.Serialize(plan.Runs.Select(r => new { r.Name, r.Config.Model, Training = r.Config.Training with { Threads = 1 }, r.Config.Task }), RunConfig.Json);

    /// <summary>Reads <c>DIR/sweep.json</c>, with a clear error when it is missing or malformed.</summary>
    public static SweepPlan Open(string directory)
    {
        var path = System.IO.Path.Combine(directory, FileName);
        if (!File.Exists(path))
            throw new ToolkitException($"no sweep at {directory} (no {FileName})", $"start one: toolkit sweep grid.json --out {directory}");
        try
        {
            var plan = JsonSerializer.Deserialize<SweepPlan>(File.ReadAllText(path), RunConfig.Json) ?? throw new JsonException("empty document");
            plan.Directory = directory;
            return plan;
        }
        catch (JsonException e)
        {
            throw new ToolkitException($"{path} is not a valid sweep file: {e.Message}", $"rerun toolkit sweep with the grid and --out {directory}");
        }
    }

    /// <summary>The run with an index, or an error naming the valid range.</summary>
    public SweepRun Run(int index) =>
        index >= 0 && index < Runs.Count ? Runs[index]
            : throw new ToolkitException($"the sweep in {Directory} has no run {index}", $"its runs are 0..{Runs.Count - 1}");

    /// <summary>Where a run stands (<see cref="RunStatus.Of"/>), complete at the sweep's steps.</summary>
    public RunStatus StateOf(SweepRun run) => RunStatus.Of(PathOf(run), run.Config.Training.Steps);

    /// <summary>Trains run <paramref name="index"/> with <paramref name="threads"/> CPU threads: skips it when complete,
    /// resumes it when interrupted or damaged (the resume rewrites what does not verify; the run keeps its own config.json),
    /// refuses to retry it when it diverged (exit 3: the same config diverges again), trains it otherwise.</summary>
    public (SweepRunAction Action, TrainingResult? Result) TrainRun(int index, int threads, ITrainingObserver? observer = null, CancellationToken stop = default)
    {
        var run = Run(index);
        var path = PathOf(run);
        var status = StateOf(run);
        switch (status.State)
        {
            case RunState.Complete:
                return (SweepRunAction.Skipped, null);
            case RunState.Diverged:
                throw new DivergedBeforeException(path, status.Detail);
            case RunState.Interrupted or RunState.Damaged:
                return (SweepRunAction.Resumed, Trainer.Resume(path, run.Config.Training.Steps, observer, stop));
            default: // new, or running (the lock refuses a second writer, naming the holder)
                if (File.Exists(System.IO.Path.Combine(path, "config.json")))
                    return (SweepRunAction.Resumed, Trainer.Resume(path, run.Config.Training.Steps, observer, stop));
                var config = run.Config with { Training = run.Config.Training with { Threads = threads } };
                return (SweepRunAction.Trained, Trainer.Train(config, path, observer, stop));
        }
    }

    /// <summary>A sweep's run that diverged before is not retried (exit 3, as a divergence).</summary>
    private sealed class DivergedBeforeException(string path, string? reason)
        : ToolkitException($"{path} diverged before ({reason}); not retried: the same config diverges again",
            "change the grid (a lower lr, a longer warm-up) and start another sweep")
    {
        public override int ExitCode => 3;
    }
}
