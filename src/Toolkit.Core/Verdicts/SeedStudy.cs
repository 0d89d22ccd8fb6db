using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Runs;
using Toolkit.Training;

namespace Toolkit.Verdicts;

/// <summary>One seed of a multi-seed study: its run, the checkpoint judged, the verdict and training dynamics.</summary>
public sealed record SeedOutcome(long Seed, string RunPath, int CheckpointStep, GeneralizationVerdict Verdict, TrainingDynamics Dynamics);

/// <summary>The same run repeated over seeds (phase-change timing varies with the seed): sibling runs <c>NAME-seedS</c>,
/// trained only when asked to (<c>trainMissing</c>), then every seed is judged.</summary>
public static class SeedStudy
{
    /// <summary>Judges the run and <paramref name="seeds"/> − 1 siblings with the following seeds. A missing sibling is an
    /// error unless <paramref name="trainMissing"/>; then the missing ones are trained with the run's config and their seeds,
    /// on <paramref name="threads"/> threads when given (else the run's own count), side by side where the cores allow
    /// (<see cref="SeedRunner"/>: <paramref name="progress"/> hears its lines, <paramref name="observer"/> watches a seed
    /// trained in this process). Each seed is judged at its latest checkpoint, or at <paramref name="step"/>'s.</summary>
    public static IReadOnlyList<SeedOutcome> Run(string runPath, int seeds, VerdictSettings? settings = null,
        Func<long, ITrainingObserver>? observer = null, bool trainMissing = false, int? threads = null, Action<string>? progress = null, int? step = null)
    {
        if (seeds < 1) throw new ToolkitException($"--seeds {seeds} must be at least 1", "use --seeds 3, for example");
        var first = RunDirectory.Open(runPath);
        var config = first.ReadConfig();
        var paths = Enumerable.Range(0, seeds).Select(i => i == 0 ? runPath : $"{runPath.TrimEnd('/', '\\')}-seed{config.Training.Seed + i}").ToList();
        var missing = new List<SeedRunner.Job>();
        for (var i = 1; i < seeds; i++)
        {
            if (File.Exists(Path.Combine(paths[i], "config.json"))) continue;
            var seed = config.Training.Seed + i;
            if (!trainMissing)
                throw new ToolkitException($"seed {seed} has no run at {paths[i]}",
                    $"add --train-missing (it trains the run's config with seed {seed}), or judge fewer seeds: use --seeds {i}");
            var training = config.Training with { Seed = seed, Threads = threads ?? config.Training.Threads };
            missing.Add(new SeedRunner.Job(config with { Training = training, Provenance = null }, paths[i]));
        }
        SeedRunner.Train(missing, progress, observer: observer is null ? null : job => observer(job.Config.Training.Seed));
        return paths.Select(p => Judge(p, settings, step)).ToList();
    }

    /// <summary>Judges one run's latest checkpoint (or the one at <paramref name="step"/>) on its own task and probes, with
    /// head roles as evidence.</summary>
    public static SeedOutcome Judge(string runPath, VerdictSettings? settings = null, int? step = null)
    {
        using var run = LoadedRun.Open(runPath, step);
        return run.Judge(settings);
    }
}
