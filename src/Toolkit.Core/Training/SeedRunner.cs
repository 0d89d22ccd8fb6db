using System.Diagnostics;
using System.Globalization;
using Toolkit.Runs;

namespace Toolkit.Training;

/// <summary>Trains independent runs, such as a study's seeds, side by side: as many child <c>toolkit train</c> processes at
/// once as the cores this process may use hold at each run's own thread count (results depend on the thread count, so it
/// is never changed). Every run gives the same files and numbers as the same run trained alone with the same threads.
/// On this 2-core CPU it gains little (about 9% over one-thread runs one after the other on long runs, nothing over
/// two-thread runs, a loss on short ones: docs/design.md §5), and stacking seeds into one batched model did not pay
/// either; this one interface is where a batched path for CUDA would go.</summary>
public static class SeedRunner
{
    /// <summary>One run to train: its config and the folder it goes to (which must not hold a run yet).</summary>
    public sealed record Job(RunConfig Config, string Path);

    /// <summary>How many trainings run at once: the cores (<see cref="Environment.ProcessorCount"/>, which honours the
    /// process's affinity and CPU quota) divided by each run's threads, at least 1, at most one per run.</summary>
    public static int Processes(int runs, int threadsEach, int cores) => Math.Max(1, Math.Min(runs, cores / Math.Max(1, threadsEach)));

    /// <summary>The order the children start in: the longest runs first (tokens seen, steps × batch × context, a proxy
    /// for time at one model), ties in the given order, so a long run never starts last beside idle cores (on two
    /// cores, one 200M-token run after four shorter ones would take their time plus its own). Results are returned in
    /// the given order whatever the start order; each run's numbers do not depend on it.</summary>
    public static IReadOnlyList<int> StartOrder(IReadOnlyList<RunConfig> configs) =>
        Enumerable.Range(0, configs.Count).OrderByDescending(i => (double)configs[i].Training.Steps * configs[i].Training.BatchSize * configs[i].Model.NCtx).ToList();

    /// <summary>Trains every job and returns their results in order. With room for one training only, or no toolkit
    /// program to start (the library used from a notebook), they train here one after the other. Otherwise every run is
    /// checked and created first, then trained by child processes whose output goes to PARENT/logs/NAME.log;
    /// <paramref name="progress"/> hears a line as each finishes, with the rate and what is left. A failed or
    /// interrupted child is an error naming each such run and its log, after the others have finished. <paramref name="observer"/>
    /// watches a run trained here (a child reports to its log).</summary>
    public static IReadOnlyList<TrainingResult> Train(IReadOnlyList<Job> jobs, Action<string>? progress = null, int? cores = null,
        Func<Job, ITrainingObserver>? observer = null)
    {
        if (jobs.Count == 0) return [];
        var threads = jobs.Max(j => j.Config.Training.Threads);
        var processes = Processes(jobs.Count, threads, cores ?? Environment.ProcessorCount);
        if (processes == 1 || ToolkitProcess.Dll is not { } dll)
            return jobs.Select(j => Trainer.Train(j.Config, j.Path, observer?.Invoke(j))).ToList();

        Trainer.Prepare(jobs.Select(j => (j.Config, j.Path)).ToList()); // every run checked before any is created
        progress?.Invoke($"seed runner: {jobs.Count} runs, {processes} at once × {threads} thread(s); logs in {Path.GetDirectoryName(LogPath(jobs[0].Path))}");
        var seconds = new double[jobs.Count];
        var failed = new List<string>();
        var running = new List<(int Index, ToolkitChild Child, Stopwatch Clock)>();
        var order = StartOrder(jobs.Select(j => j.Config).ToList());
        var next = 0;
        var clock = Stopwatch.StartNew();
        while (running.Count > 0 || next < jobs.Count)
        {
            while (running.Count < processes && next < jobs.Count)
            {
                var job = jobs[order[next]];
                running.Add((order[next], ToolkitProcess.Start(dll, ["train", "--resume", Path.GetFullPath(job.Path)], LogPath(job.Path)), Stopwatch.StartNew()));
                next++;
            }
            var done = running.FindIndex(r => r.Child.HasExited);
            if (done < 0)
            {
                Thread.Sleep(100);
                continue;
            }
            var (index, child, runClock) = running[done];
            running.RemoveAt(done);
            var code = child.Finish();
            seconds[index] = runClock.Elapsed.TotalSeconds;
            if (code != 0) failed.Add($"{jobs[index].Path} (exit {code}; see {child.LogPath}{LastError(child.LogPath)})");
            var finished = next - running.Count;
            var left = jobs.Count - finished;
            var rate = finished / clock.Elapsed.TotalMinutes;
            progress?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"seed runner: {finished}/{jobs.Count} done ({Path.GetFileName(jobs[index].Path)}, {seconds[index]:F0} s{(code == 0 ? "" : ", FAILED")}); {rate:F2} runs/min") +
                (left > 0 ? string.Create(CultureInfo.InvariantCulture, $", about {left / rate:F1} min left") : ""));
        }
        if (failed.Count > 0)
            throw new ToolkitException($"{failed.Count} of {jobs.Count} runs did not finish: {string.Join("; ", failed)}",
                $"fix what the log says, then finish each with toolkit train --resume {jobs[0].Path} (the finished runs are kept)");
        return jobs.Select((j, i) => Trainer.ResultOf(j.Path, seconds[i])).ToList();
    }

    /// <summary>PARENT/logs/NAME.log for a run at PARENT/NAME (beside the runs, as a sweep keeps its logs).</summary>
    private static string LogPath(string runPath)
    {
        var full = Path.GetFullPath(runPath).TrimEnd('/', '\\');
        return Path.Combine(Path.GetDirectoryName(full) ?? ".", "logs", Path.GetFileName(full) + ".log");
    }

    /// <summary>"; it says: error: ..." from a log's last error line, or nothing.</summary>
    private static string LastError(string log) =>
        File.Exists(log) && File.ReadLines(log).LastOrDefault(l => l.StartsWith("error: ", StringComparison.Ordinal)) is { } line ? $"; it says: {line}" : "";
}
