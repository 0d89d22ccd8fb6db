using Toolkit.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Runs;

/// <summary>The layout of <c>runs/NAME/</c>: config.json, metrics.csv, checkpoints/step-N/, report.html.</summary>
public sealed class RunDirectory
{
    public string Path { get; }
    public string ConfigPath => System.IO.Path.Combine(Path, "config.json");
    public string MetricsPath => System.IO.Path.Combine(Path, "metrics.csv");
    public string CheckpointsPath => System.IO.Path.Combine(Path, "checkpoints");
    public string ReportPath => System.IO.Path.Combine(Path, "report.html");

    private RunDirectory(string path) => Path = path;

    /// <summary>A run directory to create (it need not exist yet).</summary>
    public static RunDirectory Create(string path) => new(CheckPath(path));

    /// <summary>The path itself, or a clear error when it cannot name a directory at all.</summary>
    public static string CheckPath(string path)
    {
        if (string.IsNullOrWhiteSpace(path) || path.IndexOf('\0') >= 0)
            throw new ToolkitException($"'{path}' is not a run directory path", "name a folder, e.g. runs/NAME");
        return path;
    }

    /// <summary>An existing run, or a clear error naming the runs that do exist.</summary>
    public static RunDirectory Open(string path)
    {
        CheckPath(path);
        if (!Directory.Exists(path) || !File.Exists(System.IO.Path.Combine(path, "config.json")))
        {
            var parent = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
            var runs = parent is not null && Directory.Exists(parent)
                ? Directory.GetDirectories(parent).Where(d => File.Exists(System.IO.Path.Combine(d, "config.json")))
                    .Select(d => System.IO.Path.GetFileName(d)).OrderBy(n => n).Take(8).ToList()
                : new List<string?>();
            throw new ToolkitException($"no run at {path}",
                runs.Count > 0 ? $"existing runs there: {string.Join(", ", runs)}" : "train one first: toolkit train --out " + path);
        }
        return new RunDirectory(path);
    }

    public RunConfig ReadConfig() => RunConfig.Read(ConfigPath);

    /// <summary>Checkpoint folders, oldest first.</summary>
    public IReadOnlyList<(int Step, string Path)> Checkpoints() =>
        !Directory.Exists(CheckpointsPath) ? Array.Empty<(int, string)>() :
        Directory.GetDirectories(CheckpointsPath, "step-*")
            .Select(d => (Ok: int.TryParse(System.IO.Path.GetFileName(d)["step-".Length..], out var s), Step: s, Path: d))
            .Where(c => c.Ok && File.Exists(System.IO.Path.Combine(c.Path, "model.safetensors")))
            .OrderBy(c => c.Step).Select(c => (c.Step, c.Path)).ToList();

    /// <summary>The newest checkpoint, or an error.</summary>
    public (int Step, string Path) LatestCheckpoint()
    {
        var all = Checkpoints();
        if (all.Count == 0)
            throw new ToolkitException($"run {Path} has no checkpoint yet", $"train it: toolkit train --out {Path}, or resume it with --resume {Path}");
        return all[^1];
    }

    /// <summary>Loads the model of the latest (or a given) checkpoint, in eval mode, on a device.</summary>
    public HookedTransformer LoadModel(Device? device = null, string? checkpoint = null)
    {
        var folder = checkpoint ?? LatestCheckpoint().Path;
        var config = RunConfig.Read(System.IO.Path.Combine(folder, "config.json"));
        var model = new HookedTransformer(config.Model);
        Checkpoint.LoadWeights(System.IO.Path.Combine(folder, "model.safetensors"), model);
        using (var scope = NewDisposeScope())
            if (!model.parameters().All(p => p.isfinite().all().item<bool>()))
            {
                model.Dispose();
                throw new ToolkitException($"the checkpoint {folder} holds weights that are not finite (NaN or infinity)",
                    "the run diverged; analyse an earlier checkpoint, or train again with a lower --lr");
            }
        model.to(device ?? CPU);
        model.eval();
        return model;
    }
}
