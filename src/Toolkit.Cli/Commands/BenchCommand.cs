using System.CommandLine;
using Toolkit.Cli.Bench;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Training;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit bench ...</c>: speed measured against a baseline in the same run (ratios, not
/// absolute targets: this machine is shared and noisy).</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Benchmarks that print ratios against a baseline measured in the same run.");
        command.Subcommands.Add(Train());
        command.Subcommands.Add(Tasks());
        command.Subcommands.Add(Analysis());
        return command;
    }

    private static Command Train()
    {
        var steps = new Option<int>("--steps") { Description = "timed steps per round (after 20 warm-up steps)", DefaultValueFactory = _ => 600 };
        var rounds = new Option<int>("--rounds") { Description = "alternating rounds; medians and ranges are printed", DefaultValueFactory = _ => 3 };
        var threads = new Option<int>("--threads") { Description = "CPU threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("train", "Trainer tokens/s, with its default bookkeeping and without, against the fastest bare TorchSharp loop on the same model (targets 0.85 and 0.95).");
        command.Options.Add(steps);
        command.Options.Add(rounds);
        command.Options.Add(threads);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            int n = r.GetValue(steps), t = r.GetValue(threads), k = r.GetValue(rounds);
            if (n < 20 || n > 1_000_000) throw new ToolkitException($"--steps {n} is outside 20..1000000", "use --steps 600, for example");
            if (k < 1 || k > 100) throw new ToolkitException($"--rounds {k} is outside 1..100", "use --rounds 3, for example");
            TorchSharp.torch.set_num_threads(t);
            Console.WriteLine($"model: 2 layers, 4 heads, d_model 64, vocab 64, context 64, batch 64, attention-only; {t} threads; {n} timed steps per round, {k} rounds");
            var sides = new (string Name, Func<int, double> Measure)[]
            {
                ("bare loop, explicit attention", round => BareTorchLoop.TokensPerSecond(2, 4, 64, 64, 64, 64, n, warmup: 20, seed: round)),
                ("bare loop, scaled_dot_product_attention", round => BareTorchLoop.TokensPerSecond(2, 4, 64, 64, 64, 64, n, warmup: 20, seed: round, sdpa: true)),
                ("trainer, bookkeeping off", round => ToolkitTokensPerSecond(n, t, round, defaultCadence: false)),
                ("trainer, toolkit train's defaults", round => ToolkitTokensPerSecond(n, t, round, defaultCadence: true)),
            };
            var results = sides.ToDictionary(s => s.Name, _ => new List<double>());
            for (var round = 1; round <= k; round++)
            {
                // Alternate the sides so a noisy neighbour hurts all alike.
                foreach (var (name, measure) in sides) results[name].Add(measure(round));
                Console.WriteLine($"round {round}: " + string.Join("; ", sides.Select(s => $"{s.Name} {results[s.Name][^1] / 1000:F0}k")));
            }
            static double Median(List<double> v) { var o = v.Order().ToList(); return o.Count % 2 == 1 ? o[o.Count / 2] : (o[o.Count / 2 - 1] + o[o.Count / 2]) / 2; }
            foreach (var (name, _) in sides)
                Console.WriteLine($"  {name,-42} median {Median(results[name]) / 1000,5:F0}k tokens/s (range {results[name].Min() / 1000:F0}k–{results[name].Max() / 1000:F0}k)");
            var bare = sides.Take(2).MaxBy(s => Median(results[s.Name]));
            var baseline = Median(results[bare.Name]);
            var off = Median(results["trainer, bookkeeping off"]) / baseline;
            var defaults = Median(results["trainer, toolkit train's defaults"]) / baseline;
            Console.WriteLine($"baseline: the faster bare loop, {bare.Name}");
            Console.WriteLine($"trainer / baseline: bookkeeping off {off:F2} (target ≥ 0.95: {(off >= 0.95 ? "met" : "not met")}); " +
                              $"default cadence {defaults:F2} (target ≥ 0.85: {(defaults >= 0.85 ? "met" : "not met")})");
            return 0;
        }));
        return command;
    }

    private static Command Analysis()
    {
        var command = new Command("analysis", "Seconds for the standard analysis of a 2-layer 4-head model on a 64×64 batch (target < 2 s).");
        command.SetAction(r => CommandLine.Guard(() =>
        {
            TorchSharp.torch.set_num_threads(Environment.ProcessorCount);
            var seconds = Toolkit.Analysis.AnalysisBenchmark.Run();
            Console.WriteLine($"standard analysis (head scores, composition with a 200-draw baseline, copying scores, zero and mean ablation of every head): {seconds:F2} s (target < 2 s: {(seconds < 2 ? "met" : "not met")})");
            return 0;
        }));
        return command;
    }

    private static Command Tasks()
    {
        var seconds = new Option<double>("--seconds") { Description = "measuring time per task", DefaultValueFactory = _ => 1.0 };
        var command = new Command("tasks", "Generation tokens/s of every task on one core, beside the trainer's tokens/s (target ≥ 5M tokens/s).");
        command.Options.Add(seconds);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            // The trainer first, on the machine's threads: generation must never be what limits training.
            TorchSharp.torch.set_num_threads(Environment.ProcessorCount);
            var trainer = ToolkitTokensPerSecond(100, Environment.ProcessorCount, seed: 1);
            Console.WriteLine($"trainer (2-layer attention-only, batch 64 × 64 tokens, {Environment.ProcessorCount} threads): {trainer / 1e6:F2}M tokens/s");
            Console.WriteLine("task generation, one core, default parameters:");
            foreach (var (name, rate) in Toolkit.Tasks.TaskBenchmark.catalog(r.GetValue(seconds)))
                Console.WriteLine($"  {name,-18} {rate / 1e6,7:F1}M tokens/s  {rate / trainer,6:F0}× the trainer  (target ≥ 5M: {(rate >= 5e6 ? "met" : "not met")})");
            return 0;
        }));
        return command;
    }

    /// <summary>Tokens/s of the real trainer on the fixed-period task. With <paramref name="defaultCadence"/>, as
    /// <c>toolkit train</c> runs by default (log every 20, evaluation and head scores every 100, checkpoints every
    /// 500), timed by the wall clock around the whole run; without, from its own interval clock with evaluation and
    /// checkpoints only at the end (the first interval dropped as warm-up).</summary>
    private static double ToolkitTokensPerSecond(int steps, int threads, int seed, bool defaultCadence = false)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"toolkit-bench-{Guid.NewGuid():N}");
        var rates = new RateObserver();
        try
        {
            var logEvery = Math.Max(5, steps / 10);
            var defaults = new TrainingConfig();
            var training = defaultCadence
                ? defaults with { Steps = steps, BatchSize = 64, LearningRate = 3e-3, Seed = seed, Threads = threads }
                : new TrainingConfig
                {
                    Steps = steps + logEvery, BatchSize = 64, LearningRate = 3e-3, Seed = seed, Threads = threads,
                    LogEvery = logEvery, EvalEvery = steps + logEvery, EvalSequences = 64, CheckpointEvery = 0,
                };
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Trainer.Train(new RunConfig
            {
                Model = new ModelConfig(),
                Training = training,
                Task = new TaskSpec { Name = "repeated-copy", Parameters = new() { ["period"] = "32" } },
            }, dir, rates);
            if (defaultCadence) return (double)steps * 64 * 64 / clock.Elapsed.TotalSeconds;
            var timed = rates.Rates.Skip(1).ToList();
            return timed.Count / timed.Sum(x => 1 / x); // harmonic mean = total tokens / total time
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    private sealed class RateObserver : ITrainingObserver
    {
        public readonly List<double> Rates = new();
        public void OnProgress(int step, int totalSteps, double trainLoss, double tokensPerSecond) => Rates.Add(tokensPerSecond);
    }
}
