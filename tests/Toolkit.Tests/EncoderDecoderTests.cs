using Toolkit.Analysis;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Training;
using static TorchSharp.torch;

namespace Toolkit.Tests;

/// <summary>The encoder-decoder (<c>--n-encoder-layers</c>): the encoder reads the source (up to the task's SEP) both
/// ways; the decoder reads the target causally and the source only through cross-attention.</summary>
[TestFixture, NonParallelizable]
public class EncoderDecoderTests
{
    private const int Sep = 1;
    private static readonly ModelConfig Model = new()
    {
        NLayers = 2, NEncoderLayers = 2, SourceEndToken = Sep, NHeads = 2, DModel = 32, DVocab = 16, NCtx = 24,
    };

    private static readonly Dictionary<string, string> SetExtraction = new()
    {
        ["context"] = "24", ["vocab"] = "16", ["length"] = "4..8", ["distinct"] = "2..4",
    };

    /// <summary>The tiny model trained on a task at lr 1e-2 (20 warm-up steps), evaluated once at the end.</summary>
    private static RunConfig TinyRun(string task, Dictionary<string, string> parameters, int steps, int seed) => new()
    {
        Model = Model,
        Training = new TrainingConfig
        {
            Steps = steps, BatchSize = 32, LearningRate = 1e-2, WarmupSteps = 20, Seed = seed, Threads = 1, EvalEvery = steps,
            LogEvery = 20, EvalSequences = 64, CheckpointEvery = 0,
        },
        Task = new TaskSpec { Name = task, Parameters = new(parameters) },
    };

    private static HookedTransformer Build(ModelConfig config, int seed = 2)
    {
        manual_seed(seed);
        var model = new HookedTransformer(config);
        model.eval();
        return model;
    }

    private static Tensor Tokens(params long[] tokens) => tensor(tokens, new long[] { 1, tokens.Length });

    [TestCase(true), TestCase(false)]
    public void The_decoder_reads_the_source_only_through_cross_attention_and_nothing_after_a_target_position(bool mlp)
    {
        using var scope = NewDisposeScope();
        using var model = Build(Model with { AttnOnly = !mlp, NormalizationType = mlp ? Normalization.LN : null });
        Assert.That(CausalityCheck.Run(model, 5).Causal, "no logit at or after the source end moves when a later token changes");
        // Source 5 9 7 4 SEP, then target tokens.
        var clean = Tokens(5, 9, 7, 4, Sep, 5, 9, 7, 4, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        var changedSource = clean.clone();
        changedSource[0, 2] = tensor(12L);
        double TargetMoved(Tensor a, Tensor b) => model.forward(a).narrow(1, 4, 20).sub(model.forward(b).narrow(1, 4, 20)).abs().max().item<float>();
        Assert.That(TargetMoved(clean, changedSource), Is.GreaterThan(1e-4), "the decoder reads the source");
        // With every cross-attention pattern zeroed, the source no longer reaches the target positions at all.
        var silence = Enumerable.Range(0, Model.NLayers).Select(l => ($"blocks.{l}.cross_attn.hook_pattern", (HookFunction)((x, _) => zeros_like(x)))).ToArray();
        var a = model.RunWithHooks(clean, silence).narrow(1, 4, 20);
        var b = model.RunWithHooks(changedSource, silence).narrow(1, 4, 20);
        Assert.That(a.sub(b).abs().max().item<float>(), Is.EqualTo(0), "no other path from the source into the decoder");
        // The encoder's rows read only the source.
        var (_, cache) = model.RunWithCache(clean, n => n == "encoder.blocks.0.attn.hook_pattern");
        Assert.That(cache["encoder.blocks.0.attn.hook_pattern"].narrow(3, 5, 19).abs().max().item<float>(), Is.EqualTo(0));
    }

    [Test]
    public void The_source_ends_at_the_first_separator_or_is_position_0_alone()
    {
        using var scope = NewDisposeScope();
        using var model = Build(Model);
        var mask = model.SourceMask(tensor(new long[] { 5, 6, Sep, 7, Sep, 8, 3, 4, 2, 3, 4, 5 }, new long[] { 2, 6 }));
        Assert.That(mask.data<bool>().ToArray(), Is.EqualTo(new[] { true, true, true, false, false, false, true, false, false, false, false, false }));
        foreach (var name in new[] { "encoder.blocks.1.attn.hook_pattern", "blocks.0.cross_attn.hook_pattern", "blocks.1.hook_cross_attn_out", "blocks.1.hook_resid_mid_cross" })
            Assert.That(model.HookPoints.ContainsKey(name), name);
    }

    [Test]
    public void A_tiny_encoder_decoder_learns_set_extraction_repeats_its_numbers_and_round_trips()
    {
        var dir = Directory.CreateTempSubdirectory("toolkit-encdec-").FullName;
        try
        {
            var config = TinyRun("set-extraction", SetExtraction, steps: 800, seed: 3);
            var result = Trainer.Train(config, Path.Combine(dir, "a"));
            TestContext.Out.WriteLine($"loss {result.LossCurve[0].Loss:F3} -> {result.LossCurve[^1].Loss:F3}; held-out {result.FinalEval}");
            Assert.That(result.FinalEval.AccuracyLow, Is.GreaterThan(0.6));
            var rerun = Trainer.Train(config with { Training = config.Training with { Steps = 40 } }, Path.Combine(dir, "b"));
            Assert.That(rerun.LossCurve, Is.EqualTo(result.LossCurve.Take(2)));

            using var scope = NewDisposeScope();
            using var loaded = result.Run.LoadModel();
            Assert.That((loaded.Config.NEncoderLayers, loaded.Config.SourceEndToken), Is.EqualTo((2, (int?)Sep)));
            var example = Sampling.examples(config.Task.Create(), 5UL, 1)[0];
            var tokens = tensor(example.Tokens.Select(t => (long)t).ToArray(), new long[] { 1, 24 });
            using var again = result.Run.LoadModel();
            Assert.That(loaded.forward(tokens).sub(again.forward(tokens)).abs().max().item<float>(), Is.EqualTo(0));
            // Analyses that read the blocks as the whole model refuse it by name.
            Assert.That(Assert.Throws<ToolkitException>(() => LogitLens.Run(loaded, tokens, ones_like(tokens, ScalarType.Bool)))!.Message, Does.Contain("encoder-decoder"));
            Assert.That(Assert.Throws<ToolkitException>(() => PathExpansion.Compute(loaded))!.Message, Does.Contain("encoder-decoder"));
            // Head scores and ablations read hooks and work, on the encoder's and the cross-attention's heads too.
            var report = Analyzer.Analyze(loaded, config.Task.Create(), 3, sequences: 16);
            Assert.That(report.Ablations.All(x => double.IsFinite(x.Loss)));
            Assert.That(report.Ablations.Select(x => x.Site).Distinct(), Is.EquivalentTo(new[] { AttentionSite.Self, AttentionSite.Cross, AttentionSite.Encoder }));
            // The trained model reads, from the row that emits a token, that token's copy in the source.
            var best = report.Cross!.MaxBy(c => c.SourceCopy)!;
            TestContext.Out.WriteLine(report);
            Assert.That(best.SourceCopy, Is.GreaterThan(3 * best.UniformBaseline));
            var ablated = report.Ablations.Single(x => x.Name == best.Name && x.Kind == AblationKind.Zero);
            Assert.That(ablated.Loss, Is.GreaterThan(ablated.CleanLoss), "the source-reading head matters");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void A_tiny_encoder_decoder_learns_to_copy_by_reading_each_outputs_source_position()
    {
        var dir = Directory.CreateTempSubdirectory("toolkit-encdec-copy-").FullName;
        try
        {
            var config = TinyRun("copy", new() { ["context"] = "24", ["vocab"] = "16", ["length"] = "3..8" }, steps: 400, seed: 4);
            var result = Trainer.Train(config, dir);
            TestContext.Out.WriteLine($"loss {result.LossCurve[0].Loss:F3} -> {result.LossCurve[^1].Loss:F3}; held-out {result.FinalEval}");
            Assert.That(result.FinalEval.AccuracyLow, Is.GreaterThan(0.8));
            using var scope = NewDisposeScope();
            using var loaded = result.Run.LoadModel();
            var report = Analyzer.Analyze(loaded, config.Task.Create(), 4, sequences: 16);
            var best = report.Cross!.MaxBy(c => c.SourceCopy)!;
            TestContext.Out.WriteLine($"best cross head {best.Name}: source copy {best.SourceCopy:F2} against uniform {best.UniformBaseline:F2}");
            Assert.That(best.SourceCopy, Is.GreaterThan(3 * best.UniformBaseline), "a cross-attention head reads the source copy of the token it emits");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void The_command_line_ends_the_source_at_the_tasks_separator_and_refuses_a_task_without_one()
    {
        var dir = Directory.CreateTempSubdirectory("toolkit-encdec-cli-").FullName;
        try
        {
            var run = Path.Combine(dir, "run");
            var (code, _, err) = CliRunner.InProcess(["train", "--task", "set-extraction", "--n-ctx", "24", "--d-vocab", "16", "--param", "length=4..8", "--param", "distinct=2..4",
                "--n-encoder-layers", "1", "--steps", "2", "--batch-size", "4", "--threads", "1", "--eval-every", "2", "--out", run]);
            Assert.That(code, Is.EqualTo(0), err);
            var saved = RunDirectory.Open(run).ReadConfig().Model;
            Assert.That((saved.NEncoderLayers, saved.SourceEndToken, saved.NLayers), Is.EqualTo((1, (int?)Sep, 2)));

            (code, _, err) = CliRunner.InProcess("train", "--task", "repeated-copy", "--n-encoder-layers", "1", "--steps", "2", "--out", Path.Combine(dir, "x"));
            Assert.That(code, Is.Not.EqualTo(0));
            CliRunner.AssertTwoLineError(err, "has no SEP token");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
