using Toolkit.Data;
using Toolkit.Model;
using Toolkit.Tasks;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>The batch head scores are measured on (docs/design.md §4): random tokens with a block of
/// length <see cref="Period"/> repeated twice from a random start, the period chosen unlike any
/// period seen in training, so a memorized offset cannot pass for an induction head.</summary>
public sealed class ScoringBatch : IDisposable
{
    /// <summary>Tokens [batch, n_ctx].</summary>
    public Tensor Tokens { get; }
    /// <summary>Block length L of every sequence.</summary>
    public int Period { get; }
    /// <summary>Start of the first block in each sequence.</summary>
    public int[] Starts { get; }
    /// <summary>The examples, for rendering.</summary>
    public IReadOnlyList<Example> Examples { get; }

    private ScoringBatch(Tensor tokens, int period, int[] starts, IReadOnlyList<Example> examples)
    {
        Tokens = tokens; Period = period; Starts = starts; Examples = examples;
    }

    /// <summary>Chooses the scoring period: the longest that leaves room for at least five start
    /// offsets and was not seen in training (falling back to any unseen period that fits).</summary>
    public static int ChoosePeriod(int nCtx, IEnumerable<int> seenPeriods, int maxDistinctTokens)
    {
        var seen = seenPeriods.ToHashSet();
        var longest = Math.Min(nCtx / 2, maxDistinctTokens);
        for (var slack = 4; slack >= 0; slack -= 4)
            for (var period = Math.Min(longest, (nCtx - slack) / 2); period >= 3; period--)
                if (!seen.Contains(period)) return period;
        throw new ToolkitException($"every period that fits n_ctx {nCtx} was seen in training, so no scoring period is left",
            "score heads on a model with a longer context, or train on fewer periods");
    }

    /// <summary>The scoring batch of a run: drawn from the run seed's scoring stream, so the trainer's
    /// metrics, <c>toolkit heads</c>, analysis and reports all score heads on the same sequences.</summary>
    public static ScoringBatch ForRun(HookedTransformer model, IEnumerable<int> seenPeriods, long runSeed) =>
        Create(model.Config, seenPeriods, Seeds.Derive(runSeed, Seeds.Stream.Scoring), device: model.Device);

    /// <summary>Builds the scoring batch for a model trained on a task with the given seen periods.</summary>
    public static ScoringBatch Create(ModelConfig config, IEnumerable<int> seenPeriods, ulong seed, int count = 32, Device? device = null)
    {
        // One token id is PAD in the repeated-copy layout; block tokens are distinct and the filler avoids them.
        var period = ChoosePeriod(config.NCtx, seenPeriods, config.DVocab - 2);
        var task = Catalog.Create("repeated-copy", new Dictionary<string, string>
        {
            ["context"] = config.NCtx.ToString(), ["vocab"] = config.DVocab.ToString(), ["period"] = period.ToString(),
            ["start"] = "any", ["filler"] = "random", ["collisions"] = "false",
        });
        var examples = Sampling.examples(task, seed, count);
        var starts = examples.Select(e => e.Meta["start"]).ToArray();
        var tokens = Batch.From(examples, device ?? CPU);
        tokens.LossMask.Dispose();
        return new ScoringBatch(tokens.Tokens, period, starts, examples);
    }

    public void Dispose() => Tokens.Dispose();
}
