using System.Diagnostics;
using Toolkit.Cli;

namespace Toolkit.Tests;

/// <summary>The command line: bad input is one clear line and exit code 2; runs are reproducible across processes.</summary>
public class CliTests
{
    [TestCase("train --period 6..40 --out runs/x", "does not fit context 64", TestName = "Period that does not fit the context")]
    [TestCase("train --d-model 30 --n-heads 4 --out runs/x", "not divisible", TestName = "d_model not divisible by heads")]
    [TestCase("train --task no-such-task --out runs/x", "unknown task", TestName = "Unknown task")]
    [TestCase("heads runs/does-not-exist", "no run at", TestName = "Missing run directory")]
    [TestCase("train --steps 0 --out runs/x", "steps 0", TestName = "Zero steps")]
    [TestCase("train --device tpu --out runs/x", "--device: Argument 'tpu' not recognized. Must be one of: 'auto' 'cpu' 'cuda'", TestName = "Unknown device")]
    [TestCase("train --stpes 10", "unknown option '--stpes' for toolkit train", TestName = "Misspelt option")]
    [TestCase("train --layers 2 --out runs/x", "option '--layers' of toolkit train is now named after its config.json key", TestName = "Option renamed to its config key")]
    public void Bad_input_gives_one_error_line_a_hint_and_exit_code_2(string args, string expected)
    {
        var (code, _, err) = CliRunner.InProcess(args.Split(' '));
        Assert.That(code, Is.EqualTo(2));
        CliRunner.AssertTwoLineError(err, expected);
    }

    [Test]
    public void Same_seed_and_threads_give_identical_losses_in_two_processes()
    {
        var root = Directory.CreateTempSubdirectory("toolkit-det-").FullName;
        try
        {
            string Train(string name)
            {
                var dir = Path.Combine(root, name);
                var psi = new ProcessStartInfo("dotnet", $"\"{Path.Combine(AppContext.BaseDirectory, "toolkit.dll")}\" train --period 4..9 --n-ctx 24 --d-vocab 24 --d-model 32 --steps 25 --batch-size 16 --threads 2 --seed 3 --eval-every 5 --out \"{dir}\"")
                { RedirectStandardOutput = true, RedirectStandardError = true };
                using var p = Process.Start(psi)!;
                var stderr = p.StandardError.ReadToEndAsync();
                p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                Assert.That(p.ExitCode, Is.EqualTo(0), stderr.Result);
                // Loss and evaluation columns (the provenance timestamp legitimately differs).
                return File.ReadAllText(Path.Combine(dir, "metrics.csv"));
            }
            var a = Train("a");
            var b = Train("b");
            Assert.That(a.Split('\n').Length, Is.GreaterThan(5));
            Assert.That(b, Is.EqualTo(a));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
