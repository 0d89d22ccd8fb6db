using FsCheck;
using FsCheck.Fluent;
using NUnit.Framework;
using Toolkit.Analysis;
using Toolkit.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Tests.Analysis;

/// <summary>The leak detector: every causal model passes, and a future dependency injected anywhere is caught
/// and located at the hook point where it entered.</summary>
[TestFixture, NonParallelizable]
public class CausalityCheckTests
{
    private static readonly Gen<ModelConfig> Configs =
        from layers in Gen.Choose(1, 3)
        from heads in Gen.Choose(1, 4)
        from dHead in Gen.Choose(4, 8) // LayerNorm over 2 or 3 dimensions all but erases what a position carries
        from ctx in Gen.Choose(4, 16)
        from vocab in Gen.Choose(2, 24)
        from mlp in Gen.Elements(true, false)
        from ln in Gen.Elements(true, false)
        from dropout in Gen.Elements(0.0, 0.3)
        select new ModelConfig
        {
            NLayers = layers, NHeads = heads, DModel = heads * dHead, DVocab = vocab, NCtx = ctx, AttnOnly = !mlp,
            NormalizationType = ln ? Normalization.LN : null, EmbedDropout = dropout, AttnDropout = dropout, ResidDropout = dropout,
        };

    // Kept alive for the test run: an implicit Scalar can be freed while native code reads it (see Scalars).
    private static readonly Scalar Amplify = 1000.0.ToScalar();

    private static HookedTransformer Build(ModelConfig config, int seed)
    {
        manual_seed(seed);
        var model = new HookedTransformer(config);
        model.train(); // the check must switch dropout off by itself
        return model;
    }

    [Test]
    public void Every_causal_model_passes()
    {
        Prop.ForAll(Configs.ToArbitrary(), Gen.Choose(0, 1000).ToArbitrary(), (config, seed) =>
        {
            using var model = Build(config, seed);
            var report = CausalityCheck.Run(model, (ulong)seed);
            Assert.That(report.Causal, report.ToString());
            Assert.That(report.MaxChange, Is.LessThanOrEqualTo(CausalityCheck.Tolerance));
            Assert.That(model.training, "the model's mode is restored");
        }).Check(PropertyConfig.Cases(20));
    }

    [Test]
    public void A_future_dependency_anywhere_is_caught_where_it_enters()
    {
        var leaks = from seed in Gen.Choose(0, 1000) from shift in Gen.Choose(1, 3) from pick in Gen.Choose(0, 1000) select (seed, shift, pick);
        Prop.ForAll(Configs.ToArbitrary(), leaks.ToArbitrary(), (config, leakSpec) =>
            {
                var (seed, shiftDrawn, pick) = leakSpec;
                // A shift of n − 1 or more only wraps around (roll) or lands on position 0, whose attention has one key
                // to read whatever its query is: no future token would reach a logit, so there would be no leak to find.
                var shift = Math.Min(shiftDrawn, config.NCtx - 3);
                using var model = Build(config, seed);
                // Position embeddings do not depend on the tokens, so moving them carries no future token.
                // Only points the forward pass reaches (an attention-only block never calls its MLP's).
                List<string> points;
                using (var probe = zeros(new long[] { 1, config.NCtx }, ScalarType.Int64))
                {
                    var (_, cache) = model.RunWithCache(probe);
                    using (cache) points = cache.Names.Where(n => n != "hook_pos_embed").Order(StringComparer.Ordinal).ToList();
                }
                var leaky = points[pick % points.Count];
                var queryAxis = leaky.EndsWith("hook_pattern") || leaky.EndsWith("hook_attn_scores") ? 2 : 1;
                // The activation at position i also receives position i + shift's (a centred convolution does this),
                // amplified: a late activation can be so small (a random W_O after LayerNorm) that an unamplified copy
                // moves the logits by less than the detector's 1e-6 tolerance, which is no leak anyone could exploit.
                using var leak = model.AddHook(leaky, (x, _) => x.add(x.roll(-shift, queryAxis), Amplify));
                var report = CausalityCheck.Run(model, (ulong)seed);
                Assert.That(report.Causal, Is.False, $"a leak at {leaky} went unnoticed: {report}");
                Assert.That(report.FirstLeakingHook, Is.EqualTo(leaky), report.ToString());
            }).Check(PropertyConfig.Cases(20));
    }
}
