using System.CommandLine;
using Toolkit.Runs;
using Toolkit.Verdicts;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit check runs/NAME --property "accuracy >= 0.9" --over period=6..32 start=0..20</c>:
/// FsCheck tries to break the property over the task family and shrinks a failure to a minimal instance.</summary>
public static class CheckCommand
{
    public static Command Create()
    {
        var run = new RunInput();
        var property = new Option<string>("--property") { Description = "e.g. \"accuracy >= 0.9\" or \"loss <= 0.5\"", DefaultValueFactory = _ => "accuracy >= 0.9" };
        var over = new Option<string[]>("--over") { Description = "task parameters to range over, e.g. period=6..32 start=0..20", AllowMultipleArgumentsPerToken = true };
        var tests = new Option<int>("--tests") { Description = "instances to try before declaring the property holds", DefaultValueFactory = _ => 100 };
        var seed = new Option<ulong>("--seed") { Description = "FsCheck seed (same seed, same instances)", DefaultValueFactory = _ => 1 };
        var command = new Command("check", "Property-based generalization test: try to break a property of the model over a task family.");
        run.AddTo(command);
        command.Options.Add(property);
        command.Options.Add(over);
        command.Options.Add(tests);
        command.Options.Add(seed);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            var opened = run.Open(r);
            var config = opened.Config;
            var parameters = new Dictionary<string, string>(config.Task.Parameters);
            var ranges = TaskOptions.ParseAssignments(r.GetValue(over) ?? Array.Empty<string>(),
                kv => new ToolkitException($"--over '{kv}' is not name=range", "write --over period=6..32 start=0..20"));
            foreach (var (name, range) in ranges) parameters[name] = range;
            // The ranges become the task's own parameters: the task validates that they fit its
            // context, and its instance generator and shrinker stay inside them.
            var task = new TaskSpec { Name = config.Task.Name, Parameters = parameters }.Create();
            var prop = ModelProperty.Parse(r.GetValue(property)!);
            using var model = opened.LoadModel();
            var result = GeneralizationCheck.Check(model, task, prop, r.GetValue(tests), r.GetValue(seed));
            var over_ = string.Join(" ", task.Parameters.Where(kv => parameters.ContainsKey(kv.Key) && kv.Value != config.Task.Parameters.GetValueOrDefault(kv.Key)).Select(kv => $"{kv.Key}={kv.Value}"));
            Console.WriteLine($"property: {prop} on every instance of {task.Name} {over_}".TrimEnd());
            if (result.Passed)
            {
                Console.WriteLine($"held on all {result.Tests} instances tried (seed {r.GetValue(seed)}).");
                return 0;
            }
            Console.WriteLine($"FAILED: {prop.Metric} {prop.Measure(result.CounterexampleEval!):F3} on the minimal counterexample after {result.Shrinks} shrinks:");
            Console.Write(result.Explanation);
            return 1;
        }));
        return command;
    }
}
