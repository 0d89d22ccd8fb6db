using FsCheck;
using FsCheck.Fluent;
using NUnit.Framework;
using Toolkit.Analysis;
using Toolkit.Configs;
using Toolkit.Data;
using Toolkit.Losses;
using Toolkit.Model;
using Toolkit.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Tests.Analysis;

/// <summary>The analyses that unembed only the positions they read (a block of rows at a time) give the numbers of the
/// full forward pass's [batch, pos, d_vocab] logits.</summary>
[TestFixture]
public class ScoredRowsTests
{
    [Test]
    public void Scored_rows_unembedded_in_blocks_equal_the_full_logits_at_those_positions()
    {
        var cases = from seed in Gen.Choose(0, 10000)
                    from vocab in Gen.Choose(2, 40)
                    from blockRows in Gen.Choose(1, 7)
                    from batch in Gen.Choose(1, 4)
                    from positions in Gen.Choose(2, 8)
                    from ln in Gen.Elements<Normalization?>(null, Normalization.LN)
                    select (seed, vocab, blockRows, batch, positions, ln);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            manual_seed(c.seed);
            using var model = new HookedTransformer(new ModelConfig { NLayers = 1, NHeads = 2, DModel = 8, DVocab = c.vocab, NCtx = 8, NormalizationType = c.ln });
            model.eval();
            var tokens = randint(0, c.vocab, new long[] { c.batch, c.positions });
            using var threshold = 0.4.ToScalar();
            var mask = rand(c.batch, c.positions).gt(threshold);
            var logits = model.forward(tokens);
            var (loss, correct, scored) = MaskedLoss.PerPosition(logits, tokens, mask);
            var (rows, targets) = MaskedLoss.ScoredRows(tokens, mask);
            var (rowLoss, rowCorrect) = RowLoss.PerRow(model, model.Stream(tokens), rows, targets, blockElements: (long)c.vocab * c.blockRows);
            var at = scored.to_type(ScalarType.Bool);
            var expectedLoss = loss.masked_select(at).data<float>().ToArray();
            Assert.That(rowLoss.data<float>().ToArray(), Is.EqualTo(expectedLoss).Within(1e-5f), "per-row loss");
            Assert.That(rowCorrect.data<bool>().ToArray(), Is.EqualTo(correct.masked_select(at).data<bool>().ToArray()), "per-row correctness");
            var (meanLoss, accuracy) = RowLoss.Mean(model, model.Stream(tokens), rows, targets);
            var (fullLoss, fullAccuracy) = Ablation.Measure(logits, tokens, mask);
            if (expectedLoss.Length == 0) Assert.That(double.IsNaN(meanLoss) && double.IsNaN(fullLoss), "no scored row: NaN like the full pass");
            else
            {
                Assert.That(meanLoss, Is.EqualTo(fullLoss).Within(1e-6), "mean loss");
                Assert.That(accuracy, Is.EqualTo(fullAccuracy).Within(1e-12), "accuracy");
            }
        }).Check(PropertyConfig.Cases(60));
    }

    [Test]
    public void Every_heads_ablation_equals_the_hooked_full_forward_pass_on_every_architecture()
    {
        // Every variant and routed pool: the clean-cache path (sequential pre-norm attention-only) and the hooked path.
        var models = Gen.OneOf(ModelVariantTests.Variants, RoutedPoolTests.Routed);
        Prop.ForAll(models.ToArbitrary(), Gen.Choose(0, 10000).ToArbitrary(), (config, seed) =>
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            manual_seed(seed);
            using var model = new HookedTransformer(config);
            model.eval();
            var tokens = randint(0, config.DVocab, new long[] { 3, config.NCtx });
            using var threshold = 0.3.ToScalar();
            var mask = rand(3, config.NCtx).gt(threshold);
            var scored = mask.narrow(1, 1, config.NCtx - 1).sum().item<long>();
            var effects = Ablation.EveryHead(model, tokens, mask);
            AssertFull(effects, model.forward(tokens), hooked => model.RunWithHooks(tokens, hooked), logits => Ablation.Measure(logits, tokens, mask), scored);
        }).Check(PropertyConfig.Cases(40));
    }

    [Test]
    public void Every_heads_ablation_of_a_masked_LM_or_an_encoder_decoder_equals_the_hooked_full_forward_pass()
    {
        var cases = from seed in Gen.Choose(0, 10000)
                    from encoderDecoder in Gen.Elements(true, false)
                    from attnOnly in Gen.Elements(true, false)
                    select (seed, encoderDecoder, attnOnly);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            manual_seed(c.seed);
            var task = c.encoderDecoder
                ? Catalog.Create("set-extraction", new Dictionary<string, string> { ["context"] = "16", ["vocab"] = "16", ["length"] = "3..5", ["distinct"] = "2..3" })
                : Catalog.Create("repeated-copy", new Dictionary<string, string> { ["period"] = "2..4", ["repeats"] = "3", ["context"] = "16", ["vocab"] = "16" });
            var config = new ModelConfig { NLayers = 2, NHeads = 2, DModel = 8, DVocab = 16, NCtx = 16, AttnOnly = c.attnOnly };
            config = c.encoderDecoder ? config with { NEncoderLayers = 1, SourceEndToken = task.Vocabulary.Id("SEP") } : config with { DVocab = 17, MaskToken = 16 };
            using var model = new HookedTransformer(config);
            model.eval();
            using var batch = Batch.ForEvaluation(model.Config, Sampling.examples(task, (ulong)c.seed, 4), CPU);
            var scored = batch.NextToken ? batch.LossMask.narrow(1, 1, 15).sum().item<long>() : batch.LossMask.sum().item<long>();
            var effects = Ablation.EveryHead(model, batch);
            AssertFull(effects, model.forward(batch.Tokens), hooked => model.RunWithHooks(batch.Tokens, hooked), logits => Ablation.Measure(logits, batch), scored);
        }).Check(PropertyConfig.Cases(12));
    }

    /// <summary>Each effect against the full logits of the clean run and of the hooked run that ablates its head.</summary>
    private static void AssertFull(IReadOnlyList<AblationEffect> effects, Tensor cleanLogits, Func<(string, HookFunction), Tensor> runHooked,
        Func<Tensor, (double Loss, double Accuracy)> measure, long scored)
    {
        var clean = measure(cleanLogits);
        var flip = scored == 0 ? 0 : 1.0 / scored + 1e-12; // a near-tie may flip one prediction
        foreach (var e in effects)
        {
            var (loss, accuracy) = measure(runHooked((AblationEffect.HookZ(e.Site, e.Layer), Ablation.Hook(e.Head, e.Kind))));
            if (scored == 0)
            {
                Assert.That(double.IsNaN(e.Loss) && double.IsNaN(loss) && double.IsNaN(e.CleanLoss), $"{e.Name} {e.Kind}: no scored position");
                continue;
            }
            Assert.That(e.CleanLoss, Is.EqualTo(clean.Loss).Within(1e-5), $"{e.Name} clean loss");
            Assert.That(e.CleanAccuracy, Is.EqualTo(clean.Accuracy).Within(flip), $"{e.Name} clean accuracy");
            Assert.That(e.Loss, Is.EqualTo(loss).Within(1e-5), $"{e.Name} {e.Kind} loss");
            Assert.That(e.Accuracy, Is.EqualTo(accuracy).Within(flip), $"{e.Name} {e.Kind} accuracy");
        }
    }
}
