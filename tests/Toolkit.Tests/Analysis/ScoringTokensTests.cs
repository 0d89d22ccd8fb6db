using NUnit.Framework;
using Toolkit.Analysis;
using Toolkit.Model;
using Toolkit.Tasks;
using static TorchSharp.torch;

namespace Toolkit.Tests.Analysis;

/// <summary>Head scores are read on tokens training used (issue 21 §4): a byte-level text model never saw most of the
/// 256 bytes, and a head that works only on tokens it saw must not be scored on the others.</summary>
[TestFixture]
public class ScoringTokensTests
{
    private const int Context = 64;

    /// <summary>A plain-text corpus of random words over the printable ASCII bytes 32..126 (95 of 256, as the poems
    /// corpus), with '~' only in its last 5%: the held-out part, which training never reads.</summary>
    private static string Corpus()
    {
        var path = Path.Combine(Path.GetTempPath(), $"toolkit-scoring-tokens-{Environment.ProcessId}.txt");
        var rng = new Random(3);
        var chars = Enumerable.Range(32, 94).Select(b => (char)b).ToArray(); // ' '..'}': '~' is kept for the end
        var text = new string(Enumerable.Range(0, 19_000).Select(_ => chars[rng.Next(chars.Length)]).ToArray()) + new string('~', 1_000);
        File.WriteAllText(path, text);
        return path;
    }

    private static ITask Text(string corpus) => Catalog.Create("text", new Dictionary<string, string>
    {
        ["corpus"] = corpus, ["format"] = "plain", ["tokenizer"] = "byte", ["context"] = Context.ToString(),
    });

    [Test]
    public void A_text_task_is_scored_on_the_bytes_its_training_part_uses()
    {
        var corpus = Corpus();
        try
        {
            var task = Text(corpus);
            // Byte b is token b + 1: ' '..'}' are tokens 33..126; '~' (127) occurs only in the held-out part.
            var trained = Enumerable.Range(33, 94).ToArray();
            Assert.That(TaskTokens.used(task), Is.EqualTo(trained));
            using var batch = ScoringBatch.Create(new ModelConfig { NLayers = 2, DVocab = task.Vocabulary.Size, NCtx = Context }, [task], 7);
            TestContext.Out.WriteLine(batch.Layout);
            Assert.That(batch.TokenIds, Is.EqualTo(trained));
            Assert.That(batch.Tokens.data<long>().ToArray().Distinct(), Is.SubsetOf(trained.Select(t => (long)t)));
            Assert.That(batch.Layout, Does.Contain("tokens 33..126"));
        }
        finally { File.Delete(corpus); }
    }

    [Test]
    public void Synthetic_tasks_keep_their_content_range_and_their_sequences()
    {
        // A contiguous range is drawn exactly as before: ids 1..n mapped onto lo..hi change no draw.
        var task = Catalog.Create("repeated-copy", new Dictionary<string, string> { ["period"] = "6..29" });
        using var batch = ScoringBatch.Create(new ModelConfig { NLayers = 2, DVocab = 64, NCtx = 64 }, [task], 5);
        Assert.That(batch.TokenIds, Is.EqualTo(Enumerable.Range(1, 63)));
        Assert.That(batch.Layout, Does.Contain("tokens 1..63;"));
        var direct = Sampling.examples(Catalog.Create("repeated-copy", new Dictionary<string, string>
        {
            ["context"] = "64", ["vocab"] = "64", ["period"] = batch.Period.ToString(), ["start"] = "any", ["filler"] = "random",
            ["collisions"] = "false", ["tokens"] = "1..63",
        }), 5, 32);
        Assert.That(batch.Examples.Select(e => e.Tokens), Is.EqualTo(direct.Select(e => e.Tokens)));
    }

    [TestCase("repeated-copy", "period", "6..20")]
    [TestCase("pattern-in-noise", "motif", "3..8")]
    [TestCase("set-extraction", "length", "4..8")]
    public void A_synthetic_task_trained_on_a_token_subrange_is_scored_on_that_subrange(string family, string key, string value)
    {
        // With tokens=1..40 of 64 the ids 41..63 never occur in training; a scoring batch on them would score
        // heads on tokens the model never saw, as for text.
        var task = Catalog.Create(family, new Dictionary<string, string> { [key] = value, ["tokens"] = family == "set-extraction" ? "3..40" : "1..40" });
        var lo = family == "set-extraction" ? 3 : 1;
        using var batch = ScoringBatch.Create(new ModelConfig { NLayers = 2, DVocab = 64, NCtx = 64 }, [task], 5);
        TestContext.Out.WriteLine(batch.Layout);
        Assert.That(batch.TokenIds, Is.EqualTo(Enumerable.Range(lo, 41 - lo)));
        Assert.That(batch.Tokens.data<long>().ToArray().Distinct(), Is.SubsetOf(Enumerable.Range(lo, 41 - lo).Select(t => (long)t)));
    }

    /// <summary>A two-layer induction circuit (previous-token head L0H0 → induction head L1H0, one-hot blocks as in
    /// <see cref="InductionModel"/>) that embeds only the tokens training used: on any other token its query is zero
    /// and it attends evenly. It is an induction head on the tokens it knows.</summary>
    private static HookedTransformer SeenTokensInductionModel(IReadOnlyCollection<int> seen, int vocab)
    {
        int tok = 0, pos = vocab, prev = vocab + Context, dModel = 2 * vocab + Context, dHead = Math.Max(vocab, Context);
        var m = new HookedTransformer(new ModelConfig
        {
            NLayers = 2, NHeads = 1, DModel = dModel, DHead = dHead, DVocab = vocab, NCtx = Context, AttnOnly = true,
        });
        m.eval();
        var c = (float)Math.Sqrt(30 * Math.Sqrt(dHead)); // a matching query and key score 30 before the softmax
        using (no_grad())
        {
            foreach (var (_, p) in m.named_parameters()) p.zero_();
            void Set(Tensor target, float[,] values) { using var t = tensor(values); target.copy_(t); }
            var wE = new float[vocab, dModel];
            foreach (var t in seen) wE[t, tok + t] = 1;
            Set(m.W_E, wE);
            var wPos = new float[Context, dModel];
            for (var p = 0; p < Context; p++) wPos[p, pos + p] = 1;
            Set(m.W_pos, wPos);
            // L0H0: position i attends to i − 1 and copies its token into the previous-token block.
            var (q0, k0, v0, o0) = (new float[dModel, dHead], new float[dModel, dHead], new float[dModel, dHead], new float[dHead, dModel]);
            for (var i = 0; i < Context; i++) q0[pos + i, i] = c;
            for (var j = 0; j + 1 < Context; j++) k0[pos + j, j + 1] = c;
            for (var t = 0; t < vocab; t++) { v0[tok + t, t] = 1; o0[t, prev + t] = 1; }
            var l0 = m.blocks[0].attn;
            Set(l0.W_Q[0], q0); Set(l0.W_K[0], k0); Set(l0.W_V[0], v0); Set(l0.W_O[0], o0);
            // L1H0: the current token's query meets the key of the position whose previous token it is.
            var (q1, k1) = (new float[dModel, dHead], new float[dModel, dHead]);
            for (var t = 0; t < vocab; t++) { q1[tok + t, t] = c; k1[prev + t, t] = c; }
            var l1 = m.blocks[1].attn;
            Set(l1.W_Q[0], q1); Set(l1.W_K[0], k1);
        }
        return m;
    }

    [Test]
    public void An_induction_head_that_knows_only_the_trained_tokens_is_named_on_them()
    {
        var corpus = Corpus();
        try
        {
            var task = Text(corpus);
            var vocab = task.Vocabulary.Size;
            var config = new ModelConfig { NLayers = 2, NHeads = 1, DVocab = vocab, NCtx = Context };
            using var model = SeenTokensInductionModel(TaskTokens.used(task), vocab);
            using var trainedTokens = ScoringBatch.Create(config, [task], 7);
            using var everyByte = ScoringBatch.Create(config, [], 7); // every content id 1..256: what was scored before
            var onTrained = HeadScores.Compute(model, trainedTokens).Heads.Single(h => h.Name == "L1H0");
            var onEvery = HeadScores.Compute(model, everyByte).Heads.Single(h => h.Name == "L1H0");
            TestContext.Out.WriteLine($"{trainedTokens.Layout}\ninduction {onTrained.Induction:F3} on trained tokens, {onEvery.Induction:F3} on every byte");
            Assert.That(onTrained.Induction, Is.GreaterThan(0.95));
            Assert.That(HeadScores.Compute(model, trainedTokens).Named(HeadRole.Induction).Select(h => h.Name), Is.EqualTo(new[] { "L1H0" }));
            // On every byte it works only where the current token is one of the 94 it knows: about 94/256.
            Assert.That(onEvery.Induction, Is.InRange(0.3, HeadScoreTable.DefaultThreshold));
        }
        finally { File.Delete(corpus); }
    }

    [Test]
    public void A_fixed_scoring_period_is_scored_and_names_no_head_where_training_made_its_offsets_predictive()
    {
        var task = Catalog.Create("repeated-copy", new Dictionary<string, string> { ["period"] = "6..29" });
        var config = new ModelConfig { NLayers = 2, DVocab = 64, NCtx = 64 };
        using var inRange = ScoringBatch.Create(config, [task], 5, period: 16);
        Assert.That((inRange.Period, inRange.Measurable), Is.EqualTo((16, false)));
        Assert.That(inRange.Layout, Does.Contain("NOT MEASURABLE").And.Contain("15,16"));
        using var chosen = ScoringBatch.Create(config, [task], 5, period: 4);
        Assert.That((chosen.Period, chosen.Measurable), Is.EqualTo((4, true)));
        Assert.Throws<ToolkitException>(() => ScoringBatch.Create(config, [task], 5, period: 40));
    }
}
