using System.CommandLine;
using Toolkit.Interop;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit import model.safetensors --config cfg.json --out runs/NAME [--task ...]</c>: a TransformerLens
/// model (state dict + HookedTransformerConfig) becomes a run that every command opens (docs/design.md §3).</summary>
public static class ImportCommand
{
    public static Command Create()
    {
        var weights = new Argument<string>("weights") { Description = "the model's state_dict as safetensors (TransformerLens names: embed.W_E, blocks.0.attn.W_Q, ...)" };
        var config = new Option<string?>("--config") { Description = "its HookedTransformerConfig as JSON (cfg.json)" };
        var output = new Option<string?>("--out") { Description = "run directory to create, e.g. runs/NAME" };
        var task = new TaskOptions();
        var command = new Command("import", "Import a TransformerLens model (safetensors state dict + cfg.json) as a run: probe, analyze, heads, lens and report then work on it.");
        command.Arguments.Add(weights);
        command.Options.Add(config);
        command.Options.Add(output);
        task.AddTo(command);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            var cfg = r.GetValue(config) ?? throw new ToolkitException("no config given", "add --config cfg.json (json.dump(model.cfg.to_dict(), f, default=str))");
            var outPath = r.GetValue(output) ?? throw new ToolkitException("no run directory given", "add --out runs/NAME");
            var taskGiven = new Option[] { task.Task, task.Period, task.Start, task.Params }.Any(o => r.GetResult(o) is { Implicit: false });
            var result = TransformerLensImport.Import(r.GetValue(weights)!, cfg, outPath,
                taskGiven ? (model, fallback) => task.Read(r, fallback, model.NCtx, model.DVocab) : null);
            var m = result.Config.Model;
            Console.WriteLine($"imported {outPath}: {m.NLayers} layers, {m.NHeads} heads of d_head {m.HeadDim}, d_model {m.DModel}, d_vocab {m.DVocab}, n_ctx {m.NCtx}, "
                              + (m.AttnOnly ? "attention-only" : $"MLP {m.DMlp} ({m.ActFn.JsonName()})") + $", normalization {m.NormalizationType?.JsonName() ?? "none"}");
            var spec = result.Config.Task;
            Console.WriteLine($"task: {spec.Name} {string.Join(" ", spec.Parameters.Select(kv => $"{kv.Key}={kv.Value}"))}"
                              + (result.PlaceholderTask ? " (a placeholder: the file names no task; give --task to judge the model on the task it was trained on)" : ""));
            foreach (var note in result.Notes) Console.WriteLine($"note: {note}");
            Console.WriteLine($"wrote {Path.Combine(outPath, "config.json")} and {result.CheckpointPath}");
            Console.WriteLine($"next: toolkit probe {outPath}, toolkit analyze {outPath}, toolkit report {outPath}");
            return 0;
        }));
        return command;
    }
}
