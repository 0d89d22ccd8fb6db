using Toolkit.Analysis;
using Toolkit.Configs;
using Toolkit.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Tests.Analysis;

/// <summary>The relational mechanism's analyses (stream lens, saturation, additive update) against the stream computed
/// block by block from the model's modules on a tiny random model with MLPs and LayerNorm.</summary>
[TestFixture]
public class RelationalAnalysisTests
{
    private static HookedTransformer TinyModel(long seed)
    {
        manual_seed(seed);
        return new HookedTransformer(new ModelConfig
        {
            NLayers = 3, NHeads = 2, DModel = 8, DVocab = 11, NCtx = 6, AttnOnly = false, DMlp = 16, NormalizationType = Normalization.LN,
        });
    }

    private static readonly long[] Positions = { 5, 2, 4, 0 };

    private static Tensor Tokens() => tensor(new long[,] { { 1, 4, 7, 2, 9, 3 }, { 10, 0, 5, 5, 6, 8 }, { 3, 3, 1, 4, 2, 7 }, { 6, 2, 9, 10, 1, 0 } });

    /// <summary>The stream at every read point, [batch, pos, d_model], computed from the modules: embed, then per block
    /// mid = x + attn(ln1(x)), post = mid + mlp(ln2(mid)).</summary>
    private static List<Tensor> ExplicitStream(HookedTransformer model, Tensor tokens)
    {
        var x = model.embed.forward(tokens).add(model.pos_embed!.forward(tokens));
        var points = new List<Tensor> { x };
        foreach (var block in model.blocks)
        {
            var mid = x.add(block.attn.forward(block.ln1!.forward(x)));
            var post = mid.add(block.mlp!.forward(block.ln2!.forward(mid)));
            points.Add(mid);
            points.Add(post);
            x = post;
        }
        return points;
    }

    private static double[] LogitsAt(HookedTransformer model, Tensor stream, int row, long position) =>
        model.unembed.forward(model.ln_final!.forward(stream[row, position])).to_type(ScalarType.Float64).data<double>().ToArray();

    private static long Top(double[] logits) => Array.IndexOf(logits, logits.Max());

    [Test]
    public void StreamLensEqualsTheUnembeddedStreamAtEveryPoint()
    {
        using var scope = NewDisposeScope();
        using var model = TinyModel(3);
        using var _ = no_grad();
        var tokens = Tokens();
        long[] argument = { 4, 10, 1, 6 }, answer = { 3, 8, 7, 0 };
        var lens = StreamLens.Run(model, tokens, Positions, new[] { ("argument", (IReadOnlyList<long>)argument), ("answer", answer) });
        var stream = ExplicitStream(model, tokens);
        Assert.That(lens.Select(p => p.Point.Name), Is.EqualTo(new[] { "embed", "L0 attn", "L0 mlp", "L1 attn", "L1 mlp", "L2 attn", "L2 mlp" }));
        for (var k = 0; k < stream.Count; k++)
        {
            var tops = new List<long>();
            var ranks = new Dictionary<string, List<long>> { ["argument"] = new(), ["answer"] = new() };
            for (var i = 0; i < Positions.Length; i++)
            {
                var logits = LogitsAt(model, stream[k], i, Positions[i]);
                tops.Add(Top(logits));
                // Rank: the other tokens whose logit is at least the target's.
                foreach (var (name, targets) in new[] { ("argument", argument), ("answer", answer) })
                    ranks[name].Add(Enumerable.Range(0, logits.Length).Count(j => j != targets[i] && logits[j] >= logits[targets[i]]));
            }
            Assert.That(lens[k].TopTokens, Is.EqualTo(tops), lens[k].Point.Name);
            foreach (var (name, targets) in new[] { ("argument", argument), ("answer", answer) })
            {
                Assert.That(lens[k][name].Ranks, Is.EqualTo(ranks[name]), $"{lens[k].Point.Name} {name} ranks");
                Assert.That(lens[k][name].MeanRank, Is.EqualTo(ranks[name].Average()).Within(1e-12));
                Assert.That(lens[k][name].Top1, Is.EqualTo(Enumerable.Range(0, targets.Length).Count(i => tops[i] == targets[i]) / (double)targets.Length).Within(1e-12));
            }
        }
        // The last point is the model's own prediction.
        var final = model.forward(tokens);
        for (var i = 0; i < Positions.Length; i++)
            Assert.That(lens[^1].TopTokens[i], Is.EqualTo(final[i, Positions[i]].argmax().item<long>()));
    }

    [Test]
    public void SaturationEqualsTheUpdatesAndTopChangesOfTheExplicitStream()
    {
        using var scope = NewDisposeScope();
        using var model = TinyModel(5);
        using var _ = no_grad();
        var tokens = Tokens();
        var layers = Saturation.Run(model, tokens, Positions);
        var stream = ExplicitStream(model, tokens);
        int n = Positions.Length, blocks = model.Config.NLayers;
        // tops[l + 1][i]: the lens top-1 after block l; tops[0]: of the embeddings.
        var tops = new long[blocks + 1][];
        for (var l = 0; l <= blocks; l++) tops[l] = Enumerable.Range(0, n).Select(i => Top(LogitsAt(model, stream[2 * l], i, Positions[i]))).ToArray();
        double Norm(Tensor v) => v.to_type(ScalarType.Float64).norm().item<double>();
        double Relative(Tensor after, Tensor before, int i) => Norm(after[i, Positions[i]].sub(before[i, Positions[i]])) / Norm(before[i, Positions[i]]);
        for (var l = 0; l < blocks; l++)
        {
            Tensor pre = stream[2 * l], mid = stream[2 * l + 1], post = stream[2 * l + 2];
            var row = layers[l];
            Assert.That(row.Block, Is.EqualTo(l));
            Assert.That(row.AttentionUpdate, Is.EqualTo(Enumerable.Range(0, n).Average(i => Relative(mid, pre, i))).Within(1e-5));
            Assert.That(row.MlpUpdate, Is.EqualTo(Enumerable.Range(0, n).Average(i => Relative(post, mid, i))).Within(1e-5));
            Assert.That(row.BlockUpdate, Is.EqualTo(Enumerable.Range(0, n).Average(i => Relative(post, pre, i))).Within(1e-5));
            Assert.That(row.TopChanged, Is.EqualTo(Enumerable.Range(0, n).Count(i => tops[l + 1][i] != tops[l][i]) / (double)n));
            Assert.That(row.AgreesWithFinal, Is.EqualTo(Enumerable.Range(0, n).Count(i => tops[l + 1][i] == tops[blocks][i]) / (double)n));
            // Settled by block l: the top-1 after l and after every later block is the final one.
            var settled = Enumerable.Range(0, n).Count(i => Enumerable.Range(l + 1, blocks - l).All(k => tops[k][i] == tops[blocks][i]));
            Assert.That(row.SettledBy, Is.EqualTo(settled / (double)n), $"settled by block {l}");
        }
        Assert.That(layers[^1].SettledBy, Is.EqualTo(1.0), "every sequence has settled after the last block");
    }

    [Test]
    public void AdditiveUpdateAddsTheVectorAfterTheBlockAndRunsTheRestOfTheModel()
    {
        using var scope = NewDisposeScope();
        using var model = TinyModel(7);
        using var _ = no_grad();
        var tokens = Tokens();
        for (var block = 0; block < model.Config.NLayers; block++)
        {
            // The MLP output at each read position is mlp(ln2(mid)) there.
            var stream = ExplicitStream(model, tokens);
            var outputs = AdditiveUpdate.MlpOutputs(model, tokens, Positions, block);
            var mid = stream[2 * block + 1];
            for (var i = 0; i < Positions.Length; i++)
            {
                var expected = model.blocks[block].mlp!.forward(model.blocks[block].ln2!.forward(mid[i, Positions[i]]));
                Assert.That(outputs[i].sub(expected).abs().max().item<float>(), Is.LessThan(1e-5f));
            }
            // Added to the stream after the block, then the later blocks and the unembedding.
            var updates = outputs.flip(0).mul(3.0);                               // another row's output, scaled up
            var tops = AdditiveUpdate.TopAfterAdding(model, tokens, Positions, block, updates);
            var post = stream[2 * block + 2].clone();
            for (var i = 0; i < Positions.Length; i++) post[i, Positions[i]] = post[i, Positions[i]].add(updates[i]);
            for (var l = block + 1; l < model.Config.NLayers; l++) post = model.blocks[l].forward(post);
            for (var i = 0; i < Positions.Length; i++)
                Assert.That(tops[i], Is.EqualTo(Top(LogitsAt(model, post, i, Positions[i]))), $"block {block}, sequence {i}");
            // Added at one position and read at a later one (the argument's position, then the query).
            long[] argumentAt = { 1, 0, 2, 0 };
            var moved = AdditiveUpdate.TopAfterAdding(model, tokens, argumentAt, block, updates, Positions);
            var shifted = stream[2 * block + 2].clone();
            for (var i = 0; i < Positions.Length; i++) shifted[i, argumentAt[i]] = shifted[i, argumentAt[i]].add(updates[i]);
            for (var l = block + 1; l < model.Config.NLayers; l++) shifted = model.blocks[l].forward(shifted);
            for (var i = 0; i < Positions.Length; i++)
                Assert.That(moved[i], Is.EqualTo(Top(LogitsAt(model, shifted, i, Positions[i]))), $"block {block}, sequence {i}, added at {argumentAt[i]}");
            // A zero update leaves the model's own answer.
            var own = AdditiveUpdate.TopAfterAdding(model, tokens, Positions, block, zeros_like(updates));
            var logits = model.forward(tokens);
            Assert.That(own, Is.EqualTo(Positions.Select((p, i) => logits[i, p].argmax().item<long>()).ToArray()));
        }
    }

    [Test]
    public void RandomUpdatesHaveTheNormsOfTheirModelAndRepeatWithTheSeed()
    {
        using var scope = NewDisposeScope();
        var like = tensor(new float[,] { { 3, 4, 0 }, { 0, 0, 2 }, { 1, 1, 1 } });
        var a = AdditiveUpdate.RandomOfSameNorm(like, 11);
        Assert.That(a.norm(1).sub(like.norm(1)).abs().max().item<float>(), Is.LessThan(1e-5f));
        Assert.That(a.sub(AdditiveUpdate.RandomOfSameNorm(like, 11)).abs().max().item<float>(), Is.EqualTo(0f), "the same seed, the same vectors");
        Assert.That(a.sub(AdditiveUpdate.RandomOfSameNorm(like, 12)).abs().max().item<float>(), Is.GreaterThan(0.01f), "another seed, other vectors");
    }

    [Test]
    public void ModelsWithoutSerialMlpsAndBadReadPositionsAreRefusedWithAHint()
    {
        using var scope = NewDisposeScope();
        using var attnOnly = new HookedTransformer(new ModelConfig { NLayers = 1, NHeads = 1, DModel = 4, DVocab = 11, NCtx = 6, AttnOnly = true });
        var e = Assert.Throws<ToolkitException>(() => StreamLens.Run(attnOnly, Tokens(), Positions, Array.Empty<(string, IReadOnlyList<long>)>()))!;
        Assert.That(e.Message, Does.Contain("attention-only"));
        Assert.That(e.Hint, Does.Contain("--attn-only false"));
        using var model = TinyModel(1);
        e = Assert.Throws<ToolkitException>(() => Saturation.Run(model, Tokens(), new long[] { 1, 2 }))!;
        Assert.That(e.Message, Does.Contain("2 read positions for tokens of shape [4, 6]"));
        e = Assert.Throws<ToolkitException>(() => AdditiveUpdate.MlpOutputs(model, Tokens(), new long[] { 1, 2, 6, 0 }, 0))!;
        Assert.That(e.Message, Does.Contain("outside 0..5"));
        e = Assert.Throws<ToolkitException>(() => AdditiveUpdate.MlpOutputs(model, Tokens(), Positions, 3))!;
        Assert.That(e.Message, Does.Contain("block 3 is outside 0..2"));
    }
}
