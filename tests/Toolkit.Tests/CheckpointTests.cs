using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Training;
using static TorchSharp.torch;

namespace Toolkit.Tests;

public class CheckpointTests
{
    private string dir = "";

    [SetUp]
    public void SetUp() => dir = Directory.CreateTempSubdirectory("toolkit-ckpt-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(dir, recursive: true);

    private static RunConfig Tiny(int steps, double dropout = 0, int checkpointEvery = 0) => new()
    {
        Model = new ModelConfig { NLayers = 2, NHeads = 2, DModel = 16, DVocab = 16, NCtx = 16, EmbedDropout = dropout, AttnDropout = dropout, ResidDropout = dropout },
        Training = new TrainingConfig { Steps = steps, BatchSize = 8, LearningRate = 3e-3, WarmupSteps = 5, Schedule = LrSchedule.Cosine, Seed = 7, Threads = 1, LogEvery = 1, EvalEvery = 10, EvalSequences = 16, CheckpointEvery = checkpointEvery },
        Task = new TaskSpec { Name = "repeated-copy", Parameters = new() { ["period"] = "3..6", ["context"] = "16", ["vocab"] = "16" } },
    };

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static List<string> LossRows(string run) =>
        File.ReadLines(Path.Combine(run, "metrics.csv")).Skip(1).Select(l => string.Join(',', l.Split(',').Take(3))).ToList();

    [Test]
    public void Safetensors_round_trip_preserves_names_shapes_and_values()
    {
        Prop.ForAll(Gen.Choose(1, 4).ToArbitrary(), Gen.Choose(1, 5).ToArbitrary(), Gen.Choose(0, 1000).ToArbitrary(), (rank, size, seed) =>
        {
            using var scope = NewDisposeScope();
            manual_seed(seed);
            var shape = Enumerable.Repeat((long)size, rank).ToArray();
            var tensors = new Dictionary<string, Tensor>
            {
                ["a.W"] = randn(shape), ["b"] = randn(shape, ScalarType.Float64), ["c"] = randint(-5, 5, shape), ["d"] = randn(shape).gt(0),
            };
            var path = Path.Combine(dir, $"t{seed}.safetensors");
            using (var s = File.Create(path)) SafeTensors.Write(s, tensors, new Dictionary<string, string> { ["k"] = "v" });
            var (back, meta) = SafeTensors.Read(path);
            return meta["k"] == "v" && back.Count == 4 && tensors.All(kv => back[kv.Key].dtype == kv.Value.dtype && Same(back[kv.Key], kv.Value));
        }).Check(PropertyConfig.Quick);
    }

    [Test]
    public void Reloaded_checkpoint_gives_identical_logits()
    {
        var run = Path.Combine(dir, "run");
        Trainer.Train(Tiny(12), run);
        var runDir = RunDirectory.Open(run);
        var (step, folder) = runDir.LatestCheckpoint();
        Assert.That(step, Is.EqualTo(12));
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(run, "checkpoints")).Select(Path.GetFileName), Is.EqualTo(new[] { "step-12" }), "no temporary folder left behind");
        Assert.That(File.Exists(Path.Combine(folder, "config.json")) && File.Exists(Path.Combine(folder, "model.safetensors")));

        using var a = runDir.LoadModel();
        using var b = runDir.LoadModel();
        using var scope = NewDisposeScope();
        var tokens = randint(0, 16, new long[] { 4, 16 });
        Assert.That(Same(a.forward(tokens), b.forward(tokens)));
        // And the weights really are the trained ones, not a fresh init with the same seed.
        manual_seed(7);
        using var fresh = new HookedTransformer(Tiny(1).Model);
        Assert.That(fresh.forward(tokens).allclose(a.forward(tokens)), Is.False);
    }

    [Test]
    public void Resume_gives_the_same_losses_as_an_uninterrupted_run_even_with_dropout()
    {
        var whole = Path.Combine(dir, "whole");
        var split = Path.Combine(dir, "split");
        Trainer.Train(Tiny(30, dropout: 0.1), whole);
        // A crash after step 10: only the step-10 checkpoint survives (metrics rows beyond it too).
        Trainer.Train(Tiny(30, dropout: 0.1, checkpointEvery: 10), split);
        foreach (var late in new[] { "step-20", "step-30" })
            Directory.Delete(Path.Combine(split, "checkpoints", late), recursive: true);
        Trainer.Resume(split);
        Assert.That(LossRows(split), Is.EqualTo(LossRows(whole)));
        Assert.That(LossRows(whole), Has.Count.EqualTo(30));
    }

    [Test]
    public void Training_into_an_existing_run_is_refused_and_nothing_is_overwritten()
    {
        var run = Path.Combine(dir, "run");
        Trainer.Train(Tiny(3), run);
        var before = File.ReadAllText(Path.Combine(run, "metrics.csv"));
        var e = Assert.Throws<ToolkitException>(() => Trainer.Train(Tiny(3), run))!;
        Assert.That(e.Hint, Does.Contain("--resume"));
        Assert.That(File.ReadAllText(Path.Combine(run, "metrics.csv")), Is.EqualTo(before));
    }

    [Test]
    public void Memory_stays_flat_no_tensor_survives_a_step()
    {
        // Live tensors after a run must not depend on how many steps it took: a per-step leak would.
        long LiveAfter(int steps)
        {
            GC.Collect();
            var before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            Trainer.Train(Tiny(steps) with { Training = Tiny(steps).Training with { EvalEvery = 1000 } }, Path.Combine(dir, $"m{steps}"));
            GC.Collect();
            return TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount - before;
        }
        LiveAfter(2); // warm-up: lazily created singletons
        Assert.That(LiveAfter(40), Is.EqualTo(LiveAfter(5)));
    }

    [Test]
    public void Run_records_config_seed_versions_and_commit()
    {
        var run = Path.Combine(dir, "run");
        Trainer.Train(Tiny(2), run);
        var config = RunConfig.Read(Path.Combine(run, "config.json"));
        Assert.That(config.Training.Seed, Is.EqualTo(7));
        Assert.That(config.Training.Threads, Is.EqualTo(1));
        Assert.That(config.Task.Parameters["period"], Is.EqualTo("3..6"));
        Assert.That(config.Provenance!.TorchSharpVersion, Does.StartWith("0.107"));
        Assert.That(config.Provenance.GitCommit, Is.Not.Empty);
        Assert.That(config.Model.DHead, Is.EqualTo(8), "the resolved config is recorded");
        var header = File.ReadLines(Path.Combine(run, "metrics.csv")).First();
        Assert.That(header, Does.StartWith("step,lr,train_loss,eval_loss,eval_accuracy,icl,prev_L0H0"));
        _ = CultureInfo.InvariantCulture;
    }
}
