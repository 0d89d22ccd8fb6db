using Toolkit.Analysis;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Training;
using Toolkit.Verdicts;

namespace Toolkit.Tests.Analysis;

/// <summary>Grokking on modular addition (docs/design.md §4): the Fourier basis over Z_p, the embedding's norm per
/// frequency, restricted and excluded loss, each equal to an explicit computation on a small case; the timeline's phases
/// from explicit points; and a tiny full-batch run that learns its training split.</summary>
[TestFixture, NonParallelizable]
public class GrokkingTests
{
    private static double Wave(bool cos, int k, int x, int p) => cos ? Math.Cos(2 * Math.PI * k * x / p) : Math.Sin(2 * Math.PI * k * x / p);

    [Test]
    public void The_basis_is_orthonormal_and_its_rows_are_the_constant_and_the_waves()
    {
        const int p = 7;
        var basis = new FourierBasis(p);
        for (var i = 0; i < p; i++)
            for (var j = 0; j < p; j++)
                Assert.That(Enumerable.Range(0, p).Sum(x => basis.Rows[i][x] * basis.Rows[j][x]), Is.EqualTo(i == j ? 1 : 0).Within(1e-12), $"rows {i}, {j}");
        for (var x = 0; x < p; x++)
        {
            Assert.That(basis.Rows[0][x], Is.EqualTo(1 / Math.Sqrt(7)).Within(1e-12));
            Assert.That(basis.Rows[3][x], Is.EqualTo(Math.Sqrt(2.0 / 7) * Wave(true, 2, x, p)).Within(1e-12), "row 3 is cos 2");
            Assert.That(basis.Rows[6][x], Is.EqualTo(Math.Sqrt(2.0 / 7) * Wave(false, 3, x, p)).Within(1e-12), "row 6 is sin 3");
        }
        Assert.That(FourierBasis.RowName(3), Is.EqualTo("cos 2"));
        Assert.That(() => new FourierBasis(8), Throws.TypeOf<ToolkitException>());
    }

    [Test]
    public void The_embedding_norm_per_frequency_is_the_energy_of_its_waves_and_the_strong_one_is_key()
    {
        // Token x embeds as (3 cos 2x', 3 sin 2x', 0.5 cos 3x', 1) with x' = 2πx/7: frequency 2 holds Σ_x 9 (cos² + sin²) = 63,
        // frequency 3 holds Σ_x 0.25 cos² = 0.25 · 7/2, frequency 1 nothing; the constant column is left out.
        const int p = 7;
        var embedding = Enumerable.Range(0, p).Select(x => new[] { 3 * Wave(true, 2, x, p), 3 * Wave(false, 2, x, p), 0.5 * Wave(true, 3, x, p), 1.0 }).ToList();
        var f = EmbeddingFrequencies.Of(p, embedding);
        Assert.That(f.SquaredNorms[0], Is.EqualTo(0).Within(1e-9));
        Assert.That(f.SquaredNorms[1], Is.EqualTo(63).Within(1e-9));
        Assert.That(f.SquaredNorms[2], Is.EqualTo(0.875).Within(1e-9));
        Assert.That(f.Shares[1], Is.EqualTo(63 / 63.875).Within(1e-12));
        Assert.That(f.Key, Is.EqualTo(new[] { 2 }), "only frequency 2 is above twice the uniform share 1/3");
        Assert.That(f.KeyShare, Is.EqualTo(63 / 63.875).Within(1e-12));
    }

    /// <summary>Random logits of p = 5 projected, per output, on Nanda et al.'s directions built from the 1-D basis:
    /// (cos_a cos_b − sin_a sin_b)/√2 and (sin_a cos_b + cos_a sin_b)/√2.</summary>
    [Test]
    public void The_key_frequency_component_is_the_projection_on_the_papers_directions()
    {
        const int p = 5;
        var rng = new Random(3);
        var logits = new PairLogits(p, Enumerable.Range(0, p * p).Select(_ => Enumerable.Range(0, p).Select(_ => rng.NextDouble() * 4 - 2).ToArray()).ToArray());
        var basis = new FourierBasis(p);
        var expected = new double[p * p, p];
        foreach (var k in new[] { 1, 2 })
        {
            double[] cos = new double[p * p], sin = new double[p * p];
            for (var a = 0; a < p; a++)
                for (var b = 0; b < p; b++)
                {
                    var (ca, sa, cb, sb) = (basis.Rows[2 * k - 1][a], basis.Rows[2 * k][a], basis.Rows[2 * k - 1][b], basis.Rows[2 * k][b]);
                    cos[a * p + b] = (ca * cb - sa * sb) / Math.Sqrt(2);
                    sin[a * p + b] = (sa * cb + ca * sb) / Math.Sqrt(2);
                }
            foreach (var d in new[] { cos, sin })
                for (var c = 0; c < p; c++)
                {
                    var dot = Enumerable.Range(0, p * p).Sum(i => d[i] * logits.Rows[i][c]);
                    for (var i = 0; i < p * p; i++) expected[i, c] += dot * d[i];
                }
        }
        var actual = ProgressMeasures.Component(logits, [1, 2]);
        for (var i = 0; i < p * p; i++)
            for (var c = 0; c < p; c++)
                Assert.That(actual[i][c], Is.EqualTo(expected[i, c]).Within(1e-12), $"row {i}, column {c}");
    }

    /// <summary>Logits 4 cos(w(a + b − c)) of frequency 2 lie in its directions: restricted to it they are unchanged (their
    /// column means are 0), and without it nothing is left (a uniform guess, loss ln p); frequency 1 is the other way round.</summary>
    [Test]
    public void Restricted_and_excluded_loss_of_a_pure_wave_equal_the_explicit_losses()
    {
        const int p = 7;
        var logits = new PairLogits(p, Enumerable.Range(0, p * p)
            .Select(i => Enumerable.Range(0, p).Select(c => 4 * Wave(true, 2, i / p + i % p - c, p)).ToArray()).ToArray());
        // Every row is the same wave shifted to its answer: −log softmax at the answer = log Σ_j exp(4 cos(2π·2j/7)) − 4.
        var own = Math.Log(Enumerable.Range(0, p).Sum(j => Math.Exp(4 * Wave(true, 2, j, p)))) - 4;
        Assert.That(logits.Loss(_ => true), Is.EqualTo(own).Within(1e-12));
        Assert.That(logits.Accuracy(_ => true), Is.EqualTo(1));
        bool Even(int i) => i % 2 == 0;
        Assert.That(ProgressMeasures.RestrictedLoss(logits, [2]), Is.EqualTo(own).Within(1e-9));
        Assert.That(ProgressMeasures.ExcludedLoss(logits, [2], Even), Is.EqualTo(Math.Log(p)).Within(1e-9));
        Assert.That(ProgressMeasures.RestrictedLoss(logits, [1]), Is.EqualTo(Math.Log(p)).Within(1e-9));
        Assert.That(ProgressMeasures.ExcludedLoss(logits, [1], Even), Is.EqualTo(own).Within(1e-9));
    }

    [Test]
    public void The_phases_are_read_off_the_points_as_defined()
    {
        const int p = 7; // ln 7 = 1.95
        var points = new List<GrokkingPoint>();
        for (var step = 10; step <= 600; step += 10)
        {
            var train = step >= 50 ? 1.0 : 0.5;
            var excluded = step < 200 ? 1.0 : 3.0;                       // above ln p from step 200
            var test = 5.0 / (1 + Math.Exp((step - 400) / 15.0)) + 0.05 + 0.01 * Math.Sin(step); // drops around 400
            points.Add(new GrokkingPoint(step, 0.01, test, train, step >= 450 ? 0.95 : 0.1, 1, excluded, 100));
        }
        var frequencies = EmbeddingFrequencies.Of(p, Enumerable.Range(0, p).Select(x => new[] { Wave(true, 1, x, p) }).ToList());
        var t = GrokkingTimeline.From(p, points, frequencies);
        Assert.That(t.MemorizedStep, Is.EqualTo(50));
        Assert.That(t.CircuitStep, Is.EqualTo(200));
        Assert.That(t.Test90Step, Is.EqualTo(450));
        Assert.That(t.Grokking, Is.EqualTo(PhaseChange.Detect(points.Select(x => (x.Step, x.TestLoss)).ToList())), "the library's detector on the held-out loss");
        Assert.That(t.Grokking!.Step, Is.InRange(380, 420));
        Assert.That(t.ExcludedRisesFirst, Is.True);
        Assert.That(t.PhasesInOrder, Is.True);
        // Never memorized: no circuit step, and the phase claims are unknown rather than false.
        var never = GrokkingTimeline.From(p, points.Select(x => x with { TrainAccuracy = 0.5 }).ToList(), frequencies);
        Assert.That(never.MemorizedStep, Is.Null);
        Assert.That(never.CircuitStep, Is.Null);
        Assert.That(never.PhasesInOrder, Is.Null);
    }

    private static RunConfig TinyRun(int batchSize, int steps = 150) => new()
    {
        Model = new ModelConfig { NLayers = 1, NHeads = 2, DModel = 32, DMlp = 64, AttnOnly = false, ActFn = ActivationFunction.Relu, DVocab = 8, NCtx = 8 },
        Training = new TrainingConfig
        {
            Steps = steps, BatchSize = batchSize, FullBatch = true, LearningRate = 1e-2, WeightDecay = 0.1, Beta2 = 0.98, WarmupSteps = 5, GradClip = 0,
            Seed = 1, Threads = 1, LogEvery = 10, EvalEvery = steps, EvalSequences = 16, CheckpointEvery = 50,
        },
        Task = new TaskSpec { Name = "modular-addition", Parameters = new() { ["p"] = "7", ["fraction"] = "0.6", ["split"] = "2" } },
    };

    [Test]
    public void A_tiny_full_batch_run_learns_its_training_split_and_its_timeline_is_measured_at_every_checkpoint()
    {
        var dir = Directory.CreateTempSubdirectory("toolkit-grok-").FullName;
        try
        {
            var trained = Trainer.Train(TinyRun(batchSize: 1), Path.Combine(dir, "a"));
            // Evaluation draws the task's own examples, which are the training split: its accuracy is not held out, and
            // every printed line says so (the held-out pairs are the probe's).
            Assert.That(trained.EvalOnTrainingExamples, Is.True);
            Assert.That(trained.EvalLabel, Does.StartWith("training examples").And.Contain("not held out"));
            Assert.That(Trainer.ResultOf(Path.Combine(dir, "a"), 0).EvalOnTrainingExamples, Is.True, "read back from its files too");
            var timeline = GrokkingRun.Measure(Path.Combine(dir, "a"));
            Assert.That(timeline.Points.Select(x => x.Step), Is.EqualTo(new[] { 50, 100, 150 }));
            Assert.That(timeline.Points[^1].TrainAccuracy, Is.EqualTo(1), "every training pair right");
            Assert.That(timeline.MemorizedStep, Is.Not.Null);
            Assert.That(timeline.Frequencies.Shares.Sum(), Is.EqualTo(1).Within(1e-9));
            // Full batch trains on the whole split whatever batch_size says: another batch size, the same run.
            Trainer.Train(TinyRun(batchSize: 64), Path.Combine(dir, "b"));
            Assert.That(File.ReadAllText(Path.Combine(dir, "b", "metrics.csv")), Is.EqualTo(File.ReadAllText(Path.Combine(dir, "a", "metrics.csv"))));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void The_verdict_is_read_at_any_saved_checkpoint_and_only_the_latest_ones_is_saved()
    {
        var dir = Directory.CreateTempSubdirectory("toolkit-grok-").FullName;
        try
        {
            var run = Path.Combine(dir, "a");
            Trainer.Train(TinyRun(batchSize: 1), run);
            var early = SeedStudy.Judge(run, step: 50);
            var latest = SeedStudy.Judge(run);
            Assert.That((early.CheckpointStep, latest.CheckpointStep), Is.EqualTo((50, 150)));
            using (var a = LoadedRun.Open(run, 50))
            using (var b = LoadedRun.Open(run))
            {
                var (wa, wb) = (a.Model.state_dict()["embed.W_E"], b.Model.state_dict()["embed.W_E"]);
                Assert.That(wa.eq(wb).all().item<bool>(), Is.False, "another checkpoint's weights");
            }

            var (code, output, error) = CliRunner.InProcess("probe", run, "--step", "50", "--sequences", "32");
            Assert.That(code, Is.EqualTo(0), error);
            Assert.That(output, Does.Contain("checkpoint at step 50").And.Contain($"verdict: {SeedStudy.Judge(run, new VerdictSettings { Sequences = 32 }, 50).Verdict.Headline}"));
            Assert.That(File.Exists(VerdictFile.PathOf(run)), Is.False, "an earlier checkpoint's verdict is not saved as the run's answer");

            (code, _, error) = CliRunner.InProcess("probe", run, "--step", "70");
            Assert.That(code, Is.EqualTo(2));
            CliRunner.AssertTwoLineError(error, "has no checkpoint at step 70");
            Assert.That(error, Does.Contain("50, 100, 150"), "the hint lists the steps saved");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void Full_batch_on_a_task_without_a_finite_training_set_is_refused_in_one_line()
    {
        var config = TinyRun(8) with { Task = new TaskSpec { Name = "repeated-copy", Parameters = new() { ["period"] = "3", ["context"] = "8", ["vocab"] = "8" } } };
        var dir = Directory.CreateTempSubdirectory("toolkit-grok-").FullName;
        try
        {
            var e = Assert.Throws<ToolkitException>(() => Trainer.Train(config, Path.Combine(dir, "run")))!;
            Assert.That(e.Message, Does.Contain("full_batch needs a task that lists its training set").And.Not.Contain("\n"));
            Assert.That(e.Hint, Does.Contain("modular-addition"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
