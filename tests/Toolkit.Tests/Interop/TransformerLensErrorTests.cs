using Toolkit.Interop;

namespace Toolkit.Tests.Interop;

/// <summary>What does not fit is named, all of it in one error, and nothing is written.</summary>
public class TransformerLensErrorTests
{
    private string dir = "";

    [SetUp]
    public void SetUp() => dir = Directory.CreateTempSubdirectory("toolkit-tl-errors-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(dir, recursive: true);

    private static TlModel Model(string? normalization = "LN") =>
        TlModel.Random(layers: 2, heads: 2, dModel: 6, dHead: 4, dVocab: 10, nCtx: 8, attnOnly: false, normalization: normalization, dMlp: 8);

    private ToolkitException ImportFails(TlModel tl, string configJson, bool buffers = true, IEnumerable<string>? drop = null,
        IReadOnlyDictionary<string, (long[] Shape, float[] Data)>? extra = null)
    {
        var weights = Path.Combine(dir, "model.safetensors");
        var config = Path.Combine(dir, "cfg.json");
        tl.WriteSafetensors(weights, buffers, drop, extra);
        File.WriteAllText(config, configJson);
        var run = Path.Combine(dir, "run");
        var e = Assert.Throws<ToolkitException>(() => TransformerLensImport.Import(weights, config, run))!;
        Assert.That(Directory.Exists(run), Is.False, "nothing is written when the import fails");
        return e;
    }

    [Test]
    public void Unknown_missing_and_misshaped_tensors_are_each_named()
    {
        var tl = Model();
        var extra = new Dictionary<string, (long[] Shape, float[] Data)>
        {
            ["blocks.0.attn.W_Q_renamed"] = ([2, 6, 4], new float[48]),   // unknown
            ["blocks.7.attn.W_K"] = ([2, 6, 4], new float[48]),           // unknown: no layer 7
            ["blocks.1.attn.W_O"] = ([2, 6, 4], new float[48]),           // misshaped: W_O is [n_heads, d_head, d_model]
            ["unembed.b_U"] = ([11], new float[11]),                      // misshaped
        };
        var e = ImportFails(tl, tl.ConfigJson(), drop: ["blocks.0.attn.W_Q", "blocks.1.mlp.b_in", "ln_final.w", "blocks.1.attn.W_O", "unembed.b_U"], extra: extra);
        foreach (var name in new[] { "blocks.0.attn.W_Q_renamed", "blocks.7.attn.W_K", "blocks.0.attn.W_Q", "blocks.1.mlp.b_in", "ln_final.w", "blocks.1.attn.W_O", "unembed.b_U" })
            Assert.That(e.Message, Does.Contain(name));
        Assert.That(e.Message, Does.Contain("unknown:").And.Contain("missing:").And.Contain("wrong shape:"));
        Assert.That(e.Message, Does.Contain("blocks.1.attn.W_O [2, 6, 4] (expected [2, 4, 6])"));
    }

    [Test]
    public void LayerNorm_weights_missing_under_the_default_LN_suggest_LNPre()
    {
        var tl = Model("LNPre");
        // normalization_type absent: TransformerLens's default, LN, which wants ln weights the file lacks.
        var json = tl.ConfigJson().Replace("\"normalization_type\": \"LNPre\", ", "");
        var e = ImportFails(tl, json);
        Assert.That(e.Message, Does.Contain("blocks.0.ln1.w").And.Contain("blocks.1.ln2.b").And.Contain("ln_final.b"));
        Assert.That(e.Hint, Does.Contain("LNPre"));
    }

    [Test]
    public void A_non_causal_mask_buffer_is_refused()
    {
        var tl = Model();
        var weights = Path.Combine(dir, "model.safetensors");
        var config = Path.Combine(dir, "cfg.json");
        var entries = tl.Weights.Select(kv => (kv.Key, "F32", kv.Value.Shape, kv.Value.Data.SelectMany(BitConverter.GetBytes).ToArray())).ToList();
        entries.Add(("blocks.0.attn.mask", "BOOL", [8, 8], Enumerable.Repeat((byte)1, 64).ToArray())); // bidirectional
        TlModel.Write(weights, entries);
        File.WriteAllText(config, tl.ConfigJson());
        var e = Assert.Throws<ToolkitException>(() => TransformerLensImport.Import(weights, config, Path.Combine(dir, "run")))!;
        Assert.That(e.Message, Does.Contain("blocks.0.attn.mask is not the causal mask"));
    }

    [Test]
    public void Every_config_setting_the_toolkit_does_not_compute_is_named()
    {
        var tl = Model();
        var json = tl.ConfigJson()
            .Replace("\"positional_embedding_type\": \"standard\"", "\"positional_embedding_type\": \"rotary\"")
            .Replace("\"attention_dir\": \"causal\"", "\"attention_dir\": \"bidirectional\"")
            .Replace("\"act_fn\": \"gelu\"", "\"act_fn\": \"silu\"")
            .Replace("\"eps\": 1e-05", "\"eps\": 1e-06")
            .Replace("\"gated_mlp\": false", "\"gated_mlp\": true");
        var e = ImportFails(tl, json);
        foreach (var key in new[] { "positional_embedding_type 'rotary'", "attention_dir \"bidirectional\"", "act_fn 'silu'", "eps 1e-06", "gated_mlp true" })
            Assert.That(e.Message, Does.Contain(key));
    }

    [Test]
    public void Missing_required_config_keys_are_named()
    {
        var e = ImportFails(Model(), """{"n_layers": 2, "n_heads": 2, "attn_only": false, "act_fn": "gelu"}""");
        foreach (var key in new[] { "d_model is missing", "n_ctx is missing", "d_head is missing", "d_vocab is missing" })
            Assert.That(e.Message, Does.Contain(key));
    }
}
