using System.CommandLine;
using Toolkit.Cli.Bench;
using Toolkit.Evaluation;
using Toolkit.Experiments;
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
        command.Subcommands.Add(Profile());
        command.Subcommands.Add(Optimizer());
        command.Subcommands.Add(Memory());
        command.Subcommands.Add(PhaseChangeTime());
        command.Subcommands.Add(Variants());
        command.Subcommands.Add(ContentionTime());
        command.Subcommands.Add(SeedsTime());
        command.Subcommands.Add(AllocatorTime());
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
            InRange(n, "--steps", 20, 1_000_000, 600);
            InRange(k, "--rounds", 1, 100, 3);
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
        var vocabs = new Option<string>("--d-vocab") { Description = "vocabulary sizes, comma-separated", DefaultValueFactory = _ => "64,50257" };
        var command = new Command("analysis", "Seconds of `toolkit analyze` on 2-layer 4-head models at d_model 64 and 256, d_vocab 64 and 50,257 (target < 2 s for d_model ≤ 256 at d_vocab 64).");
        command.Options.Add(vocabs);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            TorchSharp.torch.set_num_threads(Environment.ProcessorCount);
            var sizes = CommandLine.NumberList(r.GetValue(vocabs)!, "--d-vocab", "64,50257", int.Parse);
            foreach (var v in sizes) InRange(v, "--d-vocab", 16, 1_000_000, 64);
            Console.WriteLine("the standard analysis (head scores, composition with its random baseline, subspaces, copying scores, path expansion, zero and mean ablation of every head on 64 sequences), 2 layers, 4 heads, context 64:");
            foreach (var (dModel, dVocab) in from v in sizes from d in new[] { 64, 256 } select (d, v))
            {
                var seconds = Toolkit.Analysis.AnalysisBenchmark.Run(dModel, dVocab);
                var target = dVocab == 64 ? $" (target < 2 s: {(seconds < 2 ? "met" : "not met")})" : "";
                Console.WriteLine($"  d_model {dModel,3}, d_vocab {dVocab,6}: {seconds,6:F2} s{target}");
            }
            return 0;
        }));
        return command;
    }

    private static Command SeedsTime()
    {
        var seeds = new Option<int>("--seeds") { Description = "seeds trained per mode", DefaultValueFactory = _ => 4 };
        var steps = new Option<int>("--steps") { Description = "steps of each training (the demo's variable-period model)", DefaultValueFactory = _ => 200 };
        var rounds = new Option<int>("--rounds") { Description = "rounds over the modes, alternating; medians are printed", DefaultValueFactory = _ => 2 };
        var command = new Command("seeds", "Wall time of several seeds one after the other (every core's threads, or one thread) against the seed runner's side-by-side processes of one thread each, as ratios to the fastest.");
        command.Options.Add(seeds);
        command.Options.Add(steps);
        command.Options.Add(rounds);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            int k = r.GetValue(seeds), n = r.GetValue(steps), m = r.GetValue(rounds);
            InRange(k, "--seeds", 1, 64, 4);
            InRange(n, "--steps", 20, 1_000_000, 200);
            InRange(m, "--rounds", 1, 100, 2);
            var scratch = Directory.CreateTempSubdirectory("toolkit-seeds-").FullName;
            try
            {
                Console.WriteLine($"{k} seeds of repeated-copy periods 6..29, {n} steps each; {Environment.ProcessorCount} cores; load average before: {File.ReadAllText("/proc/loadavg").Trim()}");
                var modes = SeedsBench.Modes(Environment.ProcessorCount);
                var times = modes.ToDictionary(m => m.Name, _ => new List<double>());
                for (var round = 1; round <= m; round++)
                    foreach (var mode in modes) // alternate the modes so a noisy neighbour hurts all alike
                    {
                        times[mode.Name].Add(SeedsBench.Measure(mode, k, n, scratch));
                        Console.WriteLine($"round {round}, {mode.Name}: {times[mode.Name][^1]:F1} s");
                    }
                var best = modes.Min(m => Median(times[m.Name]));
                foreach (var mode in modes)
                    Console.WriteLine($"  {mode.Name,-44} median {Median(times[mode.Name]),6:F1} s ({Median(times[mode.Name]) / best:F2}× the fastest)");
                Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
                return 0;
            }
            finally
            {
                try { Directory.Delete(scratch, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }));
        return command;
    }

    private static Command ContentionTime()
    {
        var steps = new Option<int>("--steps") { Description = "steps of each training (the demo's variable-period model, lr 1e-2)", DefaultValueFactory = _ => 200 };
        var aloneRounds = new Option<int>("--alone-rounds") { Description = "rounds of one training alone in every mode, paired within a round (speed alone is the ratio to libgomp's default in the same round)", DefaultValueFactory = _ => 8 };
        var rounds = new Option<int>("--rounds") { Description = "rounds of the shared cases (two at once, beside analyze) over the modes; medians are printed (0: alone only)", DefaultValueFactory = _ => 2 };
        var modeKeys = new Option<string>("--modes") { Description = $"the modes: all, or some of {string.Join(", ", Contention.Modes.Select(m => m.Key))} (default among them)", DefaultValueFactory = _ => "all" };
        var threads = new Option<int>("--threads") { Description = "threads of each training", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("contention", "Wall time of a training alone, of two trainings at once and of a training beside a loop of `toolkit analyze`, under libgomp's default waiting, bounded spins (the toolkit's among them) and passive waiting (targets: each of two at once within 2.2× of alone; the toolkit's mode alone ≥ 0.97 of libgomp's default speed).");
        command.Options.Add(steps);
        command.Options.Add(aloneRounds);
        command.Options.Add(rounds);
        command.Options.Add(threads);
        command.Options.Add(modeKeys);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            int n = r.GetValue(steps), a = r.GetValue(aloneRounds), k = r.GetValue(rounds), t = r.GetValue(threads);
            InRange(n, "--steps", 20, 1_000_000, 200);
            InRange(a, "--alone-rounds", 2, 100, 8);
            InRange(k, "--rounds", 0, 100, 2);
            var modes = Contention.Select(r.GetValue(modeKeys)!);
            InRange(t, "--threads", 1, 1024, Environment.ProcessorCount);
            var scratch = Directory.CreateTempSubdirectory("toolkit-contention-").FullName;
            try
            {
                Console.WriteLine($"each training: repeated-copy periods 6..29, {n} steps, lr 1e-2, {t} threads, a fresh process; {Environment.ProcessorCount} cores; load average before: {File.ReadAllText("/proc/loadavg").Trim()}");
                var byDefault = modes[0];
                // Alone: every mode once per round, back to back, so each round pairs the modes under the same
                // machine conditions (rounds of one mode vary by ±20% here; pairs vary much less).
                var alone = modes.ToDictionary(m => m.Name, _ => new List<double>());
                for (var round = 1; round <= a; round++)
                {
                    var line = new List<string>();
                    foreach (var mode in PairedRounds.Order(modes, round - 1))
                    {
                        var seconds = Contention.Alone(mode, n, t, scratch);
                        alone[mode.Name].Add(seconds);
                        line.Add($"{mode.Name} {seconds:F1} s");
                    }
                    Console.WriteLine($"alone, round {round}: {string.Join("; ", line)}");
                }
                var analyzeRun = k > 0 ? Contention.PrepareAnalyzeRun(t, scratch) : "";
                var shared = modes.ToDictionary(m => m.Name, _ => new List<Contention.Shared>());
                for (var round = 1; round <= k; round++)
                    foreach (var mode in modes) // alternate the modes so a noisy neighbour hurts all alike
                    {
                        var x = Contention.MeasureShared(mode, n, t, analyzeRun, scratch);
                        shared[mode.Name].Add(x);
                        Console.WriteLine($"shared, round {round}, {mode.Name}: two at once {x.Pair[0]:F1} s and {x.Pair[1]:F1} s; beside {x.AnalyzeCalls} analyze calls {x.BesideAnalyze:F1} s");
                    }
                // Speed alone against libgomp's default: the geometric mean over rounds of (default's time / the
                // mode's time in the same round), with a 95% Student-t interval on the logs (paired by round).
                MeanInterval Speed(Contention.Mode mode) => PairedRounds.Speed(alone[byDefault.Name].Zip(alone[mode.Name], (d, m) => d / m));
                // The slower of two at once and the training beside analyze, as time / the same mode's median alone.
                (double Pair, double Beside)? Slowdown(Contention.Mode mode) => k == 0 ? null
                    : (Median(shared[mode.Name].Select(x => x.Pair.Max()).ToList()) / Median(alone[mode.Name]),
                       Median(shared[mode.Name].Select(x => x.BesideAnalyze).ToList()) / Median(alone[mode.Name]));
                Console.WriteLine($"summary (alone: median over {a} rounds, speed = geometric mean of the paired ratios to libgomp's default with its 95% interval" +
                                  (k > 0 ? $"; shared: medians over {k} rounds, slowdown = time / the same mode's median alone):" : "):"));
                foreach (var mode in modes)
                {
                    var speedText = mode == byDefault ? "1.00" : PairedRounds.Format(Speed(mode));
                    var sharedText = Slowdown(mode) is var (pair, beside) ? $"; slower of two at once {pair:F2}×; beside analyze {beside:F2}×" : "";
                    Console.WriteLine($"  {mode.Name,-32} alone {Median(alone[mode.Name]),6:F1} s (speed {speedText}){sharedText}");
                }
                if (modes.Contains(Contention.Toolkit))
                {
                    var ours = Contention.Toolkit;
                    var speed = Speed(ours);
                    var sharedVerdict = Slowdown(ours) is var (pair, beside) ? $"shared within {Math.Max(pair, beside):F2}× of alone (target ≤ 2.2: {(Math.Max(pair, beside) <= 2.2 ? "met" : "not met")}); " : "";
                    Console.WriteLine($"toolkit mode ({ours.Name}): {sharedVerdict}alone at {PairedRounds.Format(speed)} of libgomp's default speed (target ≥ 0.97: {PairedRounds.AtLeast(speed, 0.97)})");
                }
                Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
                return 0;
            }
            finally
            {
                Contention.StopAll();
                try { Directory.Delete(scratch, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }));
        return command;
    }

    private static Command AllocatorTime()
    {
        var rounds = new Option<int>("--rounds") { Description = "paired rounds: every case in every mode, back to back, order rotated", DefaultValueFactory = _ => 5 };
        var threads = new Option<int>("--threads") { Description = "threads of each training", DefaultValueFactory = _ => Environment.ProcessorCount };
        var child = new Option<string?>("--child") { Description = "internal: measure one case in this process and print its tokens/s", Hidden = true };
        var command = new Command("allocator", "Trainer tokens/s in fresh processes under glibc's default allocator, with libtorch's huge pages, and with the toolkit's heap kept for reuse, for the demo's model and the same at GPT-2's vocabulary (d_vocab 21,888, context 256, batch 16) (target: the toolkit's mode ≥ 0.97 of the default in both).");
        command.Options.Add(rounds);
        command.Options.Add(threads);
        command.Options.Add(child);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            int k = r.GetValue(rounds), t = r.GetValue(threads);
            InRange(k, "--rounds", 2, 100, 5);
            InRange(t, "--threads", 1, 1024, Environment.ProcessorCount);
            if (r.GetValue(child) is { } name)
            {
                var c = Allocator.Cases.SingleOrDefault(c => c.Key == name)
                    ?? throw new ToolkitException($"--child {name} is not a case", $"use one of {string.Join(", ", Allocator.Cases.Select(c => c.Key))}");
                TorchSharp.torch.set_num_threads(t);
                var task = new TaskSpec { Name = "repeated-copy", Parameters = new() { ["period"] = "6..29", ["vocab"] = c.Vocab.ToString(), ["context"] = c.Context.ToString() } };
                var rate = ToolkitTokensPerSecond(c.Steps, t, seed: 1, model: new ModelConfig { DVocab = c.Vocab, NCtx = c.Context }, task: task, batch: c.Batch);
                Console.WriteLine(Allocator.Line(rate));
                return 0;
            }
            Console.WriteLine($"{t} threads, each measurement a fresh process (the trainer with bookkeeping off, tokens/s from its own clock after one interval of warm-up); {Environment.ProcessorCount} cores; load average before: {File.ReadAllText("/proc/loadavg").Trim()}");
            foreach (var c in Allocator.Cases) Console.WriteLine($"  {c.Key}: {c.Description}, {c.Steps} timed steps");
            var measured = Allocator.Measure(k, t, Console.WriteLine);
            var baseline = Allocator.Modes[0];
            Console.WriteLine($"summary (medians; speed = geometric mean over {k} rounds of the mode's tokens/s / {baseline.Name}'s in the same round, with its 95% interval):");
            foreach (var c in Allocator.Cases)
                foreach (var mode in Allocator.Modes)
                {
                    var rates = measured[(c.Key, mode.Key)];
                    var speed = PairedRounds.Speed(rates.Zip(measured[(c.Key, baseline.Key)], (a, b) => a / b));
                    var speedText = mode == baseline ? "1.00" : PairedRounds.Format(speed);
                    var target = mode.Key != "heap" ? "" : $" (target ≥ 0.97: {PairedRounds.AtLeast(speed, 0.97)})";
                    Console.WriteLine($"  {c.Key,-5} {mode.Name,-36} {Median(rates) / 1000,7:F1}k tokens/s, speed {speedText}{target}");
                }
            Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
            return 0;
        }));
        return command;
    }

    private static Command Profile()
    {
        var steps = new Option<int>("--steps") { Description = "timed steps (after 20 warm-up steps)", DefaultValueFactory = _ => 300 };
        var command = new Command("profile", "Where a training step's time goes: data, forward, loss, backward, clipping, optimizer, and the periodic evaluation, head scores, metrics and checkpoints spread over the steps at the default cadence.");
        command.Options.Add(steps);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            var n = r.GetValue(steps);
            InRange(n, "--steps", 10, 100_000, 300);
            var threads = Environment.ProcessorCount;
            var phases = StepProfile.Measure(n, warmup: 20, threads);
            var total = phases.Where(p => !p.Name.StartsWith(' ')).Sum(p => p.MillisecondsPerStep);
            Console.WriteLine($"the demo's variable-period model (2 layers, 4 heads, d_model 64, batch 64 × 64 tokens), {threads} threads, {n} timed steps:");
            Console.WriteLine($"  {"phase",-52} {"ms per call",11} {"ms per step",11} {"share",6}");
            foreach (var p in phases)
                Console.WriteLine($"  {p.Name,-52} {p.MillisecondsPerCall,11:F3} {p.MillisecondsPerStep,11:F3} {p.MillisecondsPerStep / total,6:P1}");
            Console.WriteLine($"  {"total per step at the default cadence",-52} {"",11} {total,11:F3}   → {64 * 64 / total * 1000 / 1000:F0}k tokens/s");
            return 0;
        }));
        return command;
    }

    private static Command Optimizer()
    {
        var steps = new Option<int>("--steps") { Description = "optimizer steps per round", DefaultValueFactory = _ => 500 };
        var rounds = new Option<int>("--rounds") { Description = "alternating rounds after one warm-up round", DefaultValueFactory = _ => 3 };
        var command = new Command("optimizer", "The project's AdamW against TorchSharp's AdamW on the demo model's parameters (target: not slower), and the weight difference after the same steps.");
        command.Options.Add(steps);
        command.Options.Add(rounds);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            int n = r.GetValue(steps), k = r.GetValue(rounds);
            InRange(n, "--steps", 10, 1_000_000, 500);
            InRange(k, "--rounds", 1, 100, 3);
            var result = OptimizerSpeed.Measure(n, k, Environment.ProcessorCount);
            double ours = Median(result.OursMs), theirs = Median(result.TorchSharpMs);
            Console.WriteLine($"AdamW step on the demo model's parameters, {n} steps × {k} rounds, {Environment.ProcessorCount} threads:");
            Console.WriteLine($"  toolkit AdamW      median {ours * 1000,7:F1} µs per step (range {result.OursMs.Min() * 1000:F1}–{result.OursMs.Max() * 1000:F1})");
            Console.WriteLine($"  TorchSharp AdamW   median {theirs * 1000,7:F1} µs per step (range {result.TorchSharpMs.Min() * 1000:F1}–{result.TorchSharpMs.Max() * 1000:F1})");
            Console.WriteLine($"toolkit / TorchSharp time: {ours / theirs:F2} (target ≤ 1: {(ours <= theirs ? "met" : "not met")}); largest weight difference after {n * (k + 1)} identical steps: {result.MaxWeightDifference:G2}");
            return 0;
        }));
        return command;
    }

    private static Command Memory()
    {
        var steps = new Option<int>("--steps") { Description = "training steps", DefaultValueFactory = _ => 10_000 };
        var calls = new Option<int>("--analyze-calls") { Description = "analyze calls in one process", DefaultValueFactory = _ => 1000 };
        var command = new Command("memory", "Resident memory (after a full collection and malloc_trim) over a long training run and over many analyze calls in one process (target: within 5% after warm-up).");
        command.Options.Add(steps);
        command.Options.Add(calls);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            int n = r.GetValue(steps), c = r.GetValue(calls);
            InRange(n, "--steps", 100, 10_000_000, 10_000);
            InRange(c, "--analyze-calls", 10, 1_000_000, 1000);
            var threads = Environment.ProcessorCount;
            var bar = new ProgressReporter("training");
            var training = MemoryFlatness.Training(n, threads, bar);
            bar.Finish();
            Print(training);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Print(MemoryFlatness.Analysis(c, threads, call =>
            {
                if (call % Math.Max(1, c / 10) == 0)
                    Console.Error.WriteLine($"analyze: {call}/{c} calls, {call / clock.Elapsed.TotalSeconds:F1} calls/s, ETA {TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / call * (c - call)):m\\:ss}");
            }));
            return 0;
        }));
        return command;

        static void Print(MemoryFlatness.Trace trace)
        {
            var after = trace.AfterWarmup;
            Console.WriteLine($"{trace.What}: RSS {trace.Samples[0].Bytes / 1048576.0:F0} MiB at the first sample; after warm-up (the first {trace.WarmupShare:P0}) " +
                              $"{after.Min(s => s.Bytes) / 1048576.0:F0}–{after.Max(s => s.Bytes) / 1048576.0:F0} MiB, range {trace.Range:P1}, drift (last fifth vs first fifth, medians) {trace.Drift:+0.0%;-0.0%;0.0%} " +
                              $"(target ≤ {MemoryFlatness.Trace.Target:P0}: {(trace.Range <= MemoryFlatness.Trace.Target ? "met" : "not met")})");
            var deciles = Enumerable.Range(0, 11).Select(i => trace.Samples[Math.Min(trace.Samples.Count - 1, i * (trace.Samples.Count - 1) / 10)]);
            Console.WriteLine("  " + string.Join("  ", deciles.Select(s => $"{s.At}: {s.Bytes / 1048576.0:F0}")) + " MiB");
        }
    }

    private static Command PhaseChangeTime()
    {
        var seeds = new Option<int>("--seeds") { Description = "seeds per setting (the median is reported)", DefaultValueFactory = _ => 3 };
        var steps = new Option<int>("--steps") { Description = "steps per run", DefaultValueFactory = _ => 800 };
        var lrs = new Option<string>("--lr") { Description = "learning rates, comma-separated (default: the demo's)", DefaultValueFactory = _ => MemorizationDemo.LearningRate.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        var warmups = new Option<string>("--warmup-steps") { Description = "warm-up steps, comma-separated (default: the demo's)", DefaultValueFactory = _ => MemorizationDemo.WarmupSteps.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        var batches = new Option<string>("--batch-size") { Description = "batch sizes, comma-separated", DefaultValueFactory = _ => "64" };
        var command = new Command("phase-change", "Steps and seconds until the demo's variable-period model forms its induction circuit, per learning rate × warm-up × batch, over seeds, each run judged (target ≤ 6 s).");
        foreach (var o in new Option[] { seeds, steps, lrs, warmups, batches }) command.Options.Add(o);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            int k = r.GetValue(seeds), n = r.GetValue(steps);
            InRange(k, "--seeds", 1, 50, 3);
            InRange(n, "--steps", 100, 1_000_000, 800);
            var settings = (from lr in CommandLine.NumberList(r.GetValue(lrs)!, "--lr", "0.003,0.01", double.Parse)
                            from w in CommandLine.NumberList(r.GetValue(warmups)!, "--warmup-steps", "100,20", int.Parse)
                            from b in CommandLine.NumberList(r.GetValue(batches)!, "--batch-size", "64,32", int.Parse)
                            select new PhaseChangeSpeed.Setting(lr, w, b)).ToList();
            var threads = Environment.ProcessorCount;
            Console.WriteLine($"the demo's variable-period model, {n} steps per run, evaluation and head scores every {PhaseChangeSpeed.EvalEvery} steps (inside the seconds), {threads} threads, seeds 1..{k}");
            var summary = new List<string>();
            foreach (var setting in settings)
            {
                var outcomes = Enumerable.Range(1, k).Select(seed =>
                {
                    var o = PhaseChangeSpeed.Run(setting, seed, n, threads);
                    Console.WriteLine($"  {setting}, seed {seed}: phase change {Show(o.PhaseStep, o.PhaseSeconds)}; first induction head {Show(o.InductionStep, o.InductionSeconds)}; " +
                                      $"{o.SecondsPerStep * 1000:F1} ms/step; {o.Verdict} ({o.Accuracy:P1})");
                    return o;
                }).ToList();
                summary.Add($"  {setting}: median phase change {MedianOf(outcomes.Select(o => (o.PhaseStep, o.PhaseSeconds)).ToList(), k)}; " +
                            $"first induction head {MedianOf(outcomes.Select(o => (o.InductionStep, o.InductionSeconds)).ToList(), k)}; " +
                            $"verdicts: {string.Join(", ", outcomes.GroupBy(o => o.Verdict).Select(g => $"{g.Key} {g.Count()}/{k}"))}");
            }
            Console.WriteLine("medians over seeds (target ≤ 6 s to the phase change):");
            foreach (var line in summary) Console.WriteLine(line);
            return 0;
        }));
        return command;

        static string Show(int? step, double? seconds) => step is int s ? $"step {s} ({seconds:F1} s)" : "none";
        static string MedianOf(List<(int? Step, double? Seconds)> values, int seeds)
        {
            var found = values.Where(v => v.Step is not null).ToList();
            if (found.Count * 2 <= seeds) return $"none in most seeds ({found.Count}/{seeds})";
            // Seeds without one count as later than every seed with one (a median over all seeds).
            var steps = values.Select(v => v.Step ?? int.MaxValue).Order().ToList();
            var seconds = values.Select(v => v.Seconds ?? double.PositiveInfinity).Order().ToList();
            return $"step {steps[(seeds - 1) / 2]} at {seconds[(seeds - 1) / 2]:F1} s ({found.Count}/{seeds} seeds)";
        }
    }

    /// <summary>A number option inside its range, or an error naming the option, the range and an example.</summary>
    private static void InRange(int value, string option, int min, int max, int example)
    {
        if (value < min || value > max)
            throw new ToolkitException($"{option} {value} is outside {min}..{max}", $"use {option} {example}, for example");
    }

    private static double Median(List<double> v)
    {
        var o = v.Order().ToList();
        return o.Count % 2 == 1 ? o[o.Count / 2] : (o[o.Count / 2 - 1] + o[o.Count / 2]) / 2;
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

    /// <summary>The variants command: trainer tokens/s of every architecture variant beside the default model.</summary>
    private static Command Variants()
    {
        var steps = new Option<int>("--steps") { Description = "timed steps per round", DefaultValueFactory = _ => 200 };
        var rounds = new Option<int>("--rounds") { Description = "alternating rounds; medians are printed", DefaultValueFactory = _ => 3 };
        var command = new Command("variants", "Trainer tokens/s of every architecture variant beside the default model (2 layers, 4 heads, d_model 64, batch 64 × 64), bookkeeping off.");
        command.Options.Add(steps);
        command.Options.Add(rounds);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            int n = r.GetValue(steps), k = r.GetValue(rounds);
            InRange(n, "--steps", 20, 100_000, 200);
            InRange(k, "--rounds", 1, 100, 3);
            var threads = Environment.ProcessorCount;
            TorchSharp.torch.set_num_threads(threads);
            var standard = new ModelConfig();
            var benchVocab = BenchTask.Create().Vocabulary.Size;
            var variants = new (string Name, ModelConfig Model, TaskSpec? Task)[]
            {
                ("default (learned positions)", standard, null),
                ("sinusoidal positions", standard with { PositionalEmbeddingType = PositionalEmbedding.Sinusoidal }, null),
                ("rotary positions", standard with { PositionalEmbeddingType = PositionalEmbedding.Rotary }, null),
                ("shortformer positions", standard with { PositionalEmbeddingType = PositionalEmbedding.Shortformer }, null),
                ("no positions", standard with { PositionalEmbeddingType = PositionalEmbedding.None }, null),
                ("tied embeddings", standard with { TiedEmbeddings = true }, null),
                ("LayerNorm + MLP, pre-norm", standard with { NormalizationType = Normalization.LN, AttnOnly = false }, null),
                ("LayerNorm + MLP, post-norm", standard with { NormalizationType = Normalization.LN, AttnOnly = false, NormalizationPosition = LayerNormPosition.Post }, null),
                ("LayerNorm + MLP, parallel", standard with { NormalizationType = Normalization.LN, AttnOnly = false, ParallelAttnMlp = true }, null),
                ("Conv-Attn (conv + 1 attention layer)", standard with { NLayers = 1, ConvKernel = 3 }, null),
                // A masked LM reads both directions; its [MASK] token takes the id after the task's tokens.
                ("masked LM (15% of positions masked)", standard with { DVocab = benchVocab + 1, MaskToken = benchVocab }, null),
                // The same 64 positions split at the copy task's SEP; 2 encoder layers before the 2 decoder layers.
                ("encoder-decoder (2 + 2 layers, copy)", standard with { NEncoderLayers = 2, SourceEndToken = 1 },
                    new TaskSpec { Name = "copy", Parameters = new() { ["length"] = "4..31" } }),
            };
            var results = variants.ToDictionary(v => v.Name, _ => new List<double>());
            for (var round = 1; round <= k; round++)
                foreach (var (name, model, task) in variants) results[name].Add(ToolkitTokensPerSecond(n, threads, round, model: model, task: task));
            var baseline = Median(results[variants[0].Name]);
            Console.WriteLine($"trainer tokens/s, bookkeeping off, {n} timed steps × {k} rounds, {threads} threads (medians; ratio to the default model):");
            foreach (var (name, _, _) in variants)
                Console.WriteLine($"  {name,-40} {Median(results[name]) / 1000,5:F0}k  {Median(results[name]) / baseline,5:F2}");
            return 0;
        }));
        return command;
    }

    /// <summary>The task every trainer benchmark runs unless a variant needs another (the fixed-period task).</summary>
    private static readonly TaskSpec BenchTask = new() { Name = "repeated-copy", Parameters = new() { ["period"] = "32" } };

    /// <summary>Tokens/s of the real trainer on the fixed-period task. With <paramref name="defaultCadence"/>, as
    /// <c>toolkit train</c> runs by default (log every 20, evaluation and head scores every 100, checkpoints every
    /// 500), timed by the wall clock around the whole run; without, from its own interval clock with evaluation and
    /// checkpoints only at the end (the first interval dropped as warm-up).</summary>
    private static double ToolkitTokensPerSecond(int steps, int threads, int seed, bool defaultCadence = false, ModelConfig? model = null, TaskSpec? task = null, int batch = 64)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"toolkit-bench-{Guid.NewGuid():N}");
        var rates = new RateObserver();
        try
        {
            var logEvery = Math.Max(5, steps / 10);
            var defaults = new TrainingConfig();
            var training = defaultCadence
                ? defaults with { Steps = steps, BatchSize = batch, LearningRate = 3e-3, Seed = seed, Threads = threads }
                : new TrainingConfig
                {
                    Steps = steps + logEvery, BatchSize = batch, LearningRate = 3e-3, Seed = seed, Threads = threads,
                    LogEvery = logEvery, EvalEvery = steps + logEvery, EvalSequences = 64, CheckpointEvery = 0,
                };
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Trainer.Train(new RunConfig
            {
                Model = model ?? new ModelConfig(),
                Training = training,
                Task = task ?? BenchTask,
            }, dir, rates);
            if (defaultCadence) return (double)steps * batch * (model ?? new ModelConfig()).NCtx / clock.Elapsed.TotalSeconds;
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
