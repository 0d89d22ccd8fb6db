using Toolkit.Analysis;
using Toolkit.Experiments;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Training;

namespace Toolkit.Cli.Bench;

/// <summary><c>toolkit bench memory</c>: the process's resident memory over a long training run (the
/// trainer at <c>toolkit train</c>'s default cadence, so evaluation, head scores and checkpoints are in)
/// and over many <c>analyze</c> calls in one process. A leaked tensor, Scalar or cache shows as RSS that
/// keeps climbing; flat means the range of the samples after warm-up stays within 5% of their minimum. Each sample
/// is taken after a full garbage collection and a malloc_trim, so it shows what the process keeps.</summary>
public static class MemoryFlatness
{
    /// <summary>RSS samples (step or call number, bytes) and the share of the run treated as warm-up.</summary>
    public sealed record Trace(string What, IReadOnlyList<(int At, long Bytes)> Samples, double WarmupShare = 0.1)
    {
        public IReadOnlyList<(int At, long Bytes)> AfterWarmup => Samples.Skip((int)Math.Ceiling(Samples.Count * WarmupShare)).ToList();
        /// <summary>(max − min) / min of the samples after warm-up.</summary>
        public double Range => AfterWarmup.Count == 0 ? double.NaN : (double)(AfterWarmup.Max(s => s.Bytes) - AfterWarmup.Min(s => s.Bytes)) / AfterWarmup.Min(s => s.Bytes);
        /// <summary>Median of the last fifth of the samples after warm-up over the median of the first fifth, minus 1:
        /// the trend a leak would show, apart from fluctuation.</summary>
        public double Drift
        {
            get
            {
                var after = AfterWarmup.Select(s => (double)s.Bytes).ToList();
                var fifth = Math.Max(1, after.Count / 5);
                static double Median(IEnumerable<double> v) { var o = v.Order().ToList(); return o[o.Count / 2]; }
                return Median(after.TakeLast(fifth)) / Median(after.Take(fifth)) - 1;
            }
        }
        public const double Target = 0.05;
    }

    /// <summary>Resident memory after a full collection and, on Linux, after glibc returns freed heap to the system:
    /// garbage waiting for the collector (and finalizers that free native tensors) and memory freed but kept by the
    /// allocator would otherwise show as a sawtooth that says nothing about what the process keeps.</summary>
    private static long Rss()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        if (OperatingSystem.IsLinux())
            try { malloc_trim(0); } catch (DllNotFoundException) { } catch (EntryPointNotFoundException) { }
        return Environment.WorkingSet;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);

    /// <summary>Trains the demo's variable-period model for <paramref name="steps"/> steps, sampling RSS at every logged step.</summary>
    public static Trace Training(int steps, int threads, ITrainingObserver progress)
    {
        var dir = Directory.CreateTempSubdirectory("toolkit-memory-").FullName;
        try
        {
            var config = MemorizationDemo.Config(MemorizationDemo.VariablePeriods, steps, seed: 1, threads: threads);
            var defaults = new TrainingConfig();
            config = config with { Training = config.Training with { LogEvery = defaults.LogEvery, EvalEvery = defaults.EvalEvery, CheckpointEvery = defaults.CheckpointEvery } };
            var sampler = new Sampler(progress);
            Trainer.Train(config, Path.Combine(dir, "run"), sampler);
            return new Trace($"training, {steps} steps", sampler.Samples);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Runs the standard analysis <paramref name="calls"/> times on one model, sampling RSS after each call.</summary>
    public static Trace Analysis(int calls, int threads, Action<int>? progress = null)
    {
        TorchSharp.torch.set_num_threads(threads);
        var config = MemorizationDemo.Config(MemorizationDemo.VariablePeriods, 1, seed: 1, threads: threads);
        TorchSharp.torch.manual_seed(1);
        using var model = new HookedTransformer(config.Model);
        var task = config.Task.Create();
        var samples = new List<(int, long)>();
        for (var call = 1; call <= calls; call++)
        {
            Analyzer.Analyze(model, task, seed: call);
            samples.Add((call, Rss()));
            progress?.Invoke(call);
        }
        return new Trace($"analyze, {calls} calls", samples);
    }

    /// <summary>Samples RSS at every logged step and passes the events on to the progress bar.</summary>
    private sealed class Sampler(ITrainingObserver progress) : ITrainingObserver
    {
        public readonly List<(int, long)> Samples = new();
        public void OnStart(int firstStep, int totalSteps) => progress.OnStart(firstStep, totalSteps);
        public void OnEvaluation(int step, Evaluation.EvalResult eval, HeadScoreTable heads) => progress.OnEvaluation(step, eval, heads);
        public void OnProgress(int step, int totalSteps, double trainLoss, double tokensPerSecond)
        {
            Samples.Add((step, Rss()));
            progress.OnProgress(step, totalSteps, trainLoss, tokensPerSecond);
        }
    }
}
