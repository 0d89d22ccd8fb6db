using Toolkit.Data;
using Toolkit.Evaluation;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Tasks;
using static TorchSharp.torch;

namespace Toolkit.Tests;

/// <summary>Evaluation splits its examples into batches whose logits stay under a budget (Evaluator.LogitBudget); the
/// numbers do not depend on the split.</summary>
public class EvaluatorBatchingTests
{
    [Test]
    public void Batches_shrink_only_where_the_logits_outgrow_the_budget()
    {
        Assert.That(Evaluator.RowsPerBatch(new ModelConfig(), 128), Is.EqualTo(128), "the demo's model: 64 × 64 per sequence");
        Assert.That(Evaluator.RowsPerBatch(new ModelConfig { DVocab = 256, NCtx = 256 }, 128), Is.EqualTo(128), "byte-level text");
        Assert.That(Evaluator.RowsPerBatch(new ModelConfig { DVocab = 21_888, NCtx = 256 }, 128), Is.EqualTo(1), "GPT-2's tokens");
        Assert.That(Evaluator.RowsPerBatch(new ModelConfig { DVocab = 50_257, NCtx = 1024 }, 128), Is.EqualTo(1), "never below one sequence");
    }

    [Test]
    public void A_large_vocabulary_evaluated_a_sequence_at_a_time_gives_what_one_batch_gives()
    {
        // d_vocab 8,192 × context 32 puts 32 sequences under the budget: 40 examples are two batches (32 and 8), against
        // 40 batches of one sequence.
        using var scope = NewDisposeScope();
        var task = new TaskSpec { Name = "repeated-copy", Parameters = new() { ["period"] = "6..12", ["vocab"] = "64", ["context"] = "32" } }.Create();
        var examples = Sampling.examples(task, 7UL, 40);
        manual_seed(3);
        using var large = new HookedTransformer(new ModelConfig { DVocab = 8_192, NCtx = 32 });
        Assert.That(Evaluator.RowsPerBatch(large.Config, 128), Is.EqualTo(32));
        var split = Evaluator.Evaluate(large, examples);
        var whole = Evaluator.Evaluate(large, examples, batchSize: 1);
        Assert.That(split.Loss, Is.EqualTo(whole.Loss).Within(1e-5));
        Assert.That(split.CorrectPerSequence, Is.EqualTo(whole.CorrectPerSequence));
        Assert.That(split.Positions, Is.EqualTo(whole.Positions));
    }
}
