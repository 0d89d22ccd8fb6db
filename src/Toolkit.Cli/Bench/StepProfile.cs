using System.Diagnostics;
using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Evaluation;
using Toolkit.Experiments;
using Toolkit.Losses;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Training;
using static TorchSharp.torch;

namespace Toolkit.Cli.Bench;

/// <summary><c>toolkit bench profile</c>: where a training step's time goes. The trainer's step is taken
/// apart into its phases (the same calls, in the same order, as <see cref="Trainer"/>), each timed on its
/// own; the periodic work (evaluation, head scores, a metrics row, a checkpoint) is timed per occurrence
/// and spread over the steps at <c>toolkit train</c>'s default cadence. CPU work is synchronous, so the
/// wall clock around each call is the call's cost (on CUDA the figures would need a synchronize).</summary>
public static class StepProfile
{
    public sealed record Phase(string Name, double MillisecondsPerCall, double CallsPerStep)
    {
        public double MillisecondsPerStep => MillisecondsPerCall * CallsPerStep;
    }

    /// <summary>Profiles <paramref name="steps"/> steps of the demo's variable-period model after
    /// <paramref name="warmup"/> untimed ones.</summary>
    public static IReadOnlyList<Phase> Measure(int steps, int warmup, int threads)
    {
        set_num_threads(threads);
        var config = MemorizationDemo.Config(MemorizationDemo.VariablePeriods, steps + warmup, seed: 1, threads: threads);
        var defaults = new TrainingConfig();
        var t = config.Training;
        var task = config.Task.Create();
        manual_seed(t.Seed);
        using var model = new HookedTransformer(config.Model);
        model.train();
        using var optimizer = new AdamW(model.named_parameters().Select(p => (p.name, p.parameter)), t.LearningRate, t.Beta1, t.Beta2, 1e-8, t.WeightDecay);
        var parameters = model.parameters().ToList();
        var device = model.Device;

        var names = new[] { "data (Batch.Sample)", "forward", "loss (masked cross-entropy)", "zero grad + backward", "clip + loss.item", "optimizer (AdamW step)" };
        var totals = new double[names.Length];
        var watch = new Stopwatch();
        void Time(int phase, Action action)
        {
            watch.Restart();
            action();
            totals[phase] += watch.Elapsed.TotalMilliseconds;
        }
        for (var step = 0; step < warmup + steps; step++)
        {
            if (step == warmup) Array.Clear(totals);
            using var scope = NewDisposeScope();
            Batch batch = null!;
            Tensor logits = null!, loss = null!;
            Time(0, () => batch = Batch.Sample(task, Seeds.Derive(t.Seed, Seeds.Stream.Train, step), t.BatchSize, device));
            Time(1, () => logits = model.forward(batch.Tokens));
            Time(2, () => loss = MaskedLoss.Loss(logits, batch.Tokens, batch.LossMask));
            Time(3, () => { optimizer.ZeroGrad(); loss.backward(); });
            Time(4, () => { nn.utils.clip_grad_norm_(parameters, t.GradClip); loss.item<float>(); });
            Time(5, optimizer.StepOnce);
            batch.Dispose();
        }
        var phases = names.Select((name, i) => new Phase(name, totals[i] / steps, 1)).ToList();

        // Idle hook points: every forward passes through them; their cost is inside "forward" above.
        var hookCalls = model.HookPoints.Count;
        using (var x = zeros(t.BatchSize, task.Context, config.Model.DModel))
        {
            var hook = model.HookPoints.Values.First();
            const int calls = 20_000;
            watch.Restart();
            for (var i = 0; i < calls; i++) hook.call(x);
            phases.Add(new Phase($"  of which idle hook points ({hookCalls} per forward)", watch.Elapsed.TotalMilliseconds / calls * hookCalls, 1));
        }

        // Periodic work, per occurrence, at the default cadence.
        var dir = Directory.CreateTempSubdirectory("toolkit-profile-").FullName;
        try
        {
            var evalExamples = Sampling.examples(task, Seeds.Derive(t.Seed, Seeds.Stream.Eval), defaults.EvalSequences);
            using var scoring = ScoringBatch.ForRun(model, task, t.Seed);
            var metrics = new MetricsLog(Path.Combine(dir, "metrics.csv"), config.Model.NLayers, config.Model.NHeads);
            metrics.Start(null);
            EvalResult eval = null!;
            HeadScoreTable heads = null!;
            double Occurrence(Action action, int repeats = 5)
            {
                action(); // warm-up
                watch.Restart();
                for (var i = 0; i < repeats; i++) action();
                return watch.Elapsed.TotalMilliseconds / repeats;
            }
            phases.Add(new Phase($"evaluation ({defaults.EvalSequences} sequences, every {defaults.EvalEvery} steps)",
                Occurrence(() => { eval = Evaluator.Evaluate(model, evalExamples); model.train(); }), 1.0 / defaults.EvalEvery));
            phases.Add(new Phase($"head scores (every {defaults.EvalEvery} steps)",
                Occurrence(() => { heads = HeadScores.Compute(model, scoring); model.train(); }), 1.0 / defaults.EvalEvery));
            using var iclBatch = Batch.From(evalExamples.Take(64).ToList(), device);
            phases.Add(new Phase($"in-context learning score (64 sequences, every {defaults.EvalEvery} steps)",
                Occurrence(() => InContextLearningScore.Compute(model, iclBatch.Tokens)), 1.0 / defaults.EvalEvery));
            phases.Add(new Phase($"metrics row (every {defaults.LogEvery} steps)",
                Occurrence(() => metrics.Append(1, 1e-3, 1.0, eval, heads), 50), 1.0 / defaults.LogEvery));
            var k = 0;
            phases.Add(new Phase($"checkpoint (every {defaults.CheckpointEvery} steps)",
                Occurrence(() => Checkpoint.Save(Path.Combine(dir, $"step-{k++}"), config, model, optimizer, new Checkpoint.State { Step = k })),
                1.0 / defaults.CheckpointEvery));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        return phases;
    }
}
