using System.CommandLine;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Training;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit train</c>: trains a model on a task into a run directory, or resumes one.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var task = new TaskOptions();
        var context = new Option<int>("--context") { Description = "sequence length = n_ctx", DefaultValueFactory = _ => 64 };
        var vocab = new Option<int>("--vocab") { Description = "vocabulary size = d_vocab", DefaultValueFactory = _ => 64 };
        var layers = new Option<int>("--layers") { Description = "n_layers", DefaultValueFactory = _ => 2 };
        var heads = new Option<int>("--heads") { Description = "n_heads", DefaultValueFactory = _ => 4 };
        var dModel = new Option<int>("--d-model") { Description = "d_model", DefaultValueFactory = _ => 64 };
        var dHead = new Option<int?>("--d-head") { Description = "d_head (default d_model / n_heads)" };
        var mlp = new Option<bool>("--mlp") { Description = "add MLP blocks (attention-only by default)" };
        var ln = new Option<bool>("--ln") { Description = "pre-LayerNorm in every block and before the unembedding" };
        var arch = new Option<string>("--arch") { Description = "transformer, conv-attn (a causal convolution over positions replaces the first attention layer), routed (a router picks one of a pool of blocks at each step), or encoder-decoder (an encoder reads the source up to the task's SEP both ways; --layers decoder blocks read the target and the source through cross-attention)", DefaultValueFactory = _ => "transformer" };
        var encoderLayers = new Option<int?>("--encoder-layers") { Description = "encoder-decoder: encoder blocks (default --layers)" };
        var positional = new Option<string>("--positional") { Description = "learned, sinusoidal, rotary, shortformer (positions on queries and keys only) or none", DefaultValueFactory = _ => "learned" };
        var tied = new Option<bool>("--tied") { Description = "tie the unembedding to the token embedding (W_U = W_Eᵀ)" };
        var postNorm = new Option<bool>("--post-norm") { Description = "LayerNorm after each residual addition instead of before each sublayer (needs --ln)" };
        var parallel = new Option<bool>("--parallel") { Description = "attention and MLP read the same residual stream (needs --mlp)" };
        var convPadding = new Option<string>("--conv-padding") { Description = "conv-attn: causal, or same (centred: leaks the next token; only to demonstrate the leak detector)", DefaultValueFactory = _ => "causal" };
        var convType = new Option<string>("--conv-type") { Description = "conv-attn: depthwise or full", DefaultValueFactory = _ => "depthwise" };
        var convKernel = new Option<int>("--conv-kernel") { Description = "conv-attn: kernel width", DefaultValueFactory = _ => 3 };
        var pool = new Option<int?>("--pool") { Description = "routed: blocks in the pool (default --layers)" };
        var identity = new Option<int>("--identity") { Description = "routed: identity layers in the pool" };
        var routeSteps = new Option<int?>("--route-steps") { Description = "routed: steps, one layer chosen per step (default the pool size)" };
        var route = new Option<string>("--route") { Description = "routed: per-token, per-sequence (decided from position 0), schedule (learned, input-independent) or fixed (step s runs block s mod pool)", DefaultValueFactory = _ => "per-token" };
        var router = new Option<string>("--router") { Description = "routed: linear or gru", DefaultValueFactory = _ => "linear" };
        var act = new Option<bool>("--act") { Description = "routed: adaptive computation time (halting per step, ponder cost), up to --route-steps" };
        var actLoss = new Option<string>("--act-loss") { Description = "routed --act: mixture (loss of the halting-weighted state) or per-step (halting-weighted mean of every step's loss)", DefaultValueFactory = _ => "mixture" };
        var ponderCost = new Option<double>("--ponder-cost") { Description = "routed --act: weight of the ponder cost", DefaultValueFactory = _ => 0.01 };
        var dropout = new Option<double>("--dropout") { Description = "dropout on embeddings, attention patterns and residual writes" };
        var steps = new Option<int>("--steps") { Description = "training steps", DefaultValueFactory = _ => 2000 };
        var batch = new Option<int>("--batch") { Description = "sequences per step", DefaultValueFactory = _ => 64 };
        var lr = new Option<double>("--lr") { Description = "peak learning rate (AdamW)", DefaultValueFactory = _ => 1e-3 };
        var warmup = new Option<int>("--warmup") { Description = "linear warm-up steps", DefaultValueFactory = _ => 100 };
        var schedule = new Option<string>("--schedule") { Description = "constant or cosine after warm-up", DefaultValueFactory = _ => "constant" };
        var clip = new Option<double>("--grad-clip") { Description = "max gradient norm (0: off)", DefaultValueFactory = _ => 1.0 };
        var decay = new Option<double>("--weight-decay") { Description = "AdamW weight decay", DefaultValueFactory = _ => 0.01 };
        var seed = new Option<long>("--seed") { Description = "random seed (weights, data, dropout)", DefaultValueFactory = _ => 0 };
        var threads = new Option<int>("--threads") { Description = "CPU threads (results depend on it; recorded)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda", DefaultValueFactory = _ => "auto" };
        var evalEvery = new Option<int>("--eval-every") { Description = "steps between evaluations and head scores", DefaultValueFactory = _ => 100 };
        var ckptEvery = new Option<int>("--checkpoint-every") { Description = "steps between checkpoints (0: end only)", DefaultValueFactory = _ => 500 };
        var objective = new Option<string>("--objective") { Description = "next-token (causal), or mlm: a masked LM (BERT-style corruption of the task's predictable positions, attention both ways, loss on the corrupted positions; adds a [MASK] token after the task's)", DefaultValueFactory = _ => "next-token" };
        var maskProb = new Option<double>("--mask-prob") { Description = "--objective mlm: probability that a predictable position is corrupted (80% [MASK], 10% random, 10% kept)", DefaultValueFactory = _ => 0.15 };
        var allowNonCausal = new Option<bool>("--allow-noncausal") { Description = "train even if the leak detector finds positions that see later tokens (masked LM, encoders)" };
        var output = new Option<string?>("--out") { Description = "run directory to create, e.g. runs/NAME" };
        var resume = new Option<string?>("--resume") { Description = "continue the run in this directory from its latest checkpoint (to --steps)" };
        var sweep = new Option<string?>("--sweep") { Description = "train run --index of the sweep in this directory (toolkit sweep): skipped when complete, resumed when interrupted" };
        var index = new Option<int?>("--index") { Description = "with --sweep: the run's index in DIR/sweep.json (a Slurm array task id)" };

        var command = new Command("train", "Train a model on a task; writes config.json, metrics.csv and checkpoints to the run directory.");
        task.AddTo(command);
        foreach (var o in new Option[] { context, vocab, layers, heads, dModel, dHead, mlp, ln, arch, encoderLayers, positional, tied, postNorm, parallel, convPadding, convType, convKernel, pool, identity, routeSteps, route, router, act, actLoss, ponderCost, dropout, objective, maskProb, steps, batch, lr, warmup, schedule, clip, decay, seed, threads, device, evalEvery, ckptEvery, allowNonCausal, output, resume, sweep, index })
            command.Options.Add(o);

        command.SetAction(r => CommandLine.Guard(() =>
        {
            var progress = new ProgressReporter("train");
            using var signals = new StopSignals();
            string runPath;
            TrainingResult result;
            try
            {
                if (r.GetValue(sweep) is string sweepPath)
                {
                    // A sweep's run trains with the config in sweep.json; only --threads may be given.
                    var ignored = new Option[] { task.Task, task.Period, task.Start, task.Params, context, vocab, layers, heads, dModel, dHead, mlp, ln,
                            arch, encoderLayers, positional, tied, postNorm, parallel, convPadding, convType, convKernel, pool, identity, routeSteps, route, router, act, actLoss, ponderCost,
                            dropout, objective, maskProb, steps, batch, lr, warmup, schedule, clip, decay, seed, device, evalEvery, ckptEvery, allowNonCausal, output, resume }
                        .Where(o => r.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
                    if (ignored.Count > 0)
                        throw new ToolkitException($"{string.Join(", ", ignored)} cannot change a sweep's run (it trains with the config in {sweepPath}/sweep.json)",
                            $"drop {string.Join(", ", ignored)}; change the grid and start another sweep instead");
                    var i = r.GetValue(index) ?? throw new ToolkitException("--sweep needs --index", $"add --index 0 (0..n-1, see toolkit sweep GRID --out {sweepPath} --dry-run)");
                    var plan = Toolkit.Sweeps.SweepPlan.Open(sweepPath);
                    var run = plan.Run(i);
                    runPath = plan.PathOf(run);
                    progress = new ProgressReporter(run.Name);
                    var (action, trained) = plan.TrainRun(i, r.GetValue(threads), progress, signals.Token);
                    if (trained is null)
                    {
                        Console.WriteLine($"skipped: {runPath} is complete ({run.Config.Training.Steps} steps)");
                        return 0;
                    }
                    Console.WriteLine($"{(action == Toolkit.Sweeps.SweepRunAction.Resumed ? "resumed and finished" : "trained")}: {runPath}");
                    result = trained;
                }
                else if (r.GetResult(index) is { Implicit: false })
                    throw new ToolkitException("--index needs --sweep", "add --sweep DIR (the sweep's directory)");
                else if (r.GetValue(resume) is string resumePath)
                {
                    // A resumed run continues with its own config.json: an option that would change it
                    // is an error, not silently ignored.
                    var ignored = new Option[] { task.Task, task.Period, task.Start, task.Params, context, vocab, layers, heads, dModel, dHead, mlp, ln,
                            arch, encoderLayers, positional, tied, postNorm, parallel, convPadding, convType, convKernel, pool, identity, routeSteps, route, router, act, actLoss, ponderCost, dropout, objective, maskProb, batch, lr, warmup, schedule, clip, decay, seed, threads, device, evalEvery, ckptEvery, allowNonCausal, output }
                        .Where(o => r.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
                    if (ignored.Count > 0)
                        throw new ToolkitException($"{string.Join(", ", ignored)} cannot change a run that is resumed (it continues with its own config.json)",
                            $"drop {string.Join(", ", ignored)}, or train a new run with --out");
                    var stepsGiven = r.GetResult(steps) is { Implicit: false } ? r.GetValue(steps) : (int?)null;
                    runPath = resumePath;
                    result = Trainer.Resume(resumePath, stepsGiven, progress, signals.Token);
                }
                else
                {
                    runPath = r.GetValue(output)
                        ?? throw new ToolkitException("no run directory given", "add --out runs/NAME (or --resume runs/NAME)");
                    var p = r.GetValue(dropout);
                    var archName = r.GetValue(arch);
                    if (archName is not ("transformer" or "conv-attn" or "routed" or "encoder-decoder"))
                        throw new ToolkitException($"--arch {archName} is unknown", "use --arch transformer, conv-attn, routed or encoder-decoder");
                    var encoderDecoder = archName == "encoder-decoder";
                    if (!encoderDecoder && r.GetResult(encoderLayers) is { Implicit: false })
                        throw new ToolkitException("--encoder-layers needs --arch encoder-decoder", "add --arch encoder-decoder, or drop --encoder-layers");
                    var convAttn = archName == "conv-attn";
                    var routed = archName == "routed";
                    var routeOptions = new Option[] { pool, identity, routeSteps, route, router, act, actLoss, ponderCost }.Where(o => r.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
                    if (!routed && routeOptions.Count > 0)
                        throw new ToolkitException($"{string.Join(", ", routeOptions)} need --arch routed", "add --arch routed, or drop them");
                    if (convAttn && r.GetValue(layers) < 2)
                        throw new ToolkitException("--arch conv-attn needs --layers 2 or more (the convolution replaces the first attention layer)", "use --layers 2");
                    if (r.GetValue(parallel) && !r.GetValue(mlp)) throw new ToolkitException("--parallel needs --mlp", "add --mlp, or drop --parallel");
                    var maskedLm = r.GetValue(objective) switch
                    {
                        "next-token" => false,
                        "mlm" => true,
                        var other => throw new ToolkitException($"--objective {other} is unknown", "use --objective next-token or mlm"),
                    };
                    if (!maskedLm && r.GetResult(maskProb) is { Implicit: false }) throw new ToolkitException("--mask-prob needs --objective mlm", "add --objective mlm, or drop --mask-prob");
                    var config = new RunConfig
                    {
                        Model = new ModelConfig
                        {
                            NLayers = routed ? r.GetValue(pool) ?? r.GetValue(layers) : r.GetValue(layers) - (convAttn ? 1 : 0), NHeads = r.GetValue(heads), DModel = r.GetValue(dModel),
                            DHead = r.GetValue(dHead), DVocab = r.GetValue(vocab), NCtx = r.GetValue(context),
                            AttnOnly = !r.GetValue(mlp), NormalizationType = r.GetValue(ln) ? "LN" : null,
                            PositionalEmbeddingType = r.GetValue(positional) == "learned" ? "standard" : r.GetValue(positional)!,
                            TiedEmbeddings = r.GetValue(tied), NormalizationPosition = r.GetValue(postNorm) ? "post" : "pre",
                            ParallelAttnMlp = r.GetValue(parallel),
                            ConvKernel = convAttn ? r.GetValue(convKernel) : 0, ConvPadding = r.GetValue(convPadding)!, ConvType = r.GetValue(convType)!,
                            EmbedDropout = p, AttnDropout = p, ResidDropout = p,
                            Routing = routed ? r.GetValue(route)! : "none", RouteSteps = routed ? r.GetValue(routeSteps) : null,
                            RouteIdentityLayers = routed ? r.GetValue(identity) : 0, RouterType = r.GetValue(router)!,
                            RouteAct = routed && r.GetValue(act), RoutePonderCost = r.GetValue(ponderCost), RouteActLoss = r.GetValue(actLoss)!,
                        },
                        Training = new TrainingConfig
                        {
                            Steps = r.GetValue(steps), BatchSize = r.GetValue(batch), LearningRate = r.GetValue(lr),
                            WarmupSteps = r.GetValue(warmup), Schedule = r.GetValue(schedule)!, GradClip = r.GetValue(clip),
                            WeightDecay = r.GetValue(decay), Seed = r.GetValue(seed), Threads = r.GetValue(threads),
                            Device = r.GetValue(device)!, EvalEvery = r.GetValue(evalEvery), CheckpointEvery = r.GetValue(ckptEvery),
                            AllowNonCausal = r.GetValue(allowNonCausal), MaskProb = r.GetValue(maskProb),
                        },
                        Task = task.Read(r, null, r.GetValue(context), r.GetValue(vocab)),
                    };
                    if (maskedLm) config = config with { Model = MaskedLmModel(config.Model, config.Task) };
                    if (encoderDecoder)
                        config = config with { Model = EncoderDecoderModel(config.Model, r.GetValue(encoderLayers) ?? config.Model.NLayers, config.Task) };
                    if (routed)
                    {
                        // The comparison a routed pool needs: a standard transformer of the same parameter count.
                        var steps = config.Model.Resolve().RouteSteps!.Value;
                        var (baseline, count) = ParameterBudget.MatchedBaseline(config.Model, [steps, config.Model.NLayers]);
                        Console.WriteLine(ParameterBudget.Describe("routed pool", config.Model));
                        Console.WriteLine($"matched standard baseline: {count:N0} parameters (--layers {baseline.NLayers} --d-model {baseline.DModel})");
                    }
                    result = Trainer.Train(config, runPath, progress, signals.Token);
                }
            }
            catch (TrainingInterruptedException e)
            {
                Console.Error.WriteLine($"stopped: {e.Message}");
                Console.Error.WriteLine($"hint: {e.Hint}");
                return signals.ExitCode;
            }
            finally { progress.Finish(); } // ends the progress line before any message
            Summary.Print(result);
            ReportWriter.WriteOrWarn(runPath);
            return 0;
        }));
        return command;
    }

    /// <summary>An encoder-decoder of a task: the source ends at the task's SEP.</summary>
    private static ModelConfig EncoderDecoderModel(ModelConfig model, int encoderLayers, TaskSpec task)
    {
        Toolkit.Tasks.Vocabulary vocabulary;
        try { vocabulary = task.Create().Vocabulary; }
        catch (Toolkit.Tasks.TaskParameterException e) { throw new ToolkitException(e.Message, e.Hint); }
        if (!vocabulary.Reserved.Contains("SEP"))
            throw new ToolkitException($"task {task.Name} has no SEP token to end the source (its reserved tokens: {string.Join(", ", vocabulary.Reserved)})",
                "use --arch encoder-decoder with a task that separates input and output by SEP (set-extraction, unique-token)");
        return model with { NEncoderLayers = encoderLayers, SourceEndToken = vocabulary.Id("SEP") };
    }

    /// <summary>A masked LM of a task: the [MASK] token takes the first id after the task's tokens.</summary>
    private static ModelConfig MaskedLmModel(ModelConfig model, TaskSpec task)
    {
        int size;
        try { size = task.Create().Vocabulary.Size; }
        catch (Toolkit.Tasks.TaskParameterException e) { throw new ToolkitException(e.Message, e.Hint); }
        return model with { DVocab = size + 1, MaskToken = size };
    }
}
