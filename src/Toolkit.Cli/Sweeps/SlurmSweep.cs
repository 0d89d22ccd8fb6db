using System.Diagnostics;
using System.Text;
using Toolkit.Sweeps;

namespace Toolkit.Cli.Sweeps;

/// <summary>Slurm settings of a sweep (each null when not given: Slurm's defaults apply).</summary>
public sealed record SlurmOptions(string? Partition, string? Time, int? CpusPerTask, string? Gres);

/// <summary>A sweep as one Slurm job array: array task i runs <c>toolkit train --sweep DIR --index i</c> with the
/// built toolkit.dll (no rebuild per task), so a complete run is skipped and an interrupted one resumed, and
/// every result lands in the shared sweep directory.</summary>
public static class SlurmSweep
{
    /// <summary>The batch script's file name inside the sweep directory.</summary>
    public const string ScriptName = "sweep.sbatch";

    /// <summary>The batch script of a sweep.</summary>
    public static string Script(SweepPlan plan, SlurmOptions options)
    {
        var dir = Path.GetFullPath(plan.Directory);
        var sb = new StringBuilder("#!/bin/bash\n");
        sb.Append($"# toolkit sweep: {plan.Runs.Count} runs of {Path.Combine(dir, SweepPlan.FileName)}, one array task each.\n");
        sb.Append("# Written by `toolkit sweep --slurm`; submit again with sbatch to finish what is left (complete runs are skipped).\n");
        sb.Append($"#SBATCH --job-name={Sanitize("toolkit-sweep-" + Path.GetFileName(dir.TrimEnd('/')))}\n");
        sb.Append($"#SBATCH --array=0-{plan.Runs.Count - 1}\n");
        sb.Append($"#SBATCH --output={Path.Combine(dir, "logs", "slurm-%A_%a.out")}\n");
        if (options.Partition is { } p) sb.Append($"#SBATCH --partition={p}\n");
        if (options.Time is { } t) sb.Append($"#SBATCH --time={t}\n");
        if (options.CpusPerTask is { } c) sb.Append($"#SBATCH --cpus-per-task={c}\n");
        if (options.Gres is { } g) sb.Append($"#SBATCH --gres={g}\n");
        sb.Append("set -euo pipefail\n");
        sb.Append("# Threads follow the CPUs Slurm gives the task (results depend on threads; each run records them).\n");
        var args = ToolkitProgram.TrainArgs(dir, "\"$SLURM_ARRAY_TASK_ID\"", $"\"${{SLURM_CPUS_PER_TASK:-{options.CpusPerTask ?? 1}}}\"");
        sb.Append("exec ").Append(Quote(ToolkitProcess.Dotnet));
        foreach (var a in args) sb.Append(' ').Append(a.StartsWith('"') ? a : Quote(a));
        sb.Append('\n');
        return sb.ToString();
    }

    /// <summary>Writes DIR/sweep.sbatch and submits it with <c>sbatch --parsable</c>; returns the job id.</summary>
    public static string Submit(SweepPlan plan, SlurmOptions options)
    {
        Directory.CreateDirectory(Path.Combine(plan.Directory, "logs")); // Slurm does not create the output folder
        var script = Path.Combine(Path.GetFullPath(plan.Directory), ScriptName);
        File.WriteAllText(script, Script(plan, options));
        var psi = new ProcessStartInfo("sbatch") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("--parsable");
        psi.ArgumentList.Add(script);
        Process process;
        try { process = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new ToolkitException("sbatch was not found: Slurm's client commands are not on PATH",
                $"run this on a Slurm login node, or see the job script with --dry-run (written to {script})");
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new ToolkitException($"sbatch refused the job: {stderr.Result.Trim().Split('\n')[0]}",
                    $"check --partition, --time, --cpus-per-task and --gres against sinfo; the script is {script}");
            return stdout.Split(';')[0]; // --parsable prints "jobid" or "jobid;cluster"
        }
    }

    /// <summary>A word for a shell, single-quoted when it holds anything but safe characters.</summary>
    private static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "/._-+=:,@".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";

    private static string Sanitize(string s) => new(s.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-').ToArray());
}
