using System.Diagnostics;
using Toolkit.Losses;
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
    double Seconds, double TokensPerSecond, IReadOnlyList<(int Step, double Loss)> LossCurve)
{
    /// <summary>Whether <see cref="FinalEval"/> read training examples: a task that lists every example it draws
    /// (<c>IFiniteSupport</c>, e.g. modular-addition's training split) is evaluated on draws from that same list, so its
    /// evaluation is not held out; its held-out probe (<c>toolkit probe</c>) says what generalizes.</summary>
    public bool EvalOnTrainingExamples { get; init; }

    /// <summary>What <see cref="FinalEval"/> measured, for printed lines: "held-out", or "training examples" (with why)
    /// when <see cref="EvalOnTrainingExamples"/>.</summary>
    public string EvalLabel => EvalOnTrainingExamples
        ? "training examples (the task lists every example it draws, so evaluation is not held out; toolkit probe tests the held-out ones)"
        : "held-out";
}

/// <summary>Trains a hooked transformer on a task: AdamW, warm-up then constant or cosine lr,
/// gradient clipping, loss only on the task's predictable positions, held-out evaluation and head
/// scores at intervals, atomic checkpoints, exact resume.</summary>
/// <remarks>Every step runs inside a dispose scope, so native memory stays flat over long runs.
/// Batches are a pure function of (seed, step) (<see cref="Seeds"/>), so a resumed run sees the
/// same data as an uninterrupted one.</remarks>
public static class Trainer
{
    /// <summary>Trains a new run into <paramref name="runPath"/> (which must not hold a run yet), with a new run id.
    /// <paramref name="stop"/> (e.g. SIGINT) ends training after the current step with a checkpoint.</summary>
    public static TrainingResult Train(RunConfig config, string runPath, ITrainingObserver? observer = null, CancellationToken stop = default)
    {
        var plan = Plan.Validate(config with { RunId = RunConfig.NewRunId() });
        RunDirectory.CheckPath(runPath);
        RefuseExistingRun(runPath);
        if (config.InitFrom is string init) CheckInit(init, plan.Model);
        var run = RunDirectory.Create(runPath);
        observer ??= SilentObserver.Instance;
        using var runLock = AcquireWritable(runPath, observer, resuming: false);
        RefuseExistingRun(runPath); // again: another writer may have finished in between
        return Run(plan, run, resumeCandidates: null, originalProvenance: null, observer, stop);
    }

    /// <summary>Creates runs that <see cref="Resume"/> (or <c>toolkit train --resume</c>, in another process) trains from step
    /// 0: everything <see cref="Train"/> checks is checked for every run (and no two share a folder) before any folder is
    /// made with its config.json and a new run id.</summary>
    public static void Prepare(IReadOnlyList<(RunConfig Config, string Path)> runs)
    {
        if (runs.GroupBy(r => Path.GetFullPath(r.Path).TrimEnd('/', '\\')).FirstOrDefault(g => g.Count() > 1) is { } shared)
            throw new ToolkitException($"{shared.Count()} runs would train into {shared.Key}", "give every run its own folder");
        var checkedRuns = runs.Select(r =>
        {
            var plan = Plan.Validate(r.Config with { RunId = RunConfig.NewRunId() });
            RunDirectory.CheckPath(r.Path);
            RefuseExistingRun(r.Path);
            if (r.Config.InitFrom is string init) CheckInit(init, plan.Model);
            return (plan.Config, r.Path);
        }).ToList();
        foreach (var (config, path) in checkedRuns) AtomicFile.WriteText(RunDirectory.Create(path).ConfigPath, config.ToJson());
    }

    /// <summary>The result of a complete run read back from its files (a run another process trained): the final evaluation
    /// and head scores computed again on its last checkpoint exactly as training computed them (same batches, same
    /// threads), the loss curve as metrics.csv logs it (to its printed precision). Its final training loss is the last
    /// logged interval's mean (training's own result has the last step's), and <paramref name="seconds"/> is the wall time the caller measured.</summary>
    public static TrainingResult ResultOf(string runPath, double seconds)
    {
        var run = RunDirectory.Open(runPath);
        var config = run.ReadConfig();
        var t = config.Training;
        var task = config.Task.Create();
        set_num_threads(t.Threads);
        using var model = run.LoadModel(Devices.Resolve(t.Device));
        using var scoring = ScoringBatch.ForRun(model, task, t.Seed);
        var eval = Evaluator.Evaluate(model, EvaluationExamples(task, t));
        var heads = HeadScores.Compute(model, scoring);
        var curve = run.ReadMetrics(config)?.LossCurve() ?? [];
        return new TrainingResult(run, t.Steps, curve.Count > 0 ? curve[^1].Loss : double.NaN, eval, heads, seconds,
            (double)ExamplesPerStep(task, t) * task.Context * t.Steps / seconds, curve) { EvalOnTrainingExamples = task is IFiniteSupport };
    }

    /// <summary>The held-out sequences every evaluation of a run reads (the seed's eval stream).</summary>
    private static Example[] EvaluationExamples(ITask task, TrainingConfig t) =>
        Sampling.examples(task, Seeds.Derive(t.Seed, Seeds.Stream.Eval), t.EvalSequences);

    /// <summary>Sequences trained per step: the batch size, or the whole training set in full-batch training.</summary>
    private static int ExamplesPerStep(ITask task, TrainingConfig t) => t.FullBatch ? ((IFiniteSupport)task).All.Length : t.BatchSize;

    /// <summary>Continues a run up to <paramref name="steps"/> total steps (null: the configured number) from the newest
    /// checkpoint that verifies, loads, and has every metrics row up to its step (<see cref="RunDirectory.ResumeCandidates"/>);
    /// each checkpoint passed over is named in a notice, and the resumed run rewrites it. A run killed before its first
    /// checkpoint starts over from step 0.</summary>
    public static TrainingResult Resume(string runPath, int? steps = null, ITrainingObserver? observer = null, CancellationToken stop = default)
    {
        var run = RunDirectory.Open(runPath);
        var config = run.ReadConfig(); // checked against the checkpoints
        if (steps is int s) config = config with { Training = config.Training with { Steps = s } };
        var plan = Plan.Validate(config);
        observer ??= SilentObserver.Instance;
        using var runLock = AcquireWritable(runPath, observer, resuming: true, steps);
        var checkpoints = run.Checkpoints();
        if (checkpoints.Count == 0)
        {
            observer.OnNotice($"{runPath} has no checkpoint yet: starting over from step 0");
            return Run(plan, run, resumeCandidates: null, config.Provenance, observer, stop);
        }
        if (checkpoints.All(c => Checkpoint.IsWeightsOnly(c.Path)))
            throw new ToolkitException($"{checkpoints[^1].Path} holds weights only (an imported model), no training state to resume",
                $"train it further as a new run: toolkit finetune {runPath} --steps N --out runs/NEW");
        if (config.RunId is null)
            observer.OnNotice($"{runPath} was made before run ids and checkpoint manifests: its checkpoints are checked as far as they can be, not verified by hash");
        return Run(plan, run, run.ResumeCandidates(config), config.Provenance, observer, stop);
    }

    /// <summary>The run lock, with a clear error when the directory cannot be created or written
    /// (a file in the way, a path under a file, no permission, a read-only file system).</summary>
    private static RunLock AcquireWritable(string runPath, ITrainingObserver observer, bool resuming, int? steps = null)
    {
        try { return RunLock.Acquire(runPath, observer.OnNotice); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ToolkitException($"cannot write the run directory {runPath}: {e.Message}", resuming
                ? $"make it writable, or copy the run to a writable place and resume the copy: cp -r {runPath} runs/NEW && toolkit train --resume runs/NEW{(steps is int s ? $" --steps {s}" : "")}"
                : "give --out a folder path in a writable place (not an existing file, not below a file)");
        }
    }

    private static void RefuseExistingRun(string runPath)
    {
        if (File.Exists(Path.Combine(runPath, "config.json")))
            throw new ToolkitException($"{runPath} already holds a run", $"continue it with --resume {runPath}, or choose another --out");
    }

    /// <summary>The checkpoint a fine-tune starts from must hold weights for this model, all finite; checked before anything is written.</summary>
    private static void CheckInit(string init, ModelConfig model)
    {
        if (!File.Exists(Path.Combine(init, "model.safetensors")))
            throw new ToolkitException($"no checkpoint at {init} to start from", "pass a run's checkpoint folder, e.g. runs/NAME/checkpoints/step-2000");
        using var probe = new HookedTransformer(model);
        try { Checkpoint.LoadWeights(Path.Combine(init, "model.safetensors"), probe); }
        catch (ToolkitException e) { throw new ToolkitException(e.Message, "start from another checkpoint, one that verifies (toolkit analyze reads it without error)"); }
    }

    /// <summary>Everything checked before anything is written.</summary>
    private sealed record Plan(RunConfig Config, TrainingConfig Training, ModelConfig Model, ITask Task)
    {
        public static Plan Validate(RunConfig config)
        {
            var t = config.Training.Validate();
            var model = config.Model.Resolve();
            ITask task;
            try { task = config.Task.Create(); }
            catch (TaskParameterException e) { throw new ToolkitException(e.Message, e.Hint); }
            // A model trained for a task is made to fit it: the fix is a larger model, not a smaller task.
            if (task.Vocabulary.Size > model.DVocab)
                throw new ToolkitException($"task {task.Name} uses {task.Vocabulary.Size} tokens but the model's d_vocab is {model.DVocab}",
                    $"use --d-vocab {task.Vocabulary.Size} (d_vocab {task.Vocabulary.Size} in a grid): the model must hold every token of the task");
            if (task.Context > model.NCtx)
                throw new ToolkitException($"task {task.Name} makes {task.Context}-token sequences but the model's n_ctx is {model.NCtx}",
                    $"use --n-ctx {task.Context} (n_ctx {task.Context} in a grid)");
            Evaluator.CheckFits(model, task);
            if (t.FullBatch && task is not IFiniteSupport)
                throw new ToolkitException($"full_batch needs a task that lists its training set, and {task.Name} draws from a distribution",
                    "drop --full-batch, or use a task with a finite training set (modular-addition)");
            if (t.FullBatch && model.MaskedLm)
                throw new ToolkitException("full_batch with a masked LM is not supported (its corruption is drawn per step)", "drop --full-batch or --objective mlm");
            if (model.MaskedLm) CheckMaskedLm(model, task);
            if (model.EncoderDecoder) CheckSource(model, task);
            Devices.Resolve(t.Device);
            return new Plan(config, t, model, task);
        }
    }

    /// <summary>A masked LM needs a [MASK] id that is none of the task's tokens, and examples with positions to corrupt
    /// (the corruption picks among the task's predictable positions).</summary>
    private static void CheckMaskedLm(ModelConfig model, ITask task)
    {
        if (model.MaskToken < task.Vocabulary.Size)
            throw new ToolkitException($"mask_token {model.MaskToken} is one of task {task.Name}'s tokens (0..{task.Vocabulary.Size - 1})",
                $"use mask_token {task.Vocabulary.Size} with d_vocab {task.Vocabulary.Size + 1} (what --objective mlm sets)");
        if (Sampling.examples(task, 0UL, 8).All(e => !e.LossMask.Any(m => m)))
            throw new ToolkitException($"task {task.Name} marks no predictable position, so a masked LM has nothing to corrupt and predict",
                "train it as a next-token model (drop --objective mlm), or use a task whose rule determines some tokens");
    }

    /// <summary>An encoder-decoder shows its decoder the whole source through cross-attention, so every token the task
    /// predicts must lie after the source end (the first source_end_token): a prediction inside the source would read
    /// its own answer.</summary>
    private static void CheckSource(ModelConfig model, ITask task)
    {
        var sep = model.SourceEndToken!.Value;
        foreach (var e in Sampling.examples(task, 0UL, 32))
        {
            var end = Array.IndexOf(e.Tokens, sep);
            var inside = Enumerable.Range(0, e.Tokens.Length).FirstOrDefault(i => e.LossMask[i] && (end < 0 || i <= end), -1);
            if (inside >= 0)
                throw new ToolkitException($"task {task.Name} predicts position {inside}, {(end < 0 ? "but the sequence has no source end" : $"inside its source (which ends at {end})")}: an encoder-decoder would show the answer to the decoder",
                    "use a task whose predicted tokens all follow a SEP (set-extraction, unique-token), or a decoder-only model");
        }
    }

    private static TrainingResult Run(Plan plan, RunDirectory run, IEnumerable<(int Step, string Path, string? Problem)>? resumeCandidates,
        Provenance? originalProvenance, ITrainingObserver observer, CancellationToken stop)
    {
        var (t, modelConfig, task) = (plan.Training, plan.Model, plan.Task);
        CleanLeftovers(run);
        set_num_threads(t.Threads);
        var device = Devices.Resolve(t.Device);
        manual_seed(t.Seed);
        using var model = new HookedTransformer(modelConfig);
        model.to(device);
        model.train();
        // The project's own AdamW: TorchSharp 0.107's optim.AdamW.step makes temporary Scalars (see AdamW).
        using var optimizer = new AdamW(model.named_parameters().Select(p => (p.name, p.parameter)), t.LearningRate, t.Beta1, t.Beta2, 1e-8, t.WeightDecay);

        var config = plan.Config with
        {
            Model = modelConfig,
            Training = t,
            Task = TaskSpec.Of(task),
            // A resumed run keeps the provenance it started with, so its files match an uninterrupted run's.
            Provenance = originalProvenance ?? Provenance.Capture(device.ToString(), t.Threads),
        };
        var metrics = new MetricsLog(run.MetricsPath, modelConfig.NLayers, modelConfig.NHeads);
        var firstStep = 0;
        double intervalLoss = 0;
        int intervalSteps = 0;
        string? resumeFrom = null;
        if (resumeCandidates is not null)
        {
            var state = LoadNewestUsable(run, config, resumeCandidates, model, optimizer, t.Steps, observer, out resumeFrom);
            (firstStep, intervalLoss, intervalSteps) = (state.Step, state.IntervalLoss, state.IntervalSteps);
        }
        else if (config.InitFrom is string init)
            Checkpoint.LoadWeights(Path.Combine(init, "model.safetensors"), model); // fine-tuning: fresh optimizer and schedule
        RequireCausal(model, t, observer);
        metrics.Start(keepThroughStep: resumeFrom is null ? null : firstStep,
            verifiedBytes: resumeFrom is null ? null : CheckpointManifest.VerifiedMetricsBytes(resumeFrom, run.MetricsPath, config.RunId));
        AtomicFile.WriteText(run.ConfigPath, config.ToJson());

        using var scoring = ScoringBatch.ForRun(model, task, t.Seed);
        var evalExamples = EvaluationExamples(task, t);
        // The in-context learning score is read on (at most) 64 of the held-out sequences: a cheap forward per
        // evaluation. It is a next-token measure, so a masked LM has none.
        using var iclBatch = modelConfig.MaskedLm ? null : Batch.From(evalExamples.Take(64).ToList(), device);
        var corruption = modelConfig.MaskedLm ? MaskedLmCorruption.ForTraining(modelConfig, t.MaskProb, task.Vocabulary) : null;
        var parameters = model.parameters().ToList();
        // Full batch: the task's whole training set, packed once and trained on at every step.
        var fullSet = t.FullBatch ? ((IFiniteSupport)task).All.Select(task.Build).ToList() : null;
        using var fullBatch = fullSet is null ? null : Batch.From(fullSet, device);
        var tokensPerStep = (double)ExamplesPerStep(task, t) * task.Context;
        // With clipping off, an infinite bound still returns the norm that the divergence check needs.
        var clipBound = t.GradClip > 0 ? t.GradClip : double.PositiveInfinity;

        observer.OnStart(firstStep, t.Steps);
        var clock = Stopwatch.StartNew();
        var intervalClock = Stopwatch.StartNew();
        double lastLoss = double.NaN;
        int trained = 0;
        var curve = new List<(int, double)>();
        EvalResult? lastEval = null;
        HeadScoreTable? lastHeads = null;
        double? lastIcl = null;
        var lastCheckpoint = resumeFrom;
        var diverged = DivergenceRecord.Read(run);
        if (diverged is not null)
            observer.OnNotice($"this run diverged before ({diverged.Reason}); with the same config it diverges there again");

        // Recorded in the run (diverged.json), so sweeps report the run instead of retrying it.
        TrainingDivergedException Diverged(int step, string what)
        {
            var e = new TrainingDivergedException(step, what, lastCheckpoint);
            try { DivergenceRecord.Write(run, step, e.Message); }
            catch (Exception io) when (io is IOException or UnauthorizedAccessException) { } // the exit code still says it
            return e;
        }

        void SaveCheckpoint(int done)
        {
            if (!AllFinite(model))
                throw Diverged(done, "the weights are no longer finite");
            var folder = Path.Combine(run.CheckpointsPath, Checkpoint.FolderName(done));
            try
            {
                Checkpoint.Save(folder, config, model, optimizer, new Checkpoint.State { Step = done, IntervalLoss = intervalLoss, IntervalSteps = intervalSteps }, run.MetricsPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // AtomicFile wrote into a temporary folder: the previous checkpoint is untouched.
                throw new ToolkitException($"could not write the checkpoint of step {done}: {e.Message}",
                    (lastCheckpoint is null ? "" : $"{lastCheckpoint} is intact; ") + $"free disk space, then: toolkit train --resume {run.Path}");
            }
            lastCheckpoint = folder;
            observer.OnCheckpoint(done, folder);
        }

        for (var step = firstStep; step < t.Steps; step++)
        {
            var lr = LearningRateSchedule.At(t, step);
            optimizer.LearningRate = lr;
            using (var scope = NewDisposeScope())
            {
                using var drawn = fullBatch is not null ? null : DrawBatch(task, t, step, corruption, device);
                var batch = fullBatch ?? drawn!;
                var taskLoss = Losses.TaskLoss.Of(model, batch);
                // An architecture's own loss term (ACT's ponder cost) trains with the task's; metrics log the task's.
                var auxiliary = model.AuxiliaryLoss;
                var loss = auxiliary is null ? taskLoss : taskLoss.add(auxiliary, Scalars.One);
                optimizer.ZeroGrad();
                loss.backward();
                var gradNorm = nn.utils.clip_grad_norm_(parameters, clipBound);
                lastLoss = taskLoss.to_type(ScalarType.Float64).item<double>(); // exact for float32, and float64 models
                if (auxiliary is not null && !double.IsFinite(loss.to_type(ScalarType.Float64).item<double>())) lastLoss = double.NaN; // a non-finite ponder cost diverges too
                // Stop before a non-finite update reaches the weights (and so any checkpoint).
                if (!double.IsFinite(lastLoss) || !double.IsFinite(gradNorm))
                    throw Diverged(step + 1, !double.IsFinite(lastLoss) ? $"the loss is {lastLoss}" : $"the gradient norm is {gradNorm}");
                optimizer.StepOnce();
            }
            intervalLoss += lastLoss;
            intervalSteps++;
            trained++;
            var done = step + 1;
            if (diverged is not null && done > diverged.Step)
            {
                File.Delete(run.DivergedPath); // this training got past the step where the run diverged
                diverged = null;
            }
            var evalNow = done % t.EvalEvery == 0 || done == t.Steps;
            if (done % t.LogEvery == 0 || evalNow)
            {
                var meanLoss = intervalLoss / intervalSteps;
                curve.Add((done, meanLoss));
                if (evalNow)
                {
                    lastEval = Evaluator.Evaluate(model, evalExamples);
                    lastHeads = HeadScores.Compute(model, scoring);
                    lastIcl = task.Context >= 3 && iclBatch is not null ? InContextLearningScore.Compute(model, iclBatch.Tokens).Score : null;
                    foreach (var writer in IEvaluationWriter.For(model))
                        writer.WriteEvaluation(model, evalExamples, run.Path, done);
                    model.train();
                }
                metrics.Append(done, lr, meanLoss, evalNow ? lastEval : null, evalNow ? lastHeads : null, evalNow ? lastIcl : null);
                observer.OnProgress(done, t.Steps, meanLoss, intervalSteps * tokensPerStep / intervalClock.Elapsed.TotalSeconds);
                if (evalNow) observer.OnEvaluation(done, lastEval!, lastHeads!);
                intervalLoss = 0;
                intervalSteps = 0;
                intervalClock.Restart();
            }
            var checkpointNow = (t.CheckpointEvery > 0 && done % t.CheckpointEvery == 0) || done == t.Steps;
            if (checkpointNow) SaveCheckpoint(done);
            if (stop.IsCancellationRequested && done < t.Steps)
            {
                if (!checkpointNow) SaveCheckpoint(done);
                throw new TrainingInterruptedException(done, lastCheckpoint!, run.Path);
            }
        }
        var seconds = clock.Elapsed.TotalSeconds;
        return new TrainingResult(run, t.Steps, lastLoss, lastEval!, lastHeads!, seconds, trained * tokensPerStep / seconds, curve)
            { EvalOnTrainingExamples = task is IFiniteSupport };
    }

    /// <summary>The batch of a step: a pure function of (seed, step), corrupted for a masked LM.</summary>
    private static Batch DrawBatch(ITask task, TrainingConfig t, int step, MaskedLmCorruption? corruption, Device device)
    {
        var examples = Sampling.examples(task, Seeds.Derive(t.Seed, Seeds.Stream.Train, step), t.BatchSize);
        return corruption is null ? Batch.From(examples, device) : corruption.Apply(examples, t.Seed, (long)step * t.BatchSize, device);
    }

    /// <summary>Loads the newest checkpoint that can be resumed: candidates come newest first with why they cannot be
    /// (<see cref="RunDirectory.ResumeCandidates"/>); one that fails to load is passed over too. Each one passed over is
    /// named in a notice. Nothing is written here.</summary>
    private static Checkpoint.State LoadNewestUsable(RunDirectory run, RunConfig config, IEnumerable<(int Step, string Path, string? Problem)> candidates,
        HookedTransformer model, AdamW optimizer, int steps, ITrainingObserver observer, out string? folder)
    {
        var skipped = 0;
        string? newestProblem = null;
        foreach (var (step, path, problem) in candidates)
        {
            var why = problem;
            if (why is null)
            {
                if (step >= steps)
                    throw new ToolkitException($"the run already has {step} steps, nothing to resume", $"pass --steps larger than {step} to train further");
                try
                {
                    Checkpoint.LoadWeights(Path.Combine(path, "model.safetensors"), model);
                    var state = Checkpoint.LoadTrainingState(path, step, optimizer);
                    if (skipped > 0)
                        observer.OnNotice($"resuming from {path}, the newest checkpoint that verifies: the steps after it are trained again and their files rewritten");
                    folder = path;
                    return state;
                }
                catch (ToolkitException e) { why = e.Message; }
            }
            observer.OnNotice($"passed over {path}: {why}");
            newestProblem ??= why;
            skipped++;
        }
        throw new ToolkitException($"no checkpoint of {run.Path} can be resumed ({skipped} checked; the newest: {newestProblem})", run.RepairHint(config, null));
    }

    /// <summary>A next-token model that sees the future learns to copy the answer (docs/design.md §4, causality):
    /// the leak detector runs on the model before the first step, and a leak stops the run unless it was allowed.</summary>
    private static void RequireCausal(HookedTransformer model, TrainingConfig t, ITrainingObserver observer)
    {
        if (model.Config.MaskedLm)
        {
            // Reading both directions is the point; what must stay hidden is the token to predict, and the corruption hides it.
            observer.OnNotice("a masked LM reads both directions by design: the leak detector does not apply (the corruption hides each predicted token)");
            return;
        }
        var report = CausalityCheck.Run(model, (ulong)t.Seed);
        if (report.Causal) return;
        if (!t.AllowNonCausal)
            throw new ToolkitException($"the model is not causal, so next-token training would reward reading the answer: {report}",
                "fix the architecture (left padding only, causal masks), or pass --allow-noncausal for a model meant to see the whole input (masked LM, encoder)");
        observer.OnNotice($"training a non-causal model, as --allow-noncausal asked: {report}");
    }

    private static bool AllFinite(HookedTransformer model)
    {
        using var scope = NewDisposeScope();
        return model.parameters().All(p => p.isfinite().all().item<bool>());
    }

    /// <summary>Removes half-written files and checkpoint folders left by a process that was killed.</summary>
    private static void CleanLeftovers(RunDirectory run)
    {
        if (Directory.Exists(run.CheckpointsPath))
            foreach (var temp in Directory.GetDirectories(run.CheckpointsPath, ".step-*.tmp-*"))
                Directory.Delete(temp, recursive: true);
        if (Directory.Exists(run.Path))
            foreach (var temp in Directory.GetFiles(run.Path, ".*.tmp-*"))
                File.Delete(temp);
    }
}
