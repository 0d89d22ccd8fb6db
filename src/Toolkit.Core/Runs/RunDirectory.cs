using System.Text;
using Toolkit.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Runs;

/// <summary>The layout of <c>runs/NAME/</c>: config.json, metrics.csv, checkpoints/step-N/, report.html, and what proves
/// each file belongs to the run (docs/design.md §6): every read of a checkpoint verifies it first. What a resume may start
/// from, and the command that repairs a damaged run, are in RunRepair.cs.</summary>
public sealed partial class RunDirectory
{
    public string Path { get; }
    public string ConfigPath => System.IO.Path.Combine(Path, "config.json");
    public string MetricsPath => System.IO.Path.Combine(Path, "metrics.csv");
    public string CheckpointsPath => System.IO.Path.Combine(Path, "checkpoints");
    public string ReportPath => System.IO.Path.Combine(Path, "report.html");
    /// <summary>Written when training diverged (exit 3): the step and why. Rerunning the same config would diverge again.</summary>
    public string DivergedPath => System.IO.Path.Combine(Path, "diverged.json");

    private RunDirectory(string path) => Path = path;

    /// <summary>A run directory to create (it need not exist yet).</summary>
    public static RunDirectory Create(string path) => new(CheckPath(path));

    /// <summary>The longest folder name the file system holds, in bytes (NAME_MAX).</summary>
    public const int MaxNameBytes = 255;

    /// <summary>The longest path the operating system takes, in bytes (PATH_MAX less its terminating NUL).</summary>
    public static int MaxPathBytes => OperatingSystem.IsWindows() ? 32766 : OperatingSystem.IsMacOS() ? 1023 : 4095;

    /// <summary>Room kept for the paths a run writes inside its folder (the longest is a checkpoint's temporary folder and
    /// its optimizer.safetensors, 87 bytes).</summary>
    public const int InnerPathBytes = 160;

    /// <summary>The path itself, or a clear error when it cannot name a run directory: empty, a NUL byte, a folder name
    /// longer than the file system holds, or a path so long that the files a run writes inside it would pass the
    /// system's limit. Checked before anything is written.</summary>
    public static string CheckPath(string path, string hint = "use --out runs/NAME (a shorter path)")
    {
        if (string.IsNullOrWhiteSpace(path) || path.IndexOf('\0') >= 0)
            throw new ToolkitException($"'{path}' is not a run directory path", "name a folder, e.g. runs/NAME");
        var full = System.IO.Path.GetFullPath(path);
        var longName = full.Split(System.IO.Path.DirectorySeparatorChar).FirstOrDefault(n => Encoding.UTF8.GetByteCount(n) > MaxNameBytes);
        if (longName is not null)
            throw new ToolkitException($"the folder name '{Shorten(longName)}' is {Encoding.UTF8.GetByteCount(longName)} bytes long; the file system holds at most {MaxNameBytes}", hint);
        var bytes = Encoding.UTF8.GetByteCount(full);
        if (bytes + InnerPathBytes > MaxPathBytes)
            throw new ToolkitException($"the path '{Shorten(full)}' is {bytes} bytes long: with the files a run writes inside it (up to {InnerPathBytes} bytes more) it passes the system's limit of {MaxPathBytes}", hint);
        return path;
    }

    private static string Shorten(string s) => s.Length <= 48 ? s : s[..24] + "…" + s[^16..];

    /// <summary>An existing run, or a clear error naming the runs that do exist.</summary>
    public static RunDirectory Open(string path)
    {
        CheckPath(path, "give the folder of an existing run, e.g. runs/NAME");
        var run = new RunDirectory(path);
        if (Directory.Exists(path) && !File.Exists(run.ConfigPath) && run.Checkpoints().Count > 0)
            throw new ToolkitException($"{run.ConfigPath} is missing", run.RestoreConfigHint(null));
        if (!Directory.Exists(path) || !File.Exists(run.ConfigPath))
        {
            var parent = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
            var runs = parent is not null && Directory.Exists(parent)
                ? Directory.GetDirectories(parent).Where(d => File.Exists(System.IO.Path.Combine(d, "config.json")))
                    .Select(d => System.IO.Path.GetFileName(d)).OrderBy(n => n, StringComparer.Ordinal).Take(8).ToList()
                : new List<string>();
            throw new ToolkitException($"no run at {path}",
                runs.Count > 0 ? $"existing runs there: {string.Join(", ", runs)}" : "train one first: toolkit train --out " + path);
        }
        return run;
    }

    /// <summary>The run's config.json, checked against its checkpoints: a damaged one, or one that agrees with none of the
    /// checkpoints that verify on their own (edited, or copied from another run), is an error whose hint restores it from a
    /// checkpoint. The usual case costs one small read: it agrees with the newest checkpoint's config.json.</summary>
    public RunConfig ReadConfig()
    {
        RunConfig config;
        try { config = RunConfig.Read(ConfigPath); }
        catch (ToolkitException e) { throw new ToolkitException(e.Message, RestoreConfigHint(null)); }
        if (Checkpoints() is { Count: > 0 } all && !Agrees(all[^1].Path, config) && RestoreSource(config) is { } source)
            throw new ToolkitException($"{ConfigPath} describes another run than its checkpoints do (beyond the number of steps)", RestoreConfigHint(source));
        return config;
    }

    private static bool Agrees(string folder, RunConfig config)
    {
        try { return RunConfig.Read(System.IO.Path.Combine(folder, "config.json")).SameRunAs(config); }
        catch (ToolkitException) { return false; }
    }

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
            throw new ToolkitException($"run {Path} has no checkpoint yet", $"train it (from step 0, with its own config): toolkit train --resume {Path}");
        return all[^1];
    }

    /// <summary>The checkpoint saved at <paramref name="step"/>, or an error that lists the steps saved.</summary>
    public (int Step, string Path) CheckpointAt(int step)
    {
        var all = Checkpoints();
        foreach (var c in all)
            if (c.Step == step) return c;
        throw new ToolkitException($"run {Path} has no checkpoint at step {step}",
            all.Count == 0 ? $"train it first: toolkit train --resume {Path}"
            : $"its checkpoints are at steps {string.Join(", ", all.Count <= 12 ? all.Select(c => c.Step.ToString()) : all.Take(5).Select(c => c.Step.ToString()).Append("…").Concat(all.TakeLast(5).Select(c => c.Step.ToString())))}");
    }

    /// <summary>Why a checkpoint cannot be read as this run's (naming the file), or null when it verifies: its manifest
    /// (<see cref="Checkpoint.Problem"/>), then its config.json against the run's (the same run, steps aside).</summary>
    public string? CheckpointProblem(RunConfig config, int step, string folder)
    {
        if (Checkpoint.Problem(folder, step, config.RunId) is { } problem) return problem;
        var path = System.IO.Path.Combine(folder, "config.json");
        RunConfig saved;
        try { saved = RunConfig.Read(path); }
        catch (ToolkitException e) { return e.Message; }
        return saved.SameRunAs(config) ? null : $"{ConfigPath} and {path} describe different runs (beyond the number of steps)";
    }

    /// <summary>The newest checkpoint, verified as <see cref="LoadModel"/> verifies it (for readers of results saved from it,
    /// which do not load the weights): a checkpoint that does not verify is an error naming the file, whose hint repairs the run.</summary>
    public (int Step, string Path) VerifiedLatestCheckpoint()
    {
        var latest = LatestCheckpoint();
        Verify(ReadConfig(), latest.Step, latest.Path);
        return latest;
    }

    private void Verify(RunConfig config, int step, string folder)
    {
        if (CheckpointProblem(config, step, folder) is { } problem)
            throw new ToolkitException(problem, RepairHint(config, step));
    }

    /// <summary>Loads the model of the latest (or a given) checkpoint, in eval mode, on a device, after verifying the checkpoint:
    /// a checkpoint that does not verify, or holds weights that are not finite, is an error naming the file, whose hint repairs the run.</summary>
    public HookedTransformer LoadModel(Device? device = null, string? checkpoint = null)
    {
        var config = ReadConfig();
        var (step, folder) = checkpoint is null ? LatestCheckpoint() : (StepOf(checkpoint), checkpoint);
        Verify(config, step, folder);
        var saved = RunConfig.Read(System.IO.Path.Combine(folder, "config.json"));
        var model = new HookedTransformer(saved.Model);
        try { Checkpoint.LoadWeights(System.IO.Path.Combine(folder, "model.safetensors"), model); }
        catch (ToolkitException e)
        {
            model.Dispose();
            throw new ToolkitException(e.Message, RepairHint(config, step));
        }
        model.to(device ?? CPU);
        model.eval();
        return model;
    }

    private static int StepOf(string folder) =>
        int.TryParse(System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(folder))["step-".Length..], out var s) ? s : -1;

    /// <summary>metrics.csv checked (null when the run has none): every line well-formed, and its beginning as the newest
    /// checkpoint's manifest recorded it. Damage is an error naming the file (and the line), whose hint rewrites it
    /// (<see cref="RepairHint"/>).</summary>
    public MetricsFile? ReadMetrics(RunConfig config)
    {
        if (!File.Exists(MetricsPath)) return null;
        var file = MetricsFile.Read(MetricsPath, MetricsLog.HeaderOf(config.Model.NLayers, config.Model.NHeads));
        var damage = file.DamageMessage ?? RowsProblem(file, config);
        if (damage is not null) throw new ToolkitException(damage, RepairHint(config, null));
        return file;
    }

    /// <summary>Whether metrics.csv still holds the rows the newest checkpoint was written after: byte for byte by its
    /// manifest's digest, or (a checkpoint made before manifests) row by row. Null when they are, or nothing can tell.</summary>
    private string? RowsProblem(MetricsFile file, RunConfig config)
    {
        if (Checkpoints() is not { Count: > 0 } all) return null;
        var (step, folder) = all[^1];
        var problem = CheckpointManifest.CheckMetrics(folder, MetricsPath, config.RunId, out var compared);
        if (compared || File.Exists(System.IO.Path.Combine(folder, CheckpointManifest.FileName))) return problem;
        try { return file.ProblemThrough(step, Checkpoint.ReadState(folder, step).IntervalSteps); }
        catch (ToolkitException) { return null; } // no readable state (an imported model, or damage the checkpoint's own check names)
    }
}
