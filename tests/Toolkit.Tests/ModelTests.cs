using FsCheck;
using FsCheck.Fluent;
using Toolkit.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Tests;

public class ModelTests
{
    private static HookedTransformer Model(bool ln = false, bool mlp = false, long seed = 1)
    {
        manual_seed(seed);
        return new HookedTransformer(new ModelConfig { NLayers = 2, NHeads = 4, DModel = 32, DVocab = 20, NCtx = 16, NormalizationType = ln ? Normalization.LN : null, AttnOnly = !mlp });
    }

    [Test]
    public void Causality_changing_later_tokens_never_changes_earlier_logits()
    {
        using var model = Model(ln: true, mlp: true);
        model.eval();
        // For any sequence, any cut t and any replacement of the tokens after t, logits at ≤ t are unchanged.
        Prop.ForAll(Gen.Choose(0, 14).ToArbitrary(), Gen.Choose(0, int.MaxValue).ToArbitrary(), (t, seed) =>
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var g = new Generator((ulong)seed);
            var a = randint(0, 20, new long[] { 1, 16 }, generator: g);
            var b = a.clone();
            b[.., (t + 1)..] = randint(0, 20, new long[] { 1, 15 - t }, generator: g);
            var la = model.forward(a).narrow(1, 0, t + 1);
            var lb = model.forward(b).narrow(1, 0, t + 1);
            return la.allclose(lb, rtol: 0, atol: 1e-6);
        }).Check(PropertyConfig.Quick);
    }

    [Test]
    public void Hook_points_have_TransformerLens_names()
    {
        using var model = Model(ln: true, mlp: true);
        foreach (var name in new[]
                 {
                     "hook_embed", "hook_pos_embed", "blocks.0.hook_resid_pre", "blocks.1.attn.hook_q", "blocks.1.attn.hook_k",
                     "blocks.1.attn.hook_v", "blocks.0.attn.hook_attn_scores", "blocks.0.attn.hook_pattern", "blocks.0.attn.hook_z",
                     "blocks.0.attn.hook_result", "blocks.0.hook_attn_out", "blocks.0.hook_mlp_out", "blocks.1.hook_resid_post",
                     "ln_final.hook_normalized",
                 })
            Assert.That(model.HookPoints.ContainsKey(name), name);
        var parameterNames = model.named_parameters().Select(p => p.name).ToHashSet();
        Assert.That(parameterNames, Is.SupersetOf(new[] { "embed.W_E", "pos_embed.W_pos", "blocks.0.attn.W_Q", "blocks.1.attn.W_O", "blocks.0.ln1.w", "blocks.0.mlp.W_in", "unembed.W_U", "unembed.b_U" }));
    }

    [Test]
    public void Run_with_cache_keeps_only_filtered_activations_and_patterns_are_causal_distributions()
    {
        using var model = Model();
        using var scope = NewDisposeScope();
        var tokens = randint(0, 20, new long[] { 3, 16 });
        var (logits, cache) = model.RunWithCache(tokens, n => n.EndsWith("hook_pattern") || n.EndsWith("hook_resid_post"));
        Assert.That(cache.Names, Has.Count.EqualTo(4));
        var pattern = cache.Pattern(1);
        Assert.That(pattern.shape, Is.EqualTo(new long[] { 3, 4, 16, 16 }));
        Assert.That(pattern.sum(-1).allclose(ones(3, 4, 16), atol: 1e-5), "rows sum to 1");
        Assert.That(pattern.triu(1).abs().max().item<float>(), Is.EqualTo(0f), "no attention to the future");
        Assert.That(cache.ResidPost(1).shape, Is.EqualTo(new long[] { 3, 16, 32 }));
        Assert.Throws<ToolkitException>(() => _ = cache["blocks.0.hook_attn_out"]);
        Assert.That(logits.shape, Is.EqualTo(new long[] { 3, 16, 20 }));
    }

    [Test]
    public void A_hook_can_replace_an_activation_and_is_removed_afterwards()
    {
        using var model = Model();
        using var scope = NewDisposeScope();
        var tokens = randint(0, 20, new long[] { 2, 16 });
        var clean = model.forward(tokens);
        var zeroed = model.RunWithHooks(tokens,
            ("blocks.0.hook_attn_out", (x, _) => zeros_like(x)), ("blocks.1.hook_attn_out", (x, _) => zeros_like(x)));
        // With both attention outputs zeroed, only the direct path (embed + pos) @ W_U remains.
        var direct = (model.W_E.index_select(0, tokens.reshape(-1)).view(2, 16, 32) + model.W_pos.narrow(0, 0, 16)).matmul(model.W_U) + model.unembed.b_U;
        Assert.That(zeroed.allclose(direct, atol: 1e-5));
        Assert.That(model.forward(tokens).allclose(clean), "hooks removed after the run");
        Assert.That(model.HookPoints.Values.All(h => !h.IsHooked));
    }

    [Test]
    public void Hook_result_sums_to_the_attention_output()
    {
        using var model = Model();
        using var scope = NewDisposeScope();
        var tokens = randint(0, 20, new long[] { 2, 16 });
        var (_, cache) = model.RunWithCache(tokens, n => n.StartsWith("blocks.0.") && (n.EndsWith("hook_result") || n.EndsWith("hook_attn_out")));
        var summed = cache["blocks.0.attn.hook_result"].sum(2) + model.blocks[0].attn.b_O;
        Assert.That(summed.allclose(cache["blocks.0.hook_attn_out"], atol: 1e-5));
    }

    [Test]
    public void Bad_model_config_names_the_problem_and_the_fix()
    {
        var e = Assert.Throws<ToolkitException>(() => new ModelConfig { DModel = 30, NHeads = 4 }.Resolve())!;
        Assert.That(e.Message, Does.Contain("not divisible"));
        Assert.That(e.Hint, Does.Contain("--d-head"));
        Assert.DoesNotThrow(() => new ModelConfig { DModel = 30, NHeads = 4, DHead = 8 }.Resolve(), "d_head is not forced to d_model / n_heads");
    }
}
