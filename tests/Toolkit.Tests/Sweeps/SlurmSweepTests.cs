using Toolkit.Runs;
using System.Diagnostics;
using Toolkit.Reports;
using Toolkit.Sweeps;

namespace Toolkit.Tests.Sweeps;

/// <summary>A two-run sweep through a real single-node Slurm started here (tests/slurm/start-local-slurm.sh:
/// Debian's munge, slurmctld and slurmd, installed on first use): submitted by <c>toolkit sweep --slurm</c>,
/// trained by array tasks, then collected. Ignored, naming the reason, only where Slurm cannot be installed or started.</summary>
[NonParallelizable]
[Category("Slurm")]
public class SlurmSweepTests
{
    private string root = "", state = "", scripts = "";
    private string? previousConf;
    private bool started;

    private static (int Code, string Output) Bash(string script, string arg, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(arg);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            return (-1, $"{Path.GetFileName(script)} did not finish within {timeout.TotalSeconds:F0} s");
        }
        return (p.ExitCode, output.Result + err.Result);
    }

    [OneTimeSetUp]
    public void StartSlurm()
    {
        root = Directory.CreateTempSubdirectory("toolkit-slurm-").FullName;
        state = Path.Combine(root, "slurm");
        scripts = Path.Combine(Repository.Root(), "tests", "slurm");
        // The first run may install the packages (a few minutes); afterwards starting takes about a second.
        var (code, output) = Bash(Path.Combine(scripts, "start-local-slurm.sh"), state, TimeSpan.FromMinutes(8));
        started = true; // whatever happened, stop what may have started
        var reason = output.Trim().Split('\n').LastOrDefault() ?? "";
        if (code is 10 or 11 or -1)
            Assert.Ignore($"no local Slurm for this test: {reason}");
        Assert.That(code, Is.EqualTo(0), output);
        previousConf = Environment.GetEnvironmentVariable("SLURM_CONF");
        Environment.SetEnvironmentVariable("SLURM_CONF", Path.Combine(state, "slurm.conf")); // sbatch, squeue and the jobs read it
    }

    [OneTimeTearDown]
    public void StopSlurm()
    {
        if (started) Bash(Path.Combine(scripts, "stop-local-slurm.sh"), state, TimeSpan.FromSeconds(60));
        Environment.SetEnvironmentVariable("SLURM_CONF", previousConf);
        try { Directory.Delete(root, recursive: true); } catch (IOException) { }
    }

    [Test]
    public void A_two_run_array_job_trains_both_runs_and_collect_sees_them()
    {
        var grid = Path.Combine(root, "grid.json");
        File.WriteAllText(grid, LocalSweepTests.TinyGrid);
        var sweep = Path.Combine(root, "shared");
        var clock = Stopwatch.StartNew();
        var (code, output, err) = CliRunner.InProcess("sweep", grid, "--out", sweep, "--slurm", "--cpus-per-task", "1", "--time", "0:05:00");
        Assert.That(code, Is.EqualTo(0), err + output);
        Assert.That(output, Does.Match("submitted Slurm job [0-9]+: 2 array tasks"));
        Assert.That(File.ReadAllText(Path.Combine(sweep, "sweep.sbatch")), Does.Contain("#SBATCH --array=0-1\n"));

        // Wait for both runs (the array tasks write into the shared directory).
        var plan = SweepPlan.Open(sweep);
        while (plan.Runs.Any(r => plan.StateOf(r).State != RunState.Complete) && clock.Elapsed < TimeSpan.FromSeconds(75))
            Thread.Sleep(500);
        var logs = string.Join("\n", Directory.GetFiles(Path.Combine(sweep, "logs")).Select(f => $"--- {f}\n{File.ReadAllText(f)}"));
        Assert.That(plan.Runs.Select(r => plan.StateOf(r).State), Is.All.EqualTo(RunState.Complete), $"after {clock.Elapsed.TotalSeconds:F0} s; logs:\n{logs}");
        Assert.That(Directory.GetFiles(Path.Combine(sweep, "logs"), "slurm-*_*.out"), Has.Length.EqualTo(2), "one Slurm output per array task");
        TestContext.Out.WriteLine($"both array tasks done after {clock.Elapsed.TotalSeconds:F1} s");

        var (collectCode, table, collectErr) = CliRunner.InProcess("collect", sweep, "--sequences", "64");
        Assert.That(collectCode, Is.EqualTo(0), collectErr);
        Assert.That(table, Does.Contain("2 runs, 2 complete"));
        Assert.That(CsvFrame.Read(Path.Combine(sweep, "collect.csv")).RowCount, Is.EqualTo(2));
    }
}
