using System.CommandLine;
using System.Globalization;
using Toolkit.Generation;
using Toolkit.Runs;
using Toolkit.Tasks;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit sample RUN --prompt "..."</c>: continue token sequences with the run's model.</summary>
public static class SampleCommand
{
    public static Command Create()
    {
        var run = new RunInput();
        var prompt = new Option<string?>("--prompt") { Description = "token ids separated by spaces, or raw text for a text model (default: half of one of the task's own held-out sequences)" };
        var tokens = new Option<int>("--max-tokens") { Description = "tokens to generate", DefaultValueFactory = _ => 20 };
        tokens.Aliases.Add("--tokens");
        var strategy = new Option<string>("--strategy") { Description = "greedy, temperature, top-k, top-p or beam", DefaultValueFactory = _ => "greedy" };
        var temperature = new Option<double>("--temperature") { Description = "softmax temperature of the sampled strategies", DefaultValueFactory = _ => 1.0 };
        var topK = new Option<int>("--k") { Description = "top-k: draw only from the k most likely tokens", DefaultValueFactory = _ => 5 };
        var topP = new Option<double>("--p") { Description = "top-p: draw only from the smallest set reaching this probability", DefaultValueFactory = _ => 0.9 };
        var beams = new Option<int>("--beams") { Description = "beam: continuations kept at every step", DefaultValueFactory = _ => 4 };
        var seed = new Option<ulong>("--seed") { Description = "random seed of the draws", DefaultValueFactory = _ => 0UL };
        var command = new Command("sample", "Continue a prompt with the run's model (greedy, temperature, top-k, top-p or beam search).");
        run.AddTo(command);
        foreach (var o in new Option[] { prompt, tokens, strategy, temperature, topK, topP, beams, seed }) command.Options.Add(o);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            var opened = run.Open(r);
            var config = opened.Config;
            var task = config.Task.Create();
            var tokenizer = task is TextTask text ? text.Tokenizer : null;
            using var model = opened.LoadModel();
            long[] start;
            string? expected = null;
            var count = r.GetValue(tokens);
            if (r.GetValue(prompt) is string given)
            {
                if (tokenizer is not null) start = tokenizer.Encode(given).Select(t => (long)t).ToArray();
                else
                    try { start = given.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(t => long.Parse(t, CultureInfo.InvariantCulture)).ToArray(); }
                    catch (FormatException) { throw new ToolkitException($"--prompt \"{given}\" is not a list of token ids", "give numbers separated by spaces, e.g. --prompt \"3 7 1 3\""); }
            }
            else
            {
                // A held-out sequence of the run's own task, cut in half: the rest is what the rule predicts.
                var example = Sampling.examples(task, Data.Seeds.Derive(config.Training.Seed, Data.Seeds.Stream.Eval), 1)[0];
                var half = example.Tokens.Length / 2;
                start = example.Tokens.Take(half).Select(t => (long)t).ToArray();
                expected = Show(example.Tokens.Skip(half).Take(count).Select(t => (long)t).ToArray());
            }
            var settings = r.GetValue(strategy) switch
            {
                "greedy" or "beam" => new SamplingSettings { Temperature = 0 },
                "temperature" => new SamplingSettings { Temperature = r.GetValue(temperature) },
                "top-k" => new SamplingSettings { Temperature = r.GetValue(temperature), TopK = r.GetValue(topK) },
                "top-p" => new SamplingSettings { Temperature = r.GetValue(temperature), TopP = r.GetValue(topP) },
                var other => throw new ToolkitException($"--strategy {other} is unknown", "use greedy, temperature, top-k, top-p or beam"),
            } with { Seed = r.GetValue(seed) };
            var generated = r.GetValue(strategy) == "beam"
                ? TokenSampler.Beam(model, start, count, r.GetValue(beams))
                : TokenSampler.Continue(model, [start], count, settings)[0];
            Console.WriteLine($"prompt:    {Show(start)}");
            Console.WriteLine($"generated: {Show(generated)}");
            if (expected is not null) Console.WriteLine($"the task:  {expected}");
            return 0;

            string Show(long[] ids) => tokenizer is null ? string.Join(' ', ids) : tokenizer.Decode(ids.Select(t => (int)t).ToArray());
        }));
        return command;
    }
}
