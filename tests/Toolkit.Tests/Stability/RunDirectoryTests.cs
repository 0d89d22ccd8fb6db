using System.Diagnostics;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Training;
using static TorchSharp.torch;

namespace Toolkit.Tests.Stability;

/// <summary>A run directory never lies: one writer at a time, no non-finite checkpoint, nothing
/// written before the input is checked, resume reproduces every row, signals save and stop.</summary>
[NonParallelizable]
public class RunDirectoryTests
{
    private string dir = "";

    [SetUp]
    public void SetUp() => dir = Directory.CreateTempSubdirectory("toolkit-rundir-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(dir, recursive: true);

    private static RunConfig Tiny(int steps, int checkpointEvery = 0, int logEvery = 1, int evalEvery = 10) => new()
    {
        Model = new ModelConfig { NLayers = 2, NHeads = 2, DModel = 16, DVocab = 16, NCtx = 16, EmbedDropout = 0.1, AttnDropout = 0.1, ResidDropout = 0.1 },
        Training = new TrainingConfig { Steps = steps, BatchSize = 8, LearningRate = 3e-3, WarmupSteps = 5, Seed = 7, Threads = 1, LogEvery = logEvery, EvalEvery = evalEvery, EvalSequences = 16, CheckpointEvery = checkpointEvery },
        Task = new TaskSpec { Name = "repeated-copy", Parameters = new() { ["period"] = "3..6", ["context"] = "16", ["vocab"] = "16" } },
    };

    private sealed class Notices : ITrainingObserver
    {
        public readonly List<string> Messages = new();
        public void OnNotice(string message) => Messages.Add(message);
    }

    [Test]
    public void A_second_writer_is_refused_with_the_holder_named()
    {
        var run = Path.Combine(dir, "run");
        var first = Task.Run(() => Trainer.Train(Tiny(400), run));
        var lockFile = RunLock.PathOf(run);
        var waited = Stopwatch.StartNew();
        try
        {
            while (!File.Exists(lockFile) && !first.IsCompleted && waited.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(1);
            Assert.That(File.Exists(lockFile), "the first trainer must hold the lock while it trains");
            var e = Assert.Throws<ToolkitException>(() => Trainer.Train(Tiny(5), run))!;
            Assert.That(e.Message, Does.Contain($"in use by process {Environment.ProcessId}"));
        }
        finally
        {
            // A failed assertion must not leave the first trainer running into the next test: it
            // shares torch's global generator and would change that test's numbers.
            first.Wait();
        }
        Assert.That(first.Result.Steps, Is.EqualTo(400));
        Assert.That(File.Exists(lockFile), Is.False, "the lock goes with the writer");
    }

    [Test]
    public void Racing_writers_get_one_lock_and_every_loser_reads_the_holder()
    {
        // The lock used to exist for a moment before its content did; a loser that read it then
        // named process "?". Race many takers at once, many times.
        for (var round = 0; round < 50; round++)
        {
            var run = Path.Combine(dir, $"race-{round}");
            using var start = new Barrier(4);
            var outcomes = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            {
                start.SignalAndWait();
                try { return (Lock: RunLock.Acquire(run), Error: (string?)null); }
                catch (ToolkitException e) { return (Lock: (RunLock?)null, Error: e.Message); }
            })).ToArray();
            Task.WaitAll(outcomes);
            var results = outcomes.Select(t => t.Result).ToList();
            Assert.That(results.Count(r => r.Lock is not null), Is.EqualTo(1), $"round {round}");
            Assert.That(results.Where(r => r.Error is not null).Select(r => r.Error),
                Has.All.Contain($"in use by process {Environment.ProcessId}"), $"round {round}");
            Assert.That(Directory.GetFiles(run), Has.Length.EqualTo(1), "the run holds the lock file and nothing else");
            foreach (var r in results) r.Lock?.Dispose();
        }
    }

    [Test]
    public void A_stale_lock_of_a_dead_process_is_recovered()
    {
        var run = Path.Combine(dir, "run");
        Directory.CreateDirectory(run);
        File.WriteAllText(RunLock.PathOf(run), $"2147483000\n{Environment.MachineName}\n2026-01-01 00:00:00Z");
        var notices = new Notices();
        Trainer.Train(Tiny(3), run, notices);
        Assert.That(notices.Messages, Has.Some.Contain("stale lock"));
        Assert.That(File.Exists(Path.Combine(run, "metrics.csv")));
    }

    /// <summary>A checkpoint folder whose weights all equal <paramref name="value"/>.</summary>
    private string FilledCheckpoint(double value)
    {
        var folder = Path.Combine(dir, $"init-{value}");
        Directory.CreateDirectory(folder);
        var config = Tiny(1);
        using var model = new HookedTransformer(config.Model);
        using (no_grad())
            foreach (var p in model.parameters()) p.fill_(value);
        Checkpoint.SaveWeights(Path.Combine(folder, "model.safetensors"), model, config);
        return folder;
    }

    [Test]
    public void A_non_finite_loss_stops_training_at_once_with_exit_code_3_and_saves_nothing()
    {
        // Finite weights so large that the first forward pass overflows: the loss is not finite at step 1.
        var run = Path.Combine(dir, "run");
        var e = Assert.Throws<TrainingDivergedException>(() => Trainer.Train(Tiny(20, checkpointEvery: 5) with { InitFrom = FilledCheckpoint(1e30) }, run))!;
        Assert.That(e.Step, Is.EqualTo(1));
        Assert.That(e.ExitCode, Is.EqualTo(3));
        Assert.That(e.Message, Does.Contain("diverged at step 1").And.Contain("NaN"));
        Assert.That(Directory.Exists(Path.Combine(run, "checkpoints")) ? Directory.GetDirectories(Path.Combine(run, "checkpoints")) : Array.Empty<string>(), Is.Empty);
    }

    [Test]
    public void Starting_from_non_finite_weights_is_bad_input_naming_the_file_and_writes_nothing()
    {
        var run = Path.Combine(dir, "run");
        var init = FilledCheckpoint(double.NaN);
        var e = Assert.Throws<ToolkitException>(() => Trainer.Train(Tiny(20) with { InitFrom = init }, run))!;
        Assert.That(e, Is.Not.InstanceOf<TrainingDivergedException>());
        Assert.That(e.ExitCode, Is.EqualTo(2));
        Assert.That(e.Message, Does.Contain(Path.Combine(init, "model.safetensors")).And.Contain("not finite"));
        Assert.That(Directory.Exists(run), Is.False);
    }

    [Test]
    public void Analysis_of_a_model_with_non_finite_weights_is_a_clear_error()
    {
        var run = Path.Combine(dir, "run");
        Trainer.Train(Tiny(3), run);
        var folder = RunDirectory.Open(run).LatestCheckpoint().Path;
        File.Copy(Path.Combine(FilledCheckpoint(double.NaN), "model.safetensors"), Path.Combine(folder, "model.safetensors"), overwrite: true);
        var e = Assert.Throws<ToolkitException>(() => RunDirectory.Open(run).LoadModel())!;
        Assert.That(e.Message, Does.Contain(Path.Combine(folder, "model.safetensors")).And.Contain("manifest"), "the manifest catches it first");
        // A run made before manifests has only the weights to show it.
        RunFixtures.MakeLegacy(run);
        e = Assert.Throws<ToolkitException>(() => RunDirectory.Open(run).LoadModel())!;
        Assert.That(e.Message, Does.Contain("not finite"));
    }

    [TestCase(double.NaN, 3e-3, "not a finite number")]
    [TestCase(1e30, 0.5, "weight decay")]
    [TestCase(-1.0, 3e-3, "weight decay")]
    [TestCase(2000.0, 1e-3, "lr × decay ≥ 1")]
    public void Impossible_weight_decay_is_rejected_before_anything_is_written(double decay, double lr, string expected)
    {
        var run = Path.Combine(dir, "run");
        var config = Tiny(5) with { Training = Tiny(5).Training with { WeightDecay = decay, LearningRate = lr } };
        var e = Assert.Throws<ToolkitException>(() => Trainer.Train(config, run))!;
        Assert.That(e.Message, Does.Contain(expected));
        Assert.That(Directory.Exists(run), Is.False);
    }

    [TestCase(4.0, 1e-3)]
    [TestCase(1.0, 0.5)]
    public void Weight_decay_above_1_is_accepted_while_lr_times_decay_is_below_1(double decay, double lr)
    {
        // AdamW's shrink per step is 1 − lr × decay: only that product must stay below 1 (a grokking control trains at decay 4).
        Assert.DoesNotThrow(() => (Tiny(5).Training with { WeightDecay = decay, LearningRate = lr }).Validate());
    }

    [Test]
    public void Metrics_write_NaN_as_NaN_distinct_from_not_evaluated()
    {
        var path = Path.Combine(dir, "metrics.csv");
        var log = new MetricsLog(path, 1, 1);
        log.Start(null);
        log.Append(1, 0.1, double.NaN, null, null);
        var row = File.ReadAllLines(path)[1].Split(',');
        Assert.That(row[2], Is.EqualTo("NaN"));
        Assert.That(row[3], Is.EqualTo(""), "no evaluation on this row");
    }

    [Test]
    public void A_run_killed_before_its_first_checkpoint_resumes_from_step_0_and_leftovers_are_cleaned()
    {
        var run = Path.Combine(dir, "run");
        Trainer.Train(Tiny(6), run);
        Directory.Delete(Path.Combine(run, "checkpoints"), recursive: true);
        var leftover = Path.Combine(run, "checkpoints", ".step-3.tmp-0123456789abcdef");
        Directory.CreateDirectory(leftover);
        var notices = new Notices();
        var result = Trainer.Resume(run, observer: notices);
        Assert.That(result.Steps, Is.EqualTo(6));
        Assert.That(notices.Messages, Has.Some.Contain("starting over from step 0"));
        Assert.That(Directory.Exists(leftover), Is.False);
        Assert.That(RunDirectory.Open(run).LatestCheckpoint().Step, Is.EqualTo(6));
    }

    [Test]
    public void A_rejected_resume_writes_nothing()
    {
        var run = Path.Combine(dir, "run");
        Trainer.Train(Tiny(10), run);
        var before = Directory.GetFiles(run, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllBytes);
        Assert.Throws<ToolkitException>(() => Trainer.Resume(run, steps: 5));
        var after = Directory.GetFiles(run, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllBytes);
        Assert.That(after.Keys, Is.EquivalentTo(before.Keys));
        foreach (var (file, bytes) in before) Assert.That(after[file], Is.EqualTo(bytes), file);
    }

    [Test]
    public void Resume_reproduces_every_file_when_checkpoints_fall_between_metrics_rows()
    {
        // Rows every 20 steps, checkpoints every 25: the resumed run must carry the partial interval.
        var config = Tiny(60, checkpointEvery: 25, logEvery: 20, evalEvery: 30);
        var whole = Path.Combine(dir, "whole");
        var split = Path.Combine(dir, "split");
        Trainer.Train(config, whole);
        RunFixtures.Copy(whole, split); // the same run (its id), killed after step 25 with the rows past it written
        foreach (var late in new[] { "step-50", "step-60" })
            Directory.Delete(Path.Combine(split, "checkpoints", late), recursive: true);
        Trainer.Resume(split);
        foreach (var file in new[] { "metrics.csv", "config.json", "checkpoints/step-60/model.safetensors", "checkpoints/step-60/optimizer.safetensors",
                     "checkpoints/step-60/state.json", "checkpoints/step-60/manifest.json", "checkpoints/step-50/manifest.json" })
            Assert.That(File.ReadAllBytes(Path.Combine(split, file)), Is.EqualTo(File.ReadAllBytes(Path.Combine(whole, file))), file);
    }

    [Test]
    public void SIGTERM_saves_a_checkpoint_and_exits_143_then_resume_finishes()
    {
        var run = Path.Combine(dir, "run");
        var toolkit = Path.Combine(AppContext.BaseDirectory, "toolkit.dll");
        var psi = new ProcessStartInfo("dotnet", $"\"{toolkit}\" train --period 3..6 --n-ctx 16 --d-vocab 16 --d-model 16 --n-heads 2 --batch-size 8 --steps 100000 --threads 1 --eval-every 50 --checkpoint-every 0 --out \"{run}\"")
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = new System.Text.StringBuilder();
        string? line;
        while ((line = p.StandardError.ReadLine()) is not null && !line.Contains("step ")) stderr.AppendLine(line);
        Assert.That(line, Is.Not.Null, "training printed no progress: " + stderr);
        using (var kill = Process.Start("kill", $"-TERM {p.Id}")!) kill.WaitForExit();
        stderr.Append(p.StandardError.ReadToEnd());
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.EqualTo(143), stderr.ToString());
        Assert.That(stderr.ToString(), Does.Contain($"toolkit train --resume {run}"));
        var saved = RunDirectory.Open(run).LatestCheckpoint().Step;
        Assert.That(saved, Is.GreaterThan(0).And.LessThan(100000));
        Assert.That(File.Exists(RunLock.PathOf(run)), Is.False);
        var resumed = Trainer.Resume(run, steps: saved + 5);
        Assert.That(resumed.Steps, Is.EqualTo(saved + 5));
    }
}
