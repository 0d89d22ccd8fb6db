using System.CommandLine;
using System.Globalization;
using Toolkit.Generation;
using Toolkit.Runs;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit sample RUN --prompt "..."</c>: continue token sequences with the run's model.</summary>
public static class SampleCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run") { Description = "run directory, e.g. runs/NAME" };
        var prompt = new Option<string?>("--prompt") { Description = "token ids separated by spaces (default: one of the task's own sequences, cut in half)" };
        var tokens = new Option<int>("--tokens") { Description = "tokens to generate", DefaultValueFactory = _ => 20 };
        var temperature = new Option<double>("--temperature") { Description = "0 for greedy decoding", DefaultValueFactory = _ => 0.0 };
        var topK = new Option<int>("--top-k") { Description = "draw only from the k most likely tokens (0: all)", DefaultValueFactory = _ => 0 };
        var topP = new Option<double>("--top-p") { Description = "draw only from the smallest set reaching this probability", DefaultValueFactory = _ => 1.0 };
        var seed = new Option<ulong>("--seed") { Description = "random seed of the draws", DefaultValueFactory = _ => 0UL };
        var command = new Command("sample", "Continue a prompt with the run's model (greedy, or sampled with temperature, top-k and top-p).");
        command.Arguments.Add(run);
        foreach (var o in new Option[] { prompt, tokens, temperature, topK, topP, seed }) command.Options.Add(o);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            var dir = RunDirectory.Open(r.GetValue(run)!);
            var config = dir.ReadConfig();
            using var model = dir.LoadModel(Devices.Resolve(config.Training.Device));
            long[] start;
            string? expected = null;
            if (r.GetValue(prompt) is string text)
            {
                try { start = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(t => long.Parse(t, CultureInfo.InvariantCulture)).ToArray(); }
                catch (FormatException) { throw new ToolkitException($"--prompt \"{text}\" is not a list of token ids", "give numbers separated by spaces, e.g. --prompt \"3 7 1 3\""); }
            }
            else
            {
                // A held-out sequence of the run's own task, cut in half: the rest is what the rule predicts.
                var example = Toolkit.Tasks.Sampling.examples(config.Task.Create(), Data.Seeds.Derive(config.Training.Seed, Data.Seeds.Stream.Eval), 1)[0];
                var half = example.Tokens.Length / 2;
                start = example.Tokens.Take(half).Select(t => (long)t).ToArray();
                expected = string.Join(' ', example.Tokens.Skip(half).Take(r.GetValue(tokens)));
            }
            var settings = new SamplingSettings { Temperature = r.GetValue(temperature), TopK = r.GetValue(topK), TopP = r.GetValue(topP), Seed = r.GetValue(seed) };
            var generated = TokenSampler.Continue(model, [start], r.GetValue(tokens), settings)[0];
            Console.WriteLine($"prompt:    {string.Join(' ', start)}");
            Console.WriteLine($"generated: {string.Join(' ', generated)}");
            if (expected is not null) Console.WriteLine($"the task:  {expected}");
            return 0;
        }));
        return command;
    }
}
