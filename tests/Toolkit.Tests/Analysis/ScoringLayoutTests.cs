using FsCheck;
using FsCheck.Fluent;
using NUnit.Framework;
using Toolkit.Analysis;
using Toolkit.Model;
using Toolkit.Tasks;
using static TorchSharp.torch;

namespace Toolkit.Tests.Analysis;

/// <summary>The scoring layout never credits a head that memorized an offset training makes predictive
/// (issue 11 §1), and the scoring batch uses the trained task's own content tokens.</summary>
[TestFixture]
public class ScoringLayoutTests
{
    private static ITask RepeatedCopy(string period, int repeats, int context = 64, int vocab = 64) =>
        Catalog.Create("repeated-copy", new Dictionary<string, string>
        {
            ["context"] = context.ToString(), ["vocab"] = vocab.ToString(), ["period"] = period, ["repeats"] = repeats.ToString(),
        });

    /// <summary>One layer, one head per offset; head h attends exactly <c>offsets[h]</c> positions back
    /// (one-hot positional embeddings, query e_i matched to key e_{j+o}), writing nothing.</summary>
    private static HookedTransformer FixedOffsetModel(IReadOnlyList<int> offsets, int context, int vocab)
    {
        var m = new HookedTransformer(new ModelConfig
        {
            NLayers = 1, NHeads = offsets.Count, DModel = context, DHead = context, DVocab = vocab, NCtx = context, AttnOnly = true,
        });
        m.eval();
        var c = (float)Math.Sqrt(30 * Math.Sqrt(context));
        using (no_grad())
        {
            foreach (var (_, p) in m.named_parameters()) p.zero_();
            using (var pos = eye(context)) m.W_pos.copy_(pos);
            var attn = m.blocks[0].attn;
            for (var h = 0; h < offsets.Count; h++)
            {
                var q = new float[context, context];
                var k = new float[context, context];
                for (var i = 0; i < context; i++) q[i, i] = c;
                for (var j = 0; j + offsets[h] < context; j++) k[j, j + offsets[h]] = c;
                using var qt = tensor(q);
                using var kt = tensor(k);
                attn.W_Q[h].copy_(qt);
                attn.W_K[h].copy_(kt);
            }
        }
        return m;
    }

    [TestCase("15", 4)] // measured: period 30 = 2·15 credited the memorized offset 2P−1 = 29 as induction
    [TestCase("30", 2)] // period P−1 = 29 credited the memorized offset P−1 as duplicate-token
    [TestCase("31", 2)]
    [TestCase("10", 3)]
    [TestCase("8..12", 2)]
    public void A_fixed_offset_memorizer_is_named_nothing(string period, int repeats)
    {
        var task = RepeatedCopy(period, repeats);
        var config = new ModelConfig { NLayers = 1, DVocab = 64, NCtx = 64 };
        using var batch = ScoringBatch.Create(config, [task], 7);
        TestContext.Out.WriteLine(batch.Layout);
        var offsets = task.PredictiveOffsets.ToList();
        Assert.That(offsets, Is.Not.Empty);
        // Control heads at the layout's own offsets show the built heads really attend where they are told.
        var heads = offsets.Append(batch.Period - 1).Append(batch.Period).ToList();
        using var model = FixedOffsetModel(heads, 64, 64);
        var table = HeadScores.Compute(model, batch);
        var memorizers = Enumerable.Range(0, offsets.Count).Select(h => $"L0H{h}").ToHashSet();
        Assert.That(table.Named(HeadRole.Induction).Select(h => h.Name), Does.Not.Contain($"L0H{offsets.Count + 1}").And.Contain($"L0H{offsets.Count}"));
        Assert.That(table.Named(HeadRole.DuplicateToken).Select(h => h.Name), Does.Contain($"L0H{offsets.Count + 1}"));
        foreach (var role in new[] { HeadRole.Induction, HeadRole.DuplicateToken, HeadRole.PreviousToken })
            Assert.That(table.Named(role).Where(h => memorizers.Contains(h.Name)).Select(h => h.Name), Is.Empty, $"{role}: {batch.Layout}");
    }

    [Test]
    public void When_no_layout_avoids_the_shortcut_the_scores_say_so_and_name_nothing()
    {
        var task = RepeatedCopy("2", 2); // offset 1 (P − 1) is predictive: a previous-token head is the shortcut
        using var batch = ScoringBatch.Create(new ModelConfig { NLayers = 1, DVocab = 64, NCtx = 64 }, [task], 7);
        Assert.That(batch.Measurable, Is.False);
        Assert.That(batch.Layout, Does.Contain("NOT MEASURABLE"));
        using var model = FixedOffsetModel([1, 2, batch.Period - 1, batch.Period], 64, 64);
        var table = HeadScores.Compute(model, batch);
        Assert.That(table.Heads.Max(h => h.Induction), Is.GreaterThan(0.9), "the control head attends where it is told");
        foreach (var role in new[] { HeadRole.Induction, HeadRole.DuplicateToken, HeadRole.PreviousToken })
            Assert.That(table.Named(role), Is.Empty);
    }

    [Test]
    public void The_layout_offsets_avoid_every_predictive_offset()
    {
        var cases = from lo in Gen.Choose(2, 25)
                    from width in Gen.Choose(0, 6)
                    from repeats in Gen.Choose(2, 5)
                    from context in Gen.Choose(24, 128)
                    select (lo, width, repeats, context);
        Prop.ForAll(cases.ToArbitrary(), c =>
            {
                var (lo, width, repeats, context) = c;
                ITask task;
                try { task = RepeatedCopy($"{lo}..{lo + width}", repeats, context, context); }
                catch (TaskParameterException) { return true; } // does not fit the context
                // Predictive offsets computed here independently of the task: k·P and k·P−1 for every copy k of every
                // trained period (the held-out one, by default the middle of a range of 3 or more, is never trained).
                var heldOut = width >= 2 ? lo + width / 2 : -1;
                Assert.That(task.Parameters["holdout"], Is.EqualTo(heldOut < 0 ? "none" : heldOut.ToString()));
                var predictive = new HashSet<int>();
                for (var p = lo; p <= lo + width; p++)
                    if (p != heldOut)
                        for (var k = 1; k < repeats; k++) { predictive.Add(k * p); predictive.Add(k * p - 1); }
                Assert.That(task.PredictiveOffsets, Is.SubsetOf(predictive).And.SupersetOf(predictive));
                int chosen;
                try { chosen = ScoringBatch.ChoosePeriod(context, task.PredictiveOffsets, context - 2); }
                catch (ToolkitException)
                {
                    // Said so honestly: no period that fits avoids them.
                    return predictive.Contains(1) || Enumerable.Range(3, Math.Max(0, Math.Min(context / 2, context - 2) - 2))
                        .All(q => ScoringBatch.ScoredOffsets(q).Any(predictive.Contains));
                }
                return !ScoringBatch.ScoredOffsets(chosen).Any(predictive.Contains) && 2 * chosen <= context;
            }).Check(PropertyConfig.Quick);
    }

    [Test]
    public void Every_catalog_task_is_scored_on_its_own_content_tokens()
    {
        foreach (var factory in Catalog.All)
        {
            var task = factory.Create(new Dictionary<string, string>());
            var vocab = task.Vocabulary;
            var config = new ModelConfig { DVocab = vocab.Size, NCtx = task.Context };
            ScoringBatch batch;
            try { batch = ScoringBatch.Create(config, [task], 3); }
            catch (ToolkitException e) { TestContext.Out.WriteLine($"{factory.Name}: {e.Message}"); continue; }
            using (batch)
            {
                var tokens = batch.Tokens.data<long>().ToArray();
                TestContext.Out.WriteLine($"{factory.Name}: content {vocab.ContentStart}..{vocab.Size - 1}; {batch.Layout}");
                Assert.That(tokens, Is.All.InRange((long)vocab.ContentStart, vocab.Size - 1), factory.Name);
                Assert.That(tokens.Distinct(), Is.SubsetOf(TaskTokens.used(task).Select(t => (long)t)), factory.Name);
            }
        }
    }
}
