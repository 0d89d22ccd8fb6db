using FsCheck;
using FsCheck.Fluent;
using Toolkit.Interop;
using Toolkit.Model;
using Toolkit.Runs;
using static TorchSharp.torch;

namespace Toolkit.Tests.Interop;

/// <summary>export → import → export: identical logits, and the second export's files are byte for byte the first's.</summary>
public class TransformerLensRoundTripTests
{
    private string dir = "";

    [SetUp]
    public void SetUp() => dir = Directory.CreateTempSubdirectory("toolkit-tl-roundtrip-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(dir, recursive: true);

    private static readonly Gen<ModelConfig> Configs =
        from layers in Gen.Choose(1, 2)
        from heads in Gen.Choose(1, 3)
        from dHead in Gen.Choose(1, 5)
        from dModel in Gen.Choose(2, 9)
        from vocab in Gen.Choose(5, 12)
        from context in Gen.Choose(4, 10)
        from attnOnly in Gen.Elements(true, false)
        from dMlp in Gen.Choose(1, 12)
        from act in Gen.Elements(ActivationFunction.Gelu, ActivationFunction.Relu)
        from norm in Gen.Elements<Normalization?>(null, Normalization.LN, Normalization.LNPre)
        select new ModelConfig
        {
            NLayers = layers, NHeads = heads, DHead = dHead, DModel = dModel, DVocab = vocab, NCtx = context,
            AttnOnly = attnOnly, DMlp = attnOnly ? null : dMlp, ActFn = act, NormalizationType = norm,
        };

    /// <summary>A run directory holding one checkpoint of a fresh model with non-zero biases and LayerNorm weights.</summary>
    private string MakeRun(ModelConfig model, int seed, string name)
    {
        var path = Path.Combine(dir, name);
        manual_seed(seed);
        using var hooked = new HookedTransformer(model);
        using (no_grad())
            foreach (var (_, p) in hooked.named_parameters())
                p.copy_(randn(p.shape));
        var config = new RunConfig { Model = model, Task = TransformerLensImport.PlaceholderTask(hooked.Config) };
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "config.json"), config.ToJson());
        Checkpoint.Save(Path.Combine(path, "checkpoints", Checkpoint.FolderName(7)), config, hooked, null, new Checkpoint.State { Step = 7 });
        return path;
    }

    private static Tensor Logits(string run, Tensor tokens)
    {
        using var model = RunDirectory.Open(run).LoadModel();
        using var _ = no_grad();
        return model.forward(tokens);
    }

    [Test]
    public void Export_import_export_keeps_logits_and_files_identical_and_the_names_are_the_models_parameters()
    {
        var cases = 0;
        Prop.ForAll(Configs.ToArbitrary(), Gen.Choose(0, 10_000).ToArbitrary(), (model, seed) =>
        {
            cases++;
            using var scope = NewDisposeScope();
            var run = MakeRun(model, seed, $"run-{cases}");
            var first = TransformerLensExport.Export(run, Path.Combine(dir, $"first-{cases}"));
            var imported = TransformerLensImport.Import(first.WeightsPath, first.ConfigPath, Path.Combine(dir, $"imported-{cases}"));
            var second = TransformerLensExport.Export(imported.RunPath, Path.Combine(dir, $"second-{cases}"));

            var tokens = randint(0, model.DVocab, [3, model.NCtx], generator: new TorchSharp.torch.Generator((ulong)seed));
            var (before, after) = (Logits(run, tokens), Logits(imported.RunPath, tokens));
            var sameLogits = before.shape.SequenceEqual(after.shape) && before.eq(after).all().item<bool>();
            var sameFiles = File.ReadAllBytes(first.WeightsPath).SequenceEqual(File.ReadAllBytes(second.WeightsPath))
                            && File.ReadAllText(first.ConfigPath) == File.ReadAllText(second.ConfigPath);
            using var hooked = new HookedTransformer(model);
            var names = TransformerLensWeights.Parameters(model).Select(p => (p.Name, string.Join(",", p.Shape)))
                .SequenceEqual(hooked.named_parameters().Select(p => (p.name, string.Join(",", p.parameter.shape))));
            var sameTask = imported.Config.Task.Name == "repeated-copy" && !imported.PlaceholderTask;
            return (sameLogits && sameFiles && names && sameTask)
                .Label($"logits {sameLogits}, files {sameFiles}, names {names}, task carried {sameTask}");
        }).Check(PropertyConfig.Cases(15).WithQuietOnSuccess(true));
        Assert.That(cases, Is.GreaterThanOrEqualTo(15));
    }

    [Test]
    public void Export_writes_TransformerLens_config_keys_and_the_attention_buffers()
    {
        var run = MakeRun(new ModelConfig { NLayers = 2, NHeads = 3, DModel = 10, DHead = 4, DVocab = 11, NCtx = 8, AttnOnly = false, NormalizationType = Normalization.LN }, 1, "keys");
        var result = TransformerLensExport.Export(run, Path.Combine(dir, "out"));
        Assert.That(result.Step, Is.EqualTo(7));
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(result.ConfigPath));
        var cfg = doc.RootElement;
        Assert.That(cfg.GetProperty("d_head").GetInt32(), Is.EqualTo(4));
        Assert.That(cfg.GetProperty("n_heads").GetInt32(), Is.EqualTo(3));
        Assert.That(cfg.GetProperty("d_model").GetInt32(), Is.EqualTo(10));
        Assert.That(cfg.GetProperty("d_mlp").GetInt32(), Is.EqualTo(40));
        Assert.That(cfg.GetProperty("normalization_type").GetString(), Is.EqualTo("LN"));
        var (tensors, metadata) = SafeTensors.Read(result.WeightsPath);
        try
        {
            Assert.That(tensors["blocks.0.attn.W_Q"].shape, Is.EqualTo(new long[] { 3, 10, 4 }));
            Assert.That(tensors["blocks.1.attn.W_O"].shape, Is.EqualTo(new long[] { 3, 4, 10 }));
            Assert.That(tensors["blocks.1.attn.mask"].dtype, Is.EqualTo(ScalarType.Bool));
            Assert.That(tensors["blocks.1.attn.mask"].sum().item<long>(), Is.EqualTo(8 * 9 / 2), "causal: on and below the diagonal");
            Assert.That(float.IsNegativeInfinity(tensors["blocks.0.attn.IGNORE"].item<float>()));
            Assert.That(metadata[TransformerLensImport.TaskMetadataKey], Does.Contain("repeated-copy"));
        }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
    }
    [Test]
    public void Variants_TransformerLens_computes_the_same_way_export_with_their_logits_and_the_others_are_refused_by_name()
    {
        using var scope = NewDisposeScope();
        var basic = new ModelConfig { NLayers = 2, NHeads = 2, DModel = 8, DVocab = 11, NCtx = 6, AttnOnly = false, NormalizationType = Normalization.LN };
        var tokens = randint(0, 11, [3, 6], generator: new TorchSharp.torch.Generator(4));
        foreach (var variant in new[] { basic with { PositionalEmbeddingType = PositionalEmbedding.Sinusoidal }, basic with { PositionalEmbeddingType = PositionalEmbedding.None }, basic with { TiedEmbeddings = true } })
        {
            var run = MakeRun(variant, 3, $"variant-{variant.PositionalEmbeddingType.JsonName()}-{variant.TiedEmbeddings}");
            var exported = TransformerLensExport.Export(run, run + "-exported");
            Assert.That(exported.Notes, Is.Not.Empty, "the export says how it wrote the variant");
            var imported = TransformerLensImport.Import(exported.WeightsPath, exported.ConfigPath, run + "-imported");
            Assert.That(Logits(imported.RunPath, tokens).allclose(Logits(run, tokens), rtol: 1e-5, atol: 1e-5), $"{variant.PositionalEmbeddingType.JsonName()}, tied {variant.TiedEmbeddings}");
        }
        foreach (var (variant, named) in new[]
                 {
                     (basic with { PositionalEmbeddingType = PositionalEmbedding.Rotary }, "rotary"), (basic with { PositionalEmbeddingType = PositionalEmbedding.Shortformer }, "shortformer"),
                     (basic with { NormalizationPosition = LayerNormPosition.Post }, "post-norm"), (basic with { ParallelAttnMlp = true }, "parallel_attn_mlp"),
                     (basic with { ConvKernel = 3 }, "Conv-Attn"),
                 })
        {
            var run = MakeRun(variant, 3, $"refused-{named}");
            var e = Assert.Throws<ToolkitException>(() => TransformerLensExport.Export(run, run + "-exported"))!;
            Assert.That(e.Message, Does.Contain(named));
            Assert.That(Directory.Exists(run + "-exported"), Is.False, "nothing written");
        }
    }
}
