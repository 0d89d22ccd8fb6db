using System.CommandLine;
using Toolkit.Interop;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit export runs/NAME --out DIR [--step N]</c>: a run's checkpoint in TransformerLens's format
/// (model.safetensors + config.json), the format <c>toolkit import</c> reads.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run") { Description = "run directory, e.g. runs/NAME" };
        var output = new Option<string?>("--out") { Description = "folder for model.safetensors and config.json" };
        var step = new Option<int?>("--step") { Description = "the checkpoint after this many steps (default: the latest)" };
        var command = new Command("export", "Export a run's checkpoint for TransformerLens: model.safetensors (state dict) and config.json (HookedTransformerConfig).");
        command.Arguments.Add(run);
        command.Options.Add(output);
        command.Options.Add(step);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            var outDir = r.GetValue(output) ?? throw new ToolkitException("no output folder given", "add --out DIR");
            var result = TransformerLensExport.Export(r.GetValue(run)!, outDir, r.GetValue(step));
            Console.WriteLine($"exported step {result.Step}: wrote {result.WeightsPath} and {result.ConfigPath}");
            foreach (var note in result.Notes) Console.WriteLine($"note: {note}");
            return 0;
        }));
        return command;
    }
}
