using Toolkit.Model;
using Toolkit.Reports;
using Toolkit.Runs;
using Toolkit.Sweeps;
using Toolkit.Training;
using static TorchSharp.torch;

namespace Toolkit.Tests.Sweeps;

/// <summary>True, distinct run states (issue 26, cases 5 and 6): collect judges every run it can and names the damaged
/// ones (exit 2, with a hint that repairs them); a damaged final checkpoint is never "complete (skip)"; a diverged run is
/// reported, not retried; a run that a live process trains is "running", never "interrupted" or "failed".</summary>
[NonParallelizable]
public class SweepStateTests
{
    /// <summary>Two runs (n_layers 1 and 2) of 4 steps, checkpoints every 2.</summary>
    private const string Grid = """
        {"task": "repeated-copy", "parameters": {"period": ["3..6"]},
         "model": {"n_ctx": [16], "d_vocab": [16], "d_model": [16], "n_heads": [2], "n_layers": [1, 2]},
         "training": {"steps": [4], "batch_size": [8], "warmup_steps": [1], "eval_every": [2], "checkpoint_every": [2], "eval_sequences": [16]},
         "seeds": [3]}
        """;

    private string root = "", grid = "", trained = "";

    [OneTimeSetUp]
    public void TrainSweep()
    {
        root = Directory.CreateTempSubdirectory("toolkit-sweep-states-").FullName;
        grid = Path.Combine(root, "grid.json");
        File.WriteAllText(grid, Grid);
        trained = Path.Combine(root, "trained");
        SweepPlan.Of(SweepGrid.Read(grid), trained).Save(1);
        for (var i = 0; i < 2; i++)
        {
            var (code, _, err) = CliRunner.InProcess("train", "--sweep", trained, "--index", i.ToString(), "--threads", "1");
            Assert.That(code, Is.EqualTo(0), err);
        }
    }

    [OneTimeTearDown]
    public void CleanUp() => Directory.Delete(root, recursive: true);

    /// <summary>A copy of the trained sweep, and the folders of its two runs.</summary>
    private (string Dir, string Run0, string Run1) Copy(string name)
    {
        var dir = Path.Combine(root, $"{name}-{Guid.NewGuid():N}");
        RunFixtures.Copy(trained, dir);
        var plan = SweepPlan.Open(dir);
        return (dir, plan.PathOf(plan.Runs[0]), plan.PathOf(plan.Runs[1]));
    }

    private static (int Code, string Out, string Err) Collect(string dir) => CliRunner.InProcess("collect", dir, "--sequences", "16");

    private string Fresh() => Path.Combine(root, $"fresh-{Guid.NewGuid():N}");

    [Test]
    public void Case5_collect_judges_every_run_it_can_when_one_config_json_is_truncated()
    {
        var (dir, run0, run1) = Copy("truncated-config");
        var config = Path.Combine(run1, "config.json");
        File.WriteAllText(config, File.ReadAllText(config)[..100]);
        var (code, output, err) = Collect(dir);
        Assert.That(code, Is.EqualTo(2), err);
        Assert.That(err, Does.Contain("1 of 2 runs is damaged").And.Contain(config));
        var frame = CsvFrame.Read(Path.Combine(dir, "collect.csv"));
        Assert.That(frame.GetColumn<string>("state").Values, Is.EqualTo(new[] { "complete", "damaged" }));
        Assert.That(frame.GetColumn<string>("verdict").Values.First(), Is.Not.EqualTo("damaged").And.Not.EqualTo("incomplete"), "the sound run is judged");
        Assert.That(output, Does.Contain("1 complete (1 damaged)"));
        HintRunner.AssertHintWorks(["collect", dir, "--sequences", "16"], err, run1, Fresh);
    }

    [Test]
    public void Case5_a_truncated_final_model_is_damaged_in_dry_run_and_collect_and_a_rerun_repairs_it()
    {
        var (dir, run0, _) = Copy("truncated-model");
        var model = Path.Combine(run0, "checkpoints", "step-4", "model.safetensors");
        File.WriteAllBytes(model, File.ReadAllBytes(model)[..1000]);
        var (code, dry, err) = CliRunner.InProcess("sweep", grid, "--out", dir, "--dry-run");
        Assert.That(code, Is.EqualTo(0), err);
        var line = dry.Split('\n').Single(l => l.Contains("n_layers=1_seed=3", StringComparison.Ordinal));
        Assert.That(line, Does.Contain("damaged").And.Contain("resume").And.Not.Contain("skip"));
        Assert.That(dry, Does.Contain("would train 0, resume 1, skip 1"));
        (code, _, err) = Collect(dir);
        Assert.That(code, Is.EqualTo(2), err);
        Assert.That(err, Does.Contain(model));
        HintRunner.AssertHintWorks(["collect", dir, "--sequences", "16"], err, run0, Fresh);
    }

    [Test]
    public void Case6_a_diverged_run_is_diverged_in_collect_and_dry_run_and_not_retried()
    {
        var (dir, _, run1) = Copy("diverged");
        Directory.Delete(run1, recursive: true);
        // Finite weights so large that the first step's loss is not finite: a real divergence at step 1.
        var plan = SweepPlan.Open(dir);
        var init = Path.Combine(root, $"huge-{Guid.NewGuid():N}");
        Directory.CreateDirectory(init);
        using (var huge = new HookedTransformer(plan.Runs[1].Config.Model))
        {
            using (no_grad())
                foreach (var p in huge.parameters()) p.fill_(1e30);
            Checkpoint.SaveWeights(Path.Combine(init, "model.safetensors"), huge, plan.Runs[1].Config);
        }
        Assert.Throws<TrainingDivergedException>(() => Trainer.Train(plan.Runs[1].Config with { InitFrom = init, Training = plan.Runs[1].Config.Training with { Threads = 1 } }, run1));

        var (code, output, err) = Collect(dir);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("1 diverged").And.Not.Contain("interrupted"));
        (code, var dry, err) = CliRunner.InProcess("sweep", grid, "--out", dir, "--dry-run");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(dry.Split('\n').Single(l => l.Contains("n_layers=2_seed=3", StringComparison.Ordinal)), Does.Contain("diverged").And.Not.Contain("resume"));
        var metrics = File.ReadAllText(Path.Combine(run1, "metrics.csv"));
        (code, _, err) = CliRunner.InProcess("train", "--sweep", dir, "--index", "1", "--threads", "1");
        Assert.That(code, Is.EqualTo(3), err);
        Assert.That(err, Does.Contain("not retried"));
        Assert.That(File.ReadAllText(Path.Combine(run1, "metrics.csv")), Is.EqualTo(metrics), "nothing trained again");
    }

    [Test]
    public void Case6_a_run_a_live_process_trains_is_running_in_collect_and_left_alone_by_a_rerun()
    {
        var (dir, run0, _) = Copy("running");
        Directory.Delete(Path.Combine(run0, "checkpoints", "step-4"), recursive: true);
        using (RunLock.Acquire(run0)) // held by this (live) process, as by a sweep child whose parent was killed
        {
            var (code, output, err) = Collect(dir);
            Assert.That(code, Is.EqualTo(0), err);
            Assert.That(output, Does.Contain("1 running").And.Not.Contain("interrupted"));
            (code, output, err) = CliRunner.InProcess("sweep", grid, "--out", dir);
            Assert.That(code, Is.EqualTo(0), err + output);
            Assert.That(output, Does.Contain("0 failed").And.Contain("1 running elsewhere"));
        }
    }
}
