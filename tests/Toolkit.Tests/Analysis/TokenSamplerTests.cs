using FsCheck;
using FsCheck.Fluent;
using NUnit.Framework;
using Toolkit.Generation;
using static TorchSharp.torch;

namespace Toolkit.Tests.Analysis;

/// <summary>Generation: greedy decoding of the hand-built induction circuit continues a repeat, draws respect
/// top-k and top-p, and the same seed gives the same text.</summary>
[TestFixture, NonParallelizable]
public class TokenSamplerTests
{
    [Test]
    public void Greedy_decoding_of_the_induction_circuit_continues_the_repeated_block()
    {
        Prop.ForAll(Gen.Choose(4, 8).ToArbitrary(), Gen.Choose(0, 10_000).ToArbitrary(), (period, seed) =>
        {
            var random = new Random(seed);
            var shuffled = Enumerable.Range(0, InductionModel.Vocab).OrderBy(_ => random.Next()).Select(t => (long)t).ToArray();
            var block = shuffled.Take(period).ToArray();
            // A token outside the block (position 0 can only attend to itself, so it reads as its own predecessor),
            // one copy and the first token again: induction predicts the rest of the block, then the block again.
            var prompt = new[] { shuffled[^1] }.Concat(block).Append(block[0]).ToArray();
            var generated = TokenSampler.Continue(InductionModel.Model, [prompt], 2 * period, new SamplingSettings { Temperature = 0 })[0];
            var expected = Enumerable.Range(0, 2 * period).Select(i => block[(i + 1) % period]).ToArray();
            Assert.That(generated, Is.EqualTo(expected));
        }).Check(PropertyConfig.Cases(15));
    }

    [Test]
    public void Draws_stay_inside_top_k_and_top_p_and_repeat_with_the_seed()
    {
        Prop.ForAll(Gen.Choose(1, 5).ToArbitrary(), Gen.Choose(1, 100).ToArbitrary(), Gen.Choose(0, 10_000).ToArbitrary(), (k, p, seed) =>
        {
            using var scope = NewDisposeScope();
            var logits = randn(12, generator: new Generator((ulong)seed)).mul(3);
            var order = logits.argsort(descending: true).data<long>().ToArray();
            var probabilities = logits.to_type(ScalarType.Float64).softmax(0).data<double>().ToArray();
            var topP = p / 100.0;
            // The nucleus: the most likely tokens until their probability reaches top-p.
            var nucleus = new List<long>();
            var mass = 0.0;
            foreach (var t in order) { nucleus.Add(t); mass += probabilities[t]; if (mass >= topP) break; }
            var allowed = order.Take(k).Intersect(nucleus).ToHashSet();
            var settings = new SamplingSettings { TopK = k, TopP = topP, Seed = (ulong)seed };
            var generator = new Generator((ulong)seed);
            var draws = Enumerable.Range(0, 30).Select(_ => TokenSampler.Next(logits, settings, generator)).ToList();
            Assert.That(draws, Has.All.Matches<long>(allowed.Contains));
            var again = new Generator((ulong)seed);
            Assert.That(Enumerable.Range(0, 30).Select(_ => TokenSampler.Next(logits, settings, again)), Is.EqualTo(draws));
            Assert.That(TokenSampler.Next(logits, settings with { TopK = 1 }, generator), Is.EqualTo(order[0]), "top-k 1 is greedy");
        }).Check(PropertyConfig.Cases(40));
    }

    [Test]
    public void Greedy_is_the_argmax_and_beam_width_one_is_greedy()
    {
        Prop.ForAll(Gen.Choose(0, 1000).ToArbitrary(), Gen.Choose(2, 4).ToArbitrary(), (seed, beams) =>
        {
            using var scope = NewDisposeScope();
            manual_seed(seed);
            using var model = new Toolkit.Model.HookedTransformer(new ModelConfig { NLayers = 1, NHeads = 2, DModel = 8, DVocab = 7, NCtx = 12 });
            model.eval();
            var prompt = new long[] { 1, 4, 2 };
            var greedy = TokenSampler.Continue(model, [prompt], 5, new SamplingSettings { Temperature = 0 })[0];
            using (no_grad())
                Assert.That(greedy[0], Is.EqualTo(model.forward(tensor(prompt, new long[] { 1, 3 })).select(1, 2).argmax().item<long>()));
            Assert.That(TokenSampler.Beam(model, prompt, 5, 1), Is.EqualTo(greedy));
            // (Wider beams are not compared with greedy: beam search is not monotone in its width.)
            Assert.That(TokenSampler.Beam(model, prompt, 5, beams), Has.Length.EqualTo(5));
        }).Check(PropertyConfig.Cases(20));
    }

    [Test]
    public void Bad_settings_and_prompts_are_refused_with_a_hint()
    {
        Assert.Throws<ToolkitException>(() => new SamplingSettings { Temperature = -1 }.Validate());
        Assert.Throws<ToolkitException>(() => new SamplingSettings { TopP = 0 }.Validate());
        var e = Assert.Throws<ToolkitException>(() => TokenSampler.Continue(InductionModel.Model, [new long[] { 1, 99 }], 3, new SamplingSettings()))!;
        Assert.That(e.Message, Does.Contain("outside the vocabulary"));
    }
}
