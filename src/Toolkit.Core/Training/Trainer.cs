using System.Diagnostics;
using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Evaluation;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Tasks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Toolkit.Training;

/// <summary>What a finished (or resumed-and-finished) run measured.</summary>
public sealed record TrainingResult(
    RunDirectory Run, int Steps, double FinalTrainLoss, EvalResult FinalEval, HeadScoreTable FinalHeads,
    double Seconds, double TokensPerSecond, IReadOnlyList<(int Step, double Loss)> LossCurve);

/// <summary>Trains a hooked transformer on a task: AdamW, warm-up then constant or cosine lr,
/// gradient clipping, loss only on the task's predictable positions, held-out evaluation and head
/// scores at intervals, atomic checkpoints, exact resume.</summary>
/// <remarks>Every step runs inside a dispose scope, so native memory stays flat over long runs.
/// Batches are a pure function of (seed, step) (<see cref="Seeds"/>), so a resumed run sees the
/// same data as an uninterrupted one.</remarks>
public static class Trainer
{
    /// <summary>Trains a new run into <paramref name="runPath"/> (which must not hold a run yet).</summary>
    public static TrainingResult Train(RunConfig config, string runPath, ITrainingObserver? observer = null)
    {
        if (File.Exists(Path.Combine(runPath, "config.json")))
            throw new ToolkitException($"{runPath} already holds a run", $"continue it with --resume {runPath}, or choose another --out");
        return Run(config, RunDirectory.Create(runPath), resumeFrom: null, observer ?? SilentObserver.Instance);
    }

    /// <summary>Continues a run from its latest checkpoint up to <paramref name="steps"/> total steps
    /// (null: the configured number).</summary>
    public static TrainingResult Resume(string runPath, int? steps = null, ITrainingObserver? observer = null)
    {
        var run = RunDirectory.Open(runPath);
        var config = run.ReadConfig();
        if (steps is int s) config = config with { Training = config.Training with { Steps = s } };
        return Run(config, run, run.LatestCheckpoint().Path, observer ?? SilentObserver.Instance);
    }

    private static TrainingResult Run(RunConfig config, RunDirectory run, string? resumeFrom, ITrainingObserver observer)
    {
        var t = config.Training.Validate();
        var modelConfig = config.Model.Resolve();
        ITask task;
        try { task = config.Task.Create(); }
        catch (TaskParameterException e) { throw new ToolkitException(e.Message, e.Hint); }

        set_num_threads(t.Threads);
        var device = Devices.Resolve(t.Device);
        manual_seed(t.Seed);
        using var model = new HookedTransformer(modelConfig);
        Evaluator.CheckFits(model, task);
        model.to(device);
        model.train();
        // The project's own AdamW: TorchSharp 0.107's optim.AdamW.step makes temporary Scalars (see AdamW).
        using var optimizer = new AdamW(model.named_parameters().Select(p => (p.name, p.parameter)), t.LearningRate, t.Beta1, t.Beta2, 1e-8, t.WeightDecay);

        config = config with
        {
            Model = modelConfig,
            Training = t,
            Task = TaskSpec.Of(task),
            Provenance = Provenance.Capture(device.ToString(), t.Threads),
        };
        var metrics = new MetricsLog(run.MetricsPath, modelConfig.NLayers, modelConfig.NHeads);
        var firstStep = 0;
        if (resumeFrom is not null)
        {
            Checkpoint.LoadWeights(Path.Combine(resumeFrom, "model.safetensors"), model);
            firstStep = Checkpoint.LoadTrainingState(resumeFrom, optimizer);
            metrics.Start(keepThroughStep: firstStep);
        }
        else
        {
            if (config.InitFrom is string init)
            {
                // Fine-tuning: the weights of another run, a fresh optimizer and schedule.
                if (!File.Exists(Path.Combine(init, "model.safetensors")))
                    throw new ToolkitException($"no checkpoint at {init} to start from", "pass a run's checkpoint folder, e.g. runs/NAME/checkpoints/step-2000");
                Checkpoint.LoadWeights(Path.Combine(init, "model.safetensors"), model);
            }
            Directory.CreateDirectory(run.Path);
            metrics.Start(keepThroughStep: null);
        }
        AtomicFile.WriteText(run.ConfigPath, config.ToJson());

        using var scoring = ScoringBatch.ForRun(model, task.SeenPeriods, t.Seed);
        var evalExamples = Sampling.examples(task, Seeds.Derive(t.Seed, Seeds.Stream.Eval), t.EvalSequences);
        var parameters = model.parameters().ToList();
        var tokensPerStep = (double)t.BatchSize * task.Context;

        observer.OnStart(firstStep, t.Steps);
        var clock = Stopwatch.StartNew();
        var intervalClock = Stopwatch.StartNew();
        double intervalLoss = 0, lastLoss = double.NaN;
        int intervalSteps = 0, trained = 0;
        var curve = new List<(int, double)>();
        EvalResult? lastEval = null;
        HeadScoreTable? lastHeads = null;

        for (var step = firstStep; step < t.Steps; step++)
        {
            var lr = LearningRateSchedule.At(t, step);
            optimizer.LearningRate = lr;
            using (var scope = NewDisposeScope())
            {
                using var batch = Batch.Sample(task, Seeds.Derive(t.Seed, Seeds.Stream.Train, step), t.BatchSize, device);
                var logits = model.forward(batch.Tokens);
                var loss = MaskedLoss.Loss(logits, batch.Tokens, batch.LossMask);
                optimizer.ZeroGrad();
                loss.backward();
                if (t.GradClip > 0) nn.utils.clip_grad_norm_(parameters, t.GradClip);
                optimizer.StepOnce();
                lastLoss = loss.item<float>();
            }
            intervalLoss += lastLoss;
            intervalSteps++;
            trained++;
            var done = step + 1;
            var evalNow = done % t.EvalEvery == 0 || done == t.Steps;
            if (done % t.LogEvery == 0 || evalNow)
            {
                var meanLoss = intervalLoss / intervalSteps;
                curve.Add((done, meanLoss));
                if (evalNow)
                {
                    lastEval = Evaluator.Evaluate(model, evalExamples);
                    lastHeads = HeadScores.Compute(model, scoring);
                    model.train();
                }
                metrics.Append(done, lr, meanLoss, evalNow ? lastEval : null, evalNow ? lastHeads : null);
                observer.OnProgress(done, t.Steps, meanLoss, intervalSteps * tokensPerStep / intervalClock.Elapsed.TotalSeconds);
                if (evalNow) observer.OnEvaluation(done, lastEval!, lastHeads!);
                intervalLoss = 0;
                intervalSteps = 0;
                intervalClock.Restart();
            }
            if ((t.CheckpointEvery > 0 && done % t.CheckpointEvery == 0) || done == t.Steps)
            {
                var folder = Path.Combine(run.CheckpointsPath, Checkpoint.FolderName(done));
                Checkpoint.Save(folder, config, model, optimizer, done);
                observer.OnCheckpoint(done, folder);
            }
        }
        if (trained == 0)
            throw new ToolkitException($"the run already has {firstStep} steps, nothing to resume",
                $"pass --steps larger than {firstStep} to train further");
        var seconds = clock.Elapsed.TotalSeconds;
        return new TrainingResult(run, t.Steps, lastLoss, lastEval!, lastHeads!, seconds, trained * tokensPerStep / seconds, curve);
    }
}
