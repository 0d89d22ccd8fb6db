using System.Diagnostics;

namespace Toolkit.Tests.Stability;

/// <summary>A run on a read-only file system (issue 26, case 8): resuming it is refused with a hint that works (copy it to
/// a writable place and resume the copy), not one naming --out, which --resume refuses. Uses a small tmpfs remounted
/// read-only, so it needs root; elsewhere it is skipped with the reason.</summary>
[NonParallelizable]
public class ReadOnlyRunTests
{
    private string mount = "", scratch = "";

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

    [SetUp]
    public void Mount()
    {
        scratch = Directory.CreateTempSubdirectory("toolkit-readonly-scratch-").FullName;
        mount = Directory.CreateTempSubdirectory("toolkit-readonly-").FullName;
        if (Run("mount", $"-t tmpfs -o size=16m tmpfs {mount}") != 0)
        {
            mount = "";
            Assert.Ignore("cannot mount a small tmpfs here (needs root): read-only resume not tested");
        }
    }

    [TearDown]
    public void Unmount()
    {
        if (mount != "")
        {
            Run("umount", mount);
            Directory.Delete(mount, recursive: true);
        }
        Directory.Delete(scratch, recursive: true);
    }

    [Test]
    public void Resuming_a_run_in_a_read_only_folder_hints_a_copy_that_resumes()
    {
        var run = Path.Combine(mount, "run");
        var (code, _, err) = CliRunner.InProcess("train", "--period", "3..6", "--n-ctx", "16", "--d-vocab", "16", "--d-model", "16", "--n-heads", "2",
            "--batch-size", "4", "--steps", "4", "--threads", "1", "--eval-every", "2", "--checkpoint-every", "2", "--out", run);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(Run("mount", $"-o remount,ro {mount}"), Is.EqualTo(0), "remount read-only");
        var args = new[] { "train", "--resume", run, "--steps", "6" };
        (code, _, err) = CliRunner.InProcess(args);
        Assert.That(code, Is.EqualTo(2), err);
        CliRunner.AssertTwoLineError(err, "cannot write the run directory");
        Assert.That(HintRunner.HintOf(err), Does.Not.Contain("--out"));
        HintRunner.AssertHintWorks(args, err, run, () => Path.Combine(scratch, $"copy-{Guid.NewGuid():N}"));
    }
}
