using Toolkit.Runs;
using Toolkit.Training;

namespace Toolkit.Tests;

/// <summary>The seed runner (issue 25 §2): runs trained side by side in child processes are the runs trained alone with the
/// same threads, file for file and number for number.</summary>
[NonParallelizable]
public class SeedRunnerTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("toolkit-seed-runner-").FullName;

    [TearDown]
    public void TearDown()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static RunConfig Tiny(long seed) => new()
    {
        Model = new ModelConfig { NLayers = 2, NHeads = 2, DModel = 16, DVocab = 16, NCtx = 16 },
        Training = new TrainingConfig { Steps = 30, BatchSize = 8, LearningRate = 1e-2, WarmupSteps = 5, Seed = seed, Threads = 1, LogEvery = 5, EvalEvery = 10, EvalSequences = 16 },
        Task = new TaskSpec { Name = "repeated-copy", Parameters = new() { ["period"] = "3..6", ["context"] = "16", ["vocab"] = "16" } },
    };

    [TestCase(1, 1, 2, ExpectedResult = 1)]
    [TestCase(5, 1, 2, ExpectedResult = 2)]
    [TestCase(5, 2, 2, ExpectedResult = 1)]
    [TestCase(5, 2, 8, ExpectedResult = 4)]
    [TestCase(3, 1, 8, ExpectedResult = 3)]
    [TestCase(2, 4, 2, ExpectedResult = 1)]
    public int Processes_fit_the_cores_at_each_runs_own_threads(int runs, int threads, int cores) => SeedRunner.Processes(runs, threads, cores);

    /// <summary>The children start longest first (tokens seen), ties in the given order: a permutation of the jobs.</summary>
    [FsCheck.NUnit.Property(MaxTest = 200)]
    public bool Runs_start_longest_first_ties_in_order(FsCheck.NonEmptyArray<byte> sizes)
    {
        var configs = sizes.Get.Select((b, i) => Tiny(i) with
        {
            Training = Tiny(i).Training with { Steps = 1 + b % 4, BatchSize = 1 + b / 4 % 4 },
            Model = Tiny(i).Model with { NCtx = 8 << (b / 16 % 2) },
        }).ToList();
        double Tokens(int i) => (double)configs[i].Training.Steps * configs[i].Training.BatchSize * configs[i].Model.NCtx;
        var order = SeedRunner.StartOrder(configs);
        return order.OrderBy(i => i).SequenceEqual(Enumerable.Range(0, configs.Count))
               && order.Zip(order.Skip(1)).All(p => Tokens(p.First) > Tokens(p.Second) || (Tokens(p.First) == Tokens(p.Second) && p.First < p.Second));
    }

    [Test]
    public void Runs_trained_side_by_side_equal_the_same_runs_trained_alone()
    {
        var alone = Trainer.Train(Tiny(3), Path.Combine(_dir, "alone"));
        var jobs = new[] { new SeedRunner.Job(Tiny(3), Path.Combine(_dir, "runner-seed3")), new SeedRunner.Job(Tiny(4), Path.Combine(_dir, "runner-seed4")) };
        var lines = new List<string>();
        var results = SeedRunner.Train(jobs, lines.Add, cores: 2);
        TestContext.Out.WriteLine(string.Join("\n", lines));
        Assert.That(lines[0], Does.Contain("2 runs, 2 at once × 1 thread(s)"), "two child processes, not one after the other");
        Assert.That(File.Exists(Path.Combine(_dir, "logs", "runner-seed3.log")), "each child's output is kept");

        foreach (var file in new[] { "metrics.csv", Path.Combine("checkpoints", "step-30", "model.safetensors") })
            Assert.That(File.ReadAllBytes(Path.Combine(jobs[0].Path, file)), Is.EqualTo(File.ReadAllBytes(Path.Combine(alone.Run.Path, file))), file);
        var same = results[0];
        Assert.That((same.FinalEval.Accuracy, same.FinalEval.Loss, same.FinalEval.Positions), Is.EqualTo((alone.FinalEval.Accuracy, alone.FinalEval.Loss, alone.FinalEval.Positions)));
        Assert.That(same.FinalHeads.Heads, Is.EqualTo(alone.FinalHeads.Heads));
        Assert.That((alone.EvalLabel, same.EvalLabel), Is.EqualTo(("held-out", "held-out")), "fresh draws of an unbounded task are held out");
        // The curve is read back as metrics.csv logs it (identical bytes, above), so equal to its logged precision.
        Assert.That(same.LossCurve.Select(p => p.Step), Is.EqualTo(alone.LossCurve.Select(p => p.Step)));
        Assert.That(same.LossCurve.Select(p => p.Loss), Is.EqualTo(alone.LossCurve.Select(p => p.Loss)).Within(0.001).Percent);
        Assert.That(RunDirectory.Open(jobs[1].Path).ReadConfig().Training.Seed, Is.EqualTo(4));
        Assert.That(results[1].FinalEval.Loss, Is.Not.EqualTo(same.FinalEval.Loss), "the second seed is its own run");
    }

    [Test]
    public void A_run_that_exists_already_is_refused_before_anything_trains()
    {
        Trainer.Train(Tiny(3) with { Training = Tiny(3).Training with { Steps = 5, EvalEvery = 5 } }, Path.Combine(_dir, "taken"));
        var jobs = new[] { new SeedRunner.Job(Tiny(1), Path.Combine(_dir, "fresh")), new SeedRunner.Job(Tiny(3), Path.Combine(_dir, "taken")) };
        var ex = Assert.Throws<ToolkitException>(() => SeedRunner.Train(jobs, cores: 2));
        Assert.That(ex!.Message, Does.Contain("already holds a run"));
        Assert.That(Directory.Exists(Path.Combine(_dir, "logs")), Is.False, "no child started");
        Assert.That(Directory.Exists(Path.Combine(_dir, "fresh")), Is.False, "no run was created");

        var twice = new[] { new SeedRunner.Job(Tiny(1), Path.Combine(_dir, "same")), new SeedRunner.Job(Tiny(2), Path.Combine(_dir, "same") + "/") };
        ex = Assert.Throws<ToolkitException>(() => SeedRunner.Train(twice, cores: 2));
        Assert.That(ex!.Message, Does.Contain("2 runs would train into"));
        Assert.That(Directory.Exists(Path.Combine(_dir, "same")), Is.False, "no run was created");
    }
}
