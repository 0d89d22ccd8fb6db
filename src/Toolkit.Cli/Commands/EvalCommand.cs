using System.CommandLine;
using Toolkit.Data;
using Toolkit.Evaluation;
using Toolkit.Runs;
using Toolkit.Tasks;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit eval runs/NAME</c>: loss and top-1 accuracy at predictable positions, on the
/// run's task or a variant of it (--task/--period/--start/--param override the run's parameters).</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var run = new RunInput();
        var task = new TaskOptions();
        var sequences = new Option<int>("--sequences") { Description = "sequences to evaluate", DefaultValueFactory = _ => 512 };
        var seed = new Option<long>("--seed") { Description = "seed of the evaluation data", DefaultValueFactory = _ => 0 };
        var command = new Command("eval", "Loss and top-1 accuracy on the predictable positions of a task (the run's, or a variant).");
        run.AddTo(command);
        task.AddTo(command);
        command.Options.Add(sequences);
        command.Options.Add(seed);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            var opened = run.Open(r);
            var config = opened.Config;
            var spec = task.Read(r, config.Task);
            var t = spec.Create();
            using var model = opened.LoadModel();
            var result = Evaluator.Evaluate(model, t, Seeds.Derive(r.GetValue(seed), Seeds.Stream.Probe), r.GetValue(sequences));
            Console.WriteLine($"task {spec.Name} {string.Join(" ", spec.Parameters.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}"))}");
            Console.WriteLine(result);
            Console.WriteLine($"chance: loss {Math.Log(t.Vocabulary.ContentCount):F3}, accuracy {1.0 / t.Vocabulary.ContentCount:P1}");
            return 0;
        }));
        return command;
    }
}
