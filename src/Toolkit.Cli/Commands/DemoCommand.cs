using System.CommandLine;
using Toolkit.Analysis;
using Toolkit.Experiments;
using Toolkit.Training;
using Toolkit.Verdicts;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit demo</c>: the memorization trap and its way out, from real training
/// (<see cref="MemorizationDemo"/> holds the experiment; this is its console shell).</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var seed = new Option<long>("--seed") { Description = "random seed of both runs", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out") { Description = "folder for the two runs (replaced)", DefaultValueFactory = _ => "runs/demo" };
        var threads = new Option<int>("--threads") { Description = "CPU threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("demo", "Train a fixed-period and a variable-period model and show which one generalizes, and whether by induction.");
        command.Options.Add(seed);
        command.Options.Add(output);
        command.Options.Add(threads);
        command.SetAction(r => CommandLine.Guard(() => Run(r.GetValue(output)!, r.GetValue(seed), r.GetValue(threads))));
        return command;
    }

    private static int Run(string folder, long seed, int threads)
    {
        Console.WriteLine("Toolkit demo: does a small transformer follow the copy rule on instances it never saw, or memorize positions? And if it generalizes, does it need its induction heads?");
        Console.WriteLine("Two 2-layer, 4-head, d_model 64 attention-only models on 64-token sequences of a repeated random block;");
        Console.WriteLine("loss and accuracy only where the next token follows from the repeat (tokens 2.. of each copy).");
        Console.WriteLine("Each is judged by `toolkit probe`'s rule: its probes, and whether it follows the positional shortcut where that and the copy rule disagree.");
        Console.WriteLine();
        var explanations = new List<string>();
        foreach (var (name, label, period, steps) in MemorizationDemo.Models)
        {
            var path = Path.Combine(folder, name);
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true); // the demo's own output, regenerated
            var config = MemorizationDemo.Config(period, steps, seed, threads);
            Console.WriteLine($"== {name}: repeated-copy period {period}, {steps} steps, batch 64, AdamW lr {MemorizationDemo.LearningRate} (warm-up {MemorizationDemo.WarmupSteps}), seed {seed}, {threads} threads");
            var progress = new ProgressReporter(name);
            var result = Trainer.Train(config, path, progress);
            progress.Finish();
            var phase = PhaseChange.Detect(result.LossCurve);
            Console.WriteLine($"loss: {result.LossCurve[0].Loss:F2} at step {result.LossCurve[0].Step} → {result.LossCurve[^1].Loss:F3} at step {steps} ({result.Seconds:F0} s, {result.TokensPerSecond / 1000:F0}k tokens/s)");
            Console.Write(Summary.HeadTable(result.FinalHeads));
            var verdict = SeedStudy.Judge(path).Verdict;
            Console.Write(verdict.Render());
            ReportWriter.WriteOrWarn(path);
            Console.WriteLine();
            explanations.Add(MemorizationDemo.Explain(label, verdict, result.FinalHeads, phase));
        }
        Console.WriteLine("== Verdict");
        foreach (var e in explanations) Console.WriteLine(e);
        return 0;
    }
}
