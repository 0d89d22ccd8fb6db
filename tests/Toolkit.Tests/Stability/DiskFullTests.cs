using System.Diagnostics;
using Toolkit.Runs;

namespace Toolkit.Tests.Stability;

/// <summary>A disk that fills up: during checkpoints (a clear error, the previous checkpoint intact)
/// and during report.html (a finished training is not a failure: a warning, exit 0). Uses a small
/// tmpfs, so it needs root; elsewhere it is skipped with the reason.</summary>
[NonParallelizable]
public class DiskFullTests
{
    private string mount = "";

    private static int Run(string file, string args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            p.WaitForExit();
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception) { return -1; }
    }

    private void Mount(string size)
    {
        mount = Directory.CreateTempSubdirectory("toolkit-full-").FullName;
        if (Run("mount", $"-t tmpfs -o size={size} tmpfs {mount}") != 0)
            Assert.Ignore("cannot mount a small tmpfs here (needs root): disk-full behaviour not tested");
    }

    [TearDown]
    public void Unmount()
    {
        if (mount == "") return;
        Run("umount", mount);
        Directory.Delete(mount, recursive: true);
        mount = "";
    }

    private static (int Code, string Err) Invoke(params string[] args)
    {
        var (code, _, err) = CliRunner.InProcess(args);
        return (code, err);
    }

    private static readonly string[] Tiny = { "--period", "3..6", "--n-ctx", "16", "--d-vocab", "16", "--d-model", "16", "--n-heads", "2", "--batch-size", "4", "--threads", "1" };

    [Test]
    public void A_disk_that_fills_during_checkpoints_gives_the_two_line_error_and_keeps_the_last_checkpoint()
    {
        Mount("160k");
        var run = Path.Combine(mount, "run");
        var (code, err) = Invoke(Tiny.Concat(new[] { "--steps", "400", "--eval-every", "400", "--checkpoint-every", "1", "--out", run }).Prepend("train").ToArray());
        Assert.That(code, Is.EqualTo(2), err);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("train", StringComparison.Ordinal)).ToArray();
        Assert.That(lines, Has.Length.EqualTo(2), err);
        Assert.That(lines[0], Does.StartWith("error: ").And.Contain("No space left"));
        using var model = RunDirectory.Open(run).LoadModel(); // the newest complete checkpoint still loads
        Assert.That(Directory.GetDirectories(Path.Combine(run, "checkpoints"), ".step-*"), Is.Empty, "no half-written checkpoint left behind");
    }

    [Test]
    public void A_disk_too_full_for_the_report_only_warns_after_a_finished_training()
    {
        Mount("1m"); // the run fits; report.html (plotly.js inlined, about 4 MB) does not
        var run = Path.Combine(mount, "run");
        var (code, err) = Invoke(Tiny.Concat(new[] { "--steps", "4", "--eval-every", "2", "--checkpoint-every", "0", "--out", run }).Prepend("train").ToArray());
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(err, Does.Contain("warning: the training finished, but its report could not be written"));
        Assert.That(RunDirectory.Open(run).LatestCheckpoint().Step, Is.EqualTo(4));
    }
}
