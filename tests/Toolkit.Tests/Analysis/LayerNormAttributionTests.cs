using NUnit.Framework;
using Toolkit.Analysis;
using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Tests.Analysis;

/// <summary>Direct logit attribution through a final LayerNorm, and patching/lens sanity on a random LN model.</summary>
[TestFixture]
public class LayerNormAttributionTests
{
    [Test]
    public void AttributionsSumToTheLogitsGivenTheCachedScale()
    {
        using var scope = NewDisposeScope();
        using var state = get_rng_state();
        manual_seed(3);
        using var model = new HookedTransformer(new ModelConfig { NLayers = 2, NHeads = 2, DModel = 16, DVocab = 12, NCtx = 10, NormalizationType = Normalization.LN });
        using (no_grad())
        {
            // Non-trivial LayerNorm gain; biases stay zero so the components are the whole residual stream.
            model.ln_final!.w!.copy_(rand(16).add(0.5));
        }
        set_rng_state(state);
        model.eval();
        var tokens = randint(0, 12, new long[] { 3, 10 });
        var dla = DirectLogitAttribution.Compute(model, tokens);
        using var _ = no_grad();
        var logits = model.forward(tokens).to_type(ScalarType.Float64);
        var expected = logits.narrow(1, 0, 9).gather(2, tokens.narrow(1, 1, 9).unsqueeze(-1)).squeeze(-1).mean(new long[] { 0 }).data<double>().ToArray();
        Assert.That(dla.Components, Has.Count.EqualTo(1 + 4));
        for (var i = 0; i < 9; i++)
            Assert.That(Enumerable.Range(0, 5).Sum(c => dla.PerPosition[c, i]), Is.EqualTo(expected[i]).Within(1e-4), $"position {i}");
    }

    [Test]
    public void LogitLensOfTheLastLayerMatchesTheModel()
    {
        using var scope = NewDisposeScope();
        using var state = get_rng_state();
        manual_seed(4);
        using var model = new HookedTransformer(new ModelConfig { NLayers = 2, NHeads = 2, DModel = 16, DVocab = 12, NCtx = 10, NormalizationType = Normalization.LN });
        set_rng_state(state);
        var tokens = randint(0, 12, new long[] { 4, 10 });
        var mask = ones(4, 10, ScalarType.Bool);
        var lens = LogitLens.Run(model, tokens, mask);
        var (_, accuracy) = Ablation.Measure(model.forward(tokens).detach(), tokens, mask);
        Assert.That(lens, Has.Count.EqualTo(2));
        Assert.That(lens[1].Accuracy, Is.EqualTo(accuracy).Within(1e-9));
        Assert.That(lens.All(l => l.Probability is > 0 and < 1 && l.MeanRank >= 0 && l.MeanRank <= 11));
    }
}
