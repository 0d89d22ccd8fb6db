using Toolkit.Interop;
using Toolkit.Runs;
using static TorchSharp.torch;

namespace Toolkit.Tests.Interop;

/// <summary>A TransformerLens model built by hand (own safetensors writer, own cfg.json) is imported, and its logits
/// match a forward pass written from TransformerLens's formulas, independent of the toolkit's model code.</summary>
public class TransformerLensImportTests
{
    private string dir = "";

    [SetUp]
    public void SetUp() => dir = Directory.CreateTempSubdirectory("toolkit-tl-import-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(dir, recursive: true);

    private ImportResult Import(TlModel tl, string name, string extraConfig = "", bool buffers = true)
    {
        var weights = Path.Combine(dir, $"{name}.safetensors");
        var config = Path.Combine(dir, $"{name}.json");
        tl.WriteSafetensors(weights, buffers);
        File.WriteAllText(config, tl.ConfigJson(extraConfig));
        return TransformerLensImport.Import(weights, config, Path.Combine(dir, "runs", name));
    }

    /// <summary>Largest |toolkit − reference| over the logits of a few random sequences.</summary>
    private static double MaxDifference(TlModel tl, string run)
    {
        using var model = RunDirectory.Open(run).LoadModel();
        var rng = new Random(5);
        var tokens = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, tl.NCtx).Select(_ => rng.Next(tl.DVocab)).ToArray()).ToArray();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var logits = model.forward(tensor(tokens.SelectMany(t => t.Select(x => (long)x)).ToArray(), [tokens.Length, tl.NCtx]))
            .to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        var worst = 0.0;
        for (var s = 0; s < tokens.Length; s++)
        {
            var reference = tl.Forward(tokens[s]);
            for (var p = 0; p < tl.NCtx; p++)
                for (var v = 0; v < tl.DVocab; v++)
                    worst = Math.Max(worst, Math.Abs(logits[(s * tl.NCtx + p) * tl.DVocab + v] - reference[p][v]));
        }
        return worst;
    }

    [Test]
    public void Model_with_MLP_LayerNorm_and_d_model_not_n_heads_times_d_head_gives_the_reference_logits()
    {
        // d_model 10 ≠ n_heads 3 × d_head 4.
        var tl = TlModel.Random(layers: 2, heads: 3, dModel: 10, dHead: 4, dVocab: 11, nCtx: 8, attnOnly: false, normalization: "LN", dMlp: 16, seed: 1);
        var result = Import(tl, "mlp-ln");
        Assert.That(result.Config.Model.HeadDim, Is.EqualTo(4));
        Assert.That(result.PlaceholderTask, Is.True, "the file names no task");
        Assert.That(MaxDifference(tl, result.RunPath), Is.LessThan(1e-4));
        Assert.That(File.Exists(Path.Combine(result.RunPath, "metrics.csv")), Is.False);
    }

    [Test]
    public void Attention_only_model_without_normalization_gives_the_reference_logits()
    {
        var tl = TlModel.Random(layers: 2, heads: 2, dModel: 8, dHead: 5, dVocab: 9, nCtx: 7, attnOnly: true, normalization: null, seed: 2);
        var result = Import(tl, "attn-only", buffers: false);
        Assert.That(MaxDifference(tl, result.RunPath), Is.LessThan(1e-4));
    }

    [Test]
    public void Folded_LayerNorm_LNPre_with_relu_gives_the_reference_logits()
    {
        var tl = TlModel.Random(layers: 1, heads: 4, dModel: 6, dHead: 2, dVocab: 10, nCtx: 6, attnOnly: false, normalization: "LNPre", dMlp: 12, actFn: "relu", seed: 3);
        var result = Import(tl, "lnpre");
        Assert.That(result.Config.Model.NormalizationType, Is.EqualTo(Normalization.LNPre));
        Assert.That(MaxDifference(tl, result.RunPath), Is.LessThan(1e-4));
    }

    [Test]
    public void Unknown_config_keys_are_noted_not_fatal()
    {
        var tl = TlModel.Random(layers: 1, heads: 2, dModel: 4, dHead: 2, dVocab: 8, nCtx: 8, attnOnly: true, normalization: "LN", seed: 4);
        var result = Import(tl, "unknown-key", extraConfig: ", \"some_future_key\": 3");
        Assert.That(result.Notes, Has.Some.Contains("some_future_key"));
    }
}
