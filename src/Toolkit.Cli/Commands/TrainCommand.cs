using System.CommandLine;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Training;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit train</c>: trains a new run, resumes one (<c>--resume</c>) or trains one run of a sweep
/// (<c>--sweep --index</c>). Every model and training setting is an option named after its config.json key.</summary>
public static class TrainCommand
{
    private sealed class Options
    {
        public readonly TaskOptions Task = new();
        public readonly ConfigOptions Settings = new();
        public readonly Option<string> Objective = new("--objective") { HelpName = "next-token|mlm", Description = "next-token (causal), or mlm: a masked LM (BERT-style corruption of the task's predictable positions, attention both ways, loss on the corrupted positions; adds a [MASK] token after the task's)", DefaultValueFactory = _ => "next-token" };
        public readonly Option<string?> Output = new("--out") { Description = "run directory to create, e.g. runs/NAME" };
        public readonly Option<string?> Resume = new("--resume") { Description = "continue the run in this directory from its latest checkpoint (to --steps)" };
        public readonly Option<string?> Sweep = new("--sweep") { Description = "train run --index of the sweep in this directory (toolkit sweep): skipped when complete, resumed when interrupted" };
        public readonly Option<int?> Index = new("--index") { Description = "with --sweep: the run's index in DIR/sweep.json (a Slurm array task id)" };

        public Options() => Objective.AcceptOnlyFromAmong("next-token", "mlm");

        /// <summary>The options that define a new run (all but where it goes and how it resumes).</summary>
        public IEnumerable<Option> Defining => Task.All.Concat(Settings.All).Append(Objective);

        /// <summary>The names of the given options among <paramref name="candidates"/>.</summary>
        public static List<string> Given(ParseResult r, IEnumerable<Option> candidates) =>
            candidates.Where(o => r.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
    }

    public static Command Create()
    {
        var o = new Options();
        var command = new Command("train", "Train a model on a task; writes config.json, metrics.csv and checkpoints to the run directory.");
        foreach (var option in o.Defining.Concat([o.Output, o.Resume, o.Sweep, o.Index])) command.Options.Add(option);
        GroupedHelp.Set(command,
            [
                ("task", o.Task.All),
                (Configs.Setting.ModelGroup, o.Settings.InGroup(Configs.Setting.ModelGroup).Append(o.Objective)),
                (Configs.Setting.VariantGroup, o.Settings.InGroup(Configs.Setting.VariantGroup)),
                (Configs.Setting.RoutingGroup, o.Settings.InGroup(Configs.Setting.RoutingGroup)),
                (Configs.Setting.TrainingGroup, o.Settings.InGroup(Configs.Setting.TrainingGroup)),
                (Configs.Setting.RunGroup, o.Settings.InGroup(Configs.Setting.RunGroup)),
                ("output", [o.Output, o.Resume, o.Sweep, o.Index]),
            ],
            "toolkit train --task repeated-copy --period 6..29 --out runs/variable       (the demo's variable-period model)",
            "toolkit train --n-layers 1 --conv-kernel 3 --out runs/conv-attn            (Conv-Attn: one attention layer after a convolution)",
            "toolkit train --task set-extraction --n-encoder-layers 2 --out runs/enc-dec   (an encoder-decoder)",
            "toolkit train --resume runs/variable --steps 3000",
            "toolkit train --sweep runs/sweep --index 3 --threads 1");

        command.SetAction(r => CommandLine.Guard(() =>
        {
            var progress = new ProgressReporter("train");
            using var signals = new StopSignals();
            string runPath;
            TrainingResult? result;
            try
            {
                if (r.GetValue(o.Sweep) is string sweepPath) (runPath, result, progress) = TrainSweepRun(r, o, sweepPath, signals);
                else if (r.GetResult(o.Index) is { Implicit: false })
                    throw new ToolkitException("--index needs --sweep", "add --sweep DIR (the sweep's directory)");
                else if (r.GetValue(o.Resume) is string resumePath) (runPath, result) = (resumePath, Resume(r, o, resumePath, progress, signals));
                else
                {
                    runPath = r.GetValue(o.Output) ?? throw new ToolkitException("no run directory given", "add --out runs/NAME (or --resume runs/NAME)");
                    result = Trainer.Train(NewConfig(r, o), runPath, progress, signals.Token);
                }
            }
            catch (TrainingInterruptedException e)
            {
                Console.Error.WriteLine($"stopped: {e.Message}");
                Console.Error.WriteLine($"hint: {e.Hint}");
                return signals.ExitCode;
            }
            finally { progress.Finish(); } // ends the progress line before any message
            if (result is null) return 0; // a sweep's run that was already complete
            Summary.Print(result);
            ReportWriter.WriteOrWarn(runPath);
            return 0;
        }));
        return command;
    }

    /// <summary>A sweep's run trains with the config in sweep.json; only --threads may be given.</summary>
    private static (string, TrainingResult?, ProgressReporter) TrainSweepRun(ParseResult r, Options o, string sweepPath, StopSignals signals)
    {
        var ignored = Options.Given(r, o.Defining.Append(o.Output).Append(o.Resume).Where(x => x != o.Settings["threads"]));
        if (ignored.Count > 0)
            throw new ToolkitException($"{string.Join(", ", ignored)} cannot change a sweep's run (it trains with the config in {sweepPath}/sweep.json)",
                $"drop {string.Join(", ", ignored)}; change the grid and start another sweep instead");
        var i = r.GetValue(o.Index) ?? throw new ToolkitException("--sweep needs --index", $"add --index 0 (0..n-1, see toolkit sweep GRID --out {sweepPath} --dry-run)");
        var plan = Toolkit.Sweeps.SweepPlan.Open(sweepPath);
        var run = plan.Run(i);
        var runPath = plan.PathOf(run);
        var progress = new ProgressReporter(run.Name);
        var (action, trained) = plan.TrainRun(i, o.Settings.Read(r).Training.Threads, progress, signals.Token);
        if (trained is null)
        {
            Console.WriteLine($"skipped: {runPath} is complete ({run.Config.Training.Steps} steps)");
            return (runPath, null, progress);
        }
        Console.WriteLine($"{(action == Toolkit.Sweeps.SweepRunAction.Resumed ? "resumed and finished" : "trained")}: {runPath}");
        return (runPath, trained, progress);
    }

    /// <summary>A resumed run continues with its own config.json: an option that would change it is an error, not
    /// silently ignored; --steps may raise the run's length.</summary>
    private static TrainingResult Resume(ParseResult r, Options o, string resumePath, ProgressReporter progress, StopSignals signals)
    {
        var steps = o.Settings["steps"];
        var ignored = Options.Given(r, o.Defining.Append(o.Output).Where(x => x != steps));
        if (ignored.Count > 0)
            throw new ToolkitException($"{string.Join(", ", ignored)} cannot change a run that is resumed (it continues with its own config.json)",
                $"drop {string.Join(", ", ignored)}, or train a new run with --out");
        var stepsGiven = o.Settings.IsGiven(r, "steps") ? o.Settings.Read(r).Training.Steps : (int?)null;
        return Trainer.Resume(resumePath, stepsGiven, progress, signals.Token);
    }

    /// <summary>A new run's config: the given settings over the configs' defaults, the task sized by n_ctx and d_vocab,
    /// and the tokens a masked LM or an encoder-decoder takes from the task.</summary>
    private static RunConfig NewConfig(ParseResult r, Options o)
    {
        var (model, training) = o.Settings.Read(r);
        Require(model.Routed, "routing", o.Settings.Given(r).Where(f => IsRouting(f) && f != "--routing"), "--routing per-token");
        Require(model.ConvKernel > 0, "a convolution", o.Settings.Given(r).Where(f => f is "--conv-type" or "--conv-padding"), "--conv-kernel 3");
        Require(!model.AttnOnly, "MLP blocks", o.Settings.Given(r).Where(f => f is "--d-mlp" or "--act-fn" or "--parallel-attn-mlp"), "--attn-only false");
        var maskedLm = r.GetValue(o.Objective) == "mlm";
        if (!maskedLm && o.Settings.IsGiven(r, "mask_prob"))
            throw new ToolkitException("--mask-prob needs --objective mlm", "add --objective mlm, or drop --mask-prob");
        var config = new RunConfig { Model = model, Training = training, Task = o.Task.Read(r, null, model.NCtx, model.DVocab) };
        if (maskedLm) config = config with { Model = MaskedLmModel(config.Model, config.Task) };
        if (model.EncoderDecoder) config = config with { Model = EncoderDecoderModel(config.Model, config.Task) };
        if (model.Routed)
        {
            // The comparison a routed pool needs: a standard transformer of the same parameter count.
            var steps = config.Model.Resolve().RouteSteps!.Value;
            var (baseline, count) = ParameterBudget.MatchedBaseline(config.Model, [steps, config.Model.NLayers]);
            Console.WriteLine(ParameterBudget.Describe("routed pool", config.Model));
            Console.WriteLine($"matched standard baseline: {count:N0} parameters (--n-layers {baseline.NLayers} --d-model {baseline.DModel})");
        }
        return config;

        static bool IsRouting(string flag) => Configs.Setting.Model.Any(s => s.Flag == flag && s.Group == Configs.Setting.RoutingGroup);
        static void Require(bool on, string what, IEnumerable<string> given, string enable)
        {
            var list = given.ToList();
            if (!on && list.Count > 0)
                throw new ToolkitException($"{string.Join(", ", list)} {(list.Count == 1 ? "needs" : "need")} {what}", $"add {enable}, or drop {string.Join(", ", list)}");
        }
    }

    /// <summary>An encoder-decoder of a task: the source ends at the task's SEP.</summary>
    private static ModelConfig EncoderDecoderModel(ModelConfig model, TaskSpec task)
    {
        var vocabulary = Create(task).Vocabulary;
        if (!vocabulary.Reserved.Contains("SEP"))
            throw new ToolkitException($"task {task.Name} has no SEP token to end the source (its reserved tokens: {string.Join(", ", vocabulary.Reserved)})",
                "use --n-encoder-layers with a task that separates input and output by SEP (set-extraction, unique-token)");
        return model with { SourceEndToken = vocabulary.Id("SEP") };
    }

    /// <summary>A masked LM of a task: the [MASK] token takes the first id after the task's tokens.</summary>
    private static ModelConfig MaskedLmModel(ModelConfig model, TaskSpec task)
    {
        var size = Create(task).Vocabulary.Size;
        return model with { DVocab = size + 1, MaskToken = size };
    }

    private static Toolkit.Tasks.ITask Create(TaskSpec task)
    {
        try { return task.Create(); }
        catch (Toolkit.Tasks.TaskParameterException e) { throw new ToolkitException(e.Message, e.Hint); }
    }
}
