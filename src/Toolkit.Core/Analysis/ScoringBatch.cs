using Toolkit.Data;
using Toolkit.Model;
using Toolkit.Tasks;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>The batch head scores are measured on (docs/design.md §4): random tokens from the trained task's own
/// content range with a block of length <see cref="Period"/> repeated twice from a random start. The period Q
/// is chosen so the layout's induction offset (Q − 1), duplicate offset (Q) and previous-token offset (1)
/// coincide with no offset the training distribution makes predictive (<see cref="ITask.PredictiveOffsets"/>:
/// k·P and k·P − 1 for every trained period P and copy k), so a head that memorized a fixed offset cannot
/// pass for an induction or duplicate-token head.</summary>
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
    /// <summary>The layout chosen and why, in one line (printed by <c>toolkit heads</c> and <c>analyze</c>).</summary>
    public string Layout { get; }
    /// <summary>False when no period that fits avoids the predictive offsets: the scores are still computed
    /// (on the longest period that fits) but name no head, since they would credit the shortcut.</summary>
    public bool Measurable { get; }

    private ScoringBatch(Tensor tokens, int period, int[] starts, IReadOnlyList<Example> examples, string layout, bool measurable)
    {
        Tokens = tokens; Period = period; Starts = starts; Examples = examples; Layout = layout; Measurable = measurable;
    }

    /// <summary>Offsets a scoring layout of period <paramref name="period"/> credits: induction (Q − 1),
    /// duplicate token (Q) and previous token (1).</summary>
    public static int[] ScoredOffsets(int period) => [period - 1, period, 1];

    /// <summary>Chooses the scoring period: the longest (room for at least five start offsets preferred) whose
    /// <see cref="ScoredOffsets"/> avoid every predictive offset. Throws when none fits the context: head
    /// scores would then not be measurable without crediting the shortcut.</summary>
    public static int ChoosePeriod(int nCtx, IEnumerable<int> predictiveOffsets, int maxDistinctTokens)
    {
        var predictive = predictiveOffsets.ToHashSet();
        if (predictive.Contains(1))
            throw new ToolkitException("offset 1 is predictive in training (period 2), so a previous-token score would credit the shortcut: head scores are not measurable without crediting it",
                "train on periods of at least 3 to score heads");
        var longest = Math.Min(nCtx / 2, maxDistinctTokens);
        for (var slack = 4; slack >= 0; slack -= 4)
            for (var period = Math.Min(longest, (nCtx - slack) / 2); period >= 3; period--)
                if (!ScoredOffsets(period).Any(predictive.Contains)) return period;
        throw new ToolkitException($"every scoring period that fits n_ctx {nCtx} has its induction or duplicate offset predictive in training, so head scores are not measurable without crediting the shortcut",
            "score heads on a model with a longer context, or train on fewer periods or repeats");
    }

    /// <summary>The scoring batch of a run: drawn from the run seed's scoring stream, so the trainer's
    /// metrics, <c>toolkit heads</c>, analysis and reports all score heads on the same sequences.</summary>
    public static ScoringBatch ForRun(HookedTransformer model, ITask trainedOn, long runSeed) =>
        ForRun(model, [trainedOn], runSeed);

    /// <summary>The scoring batch of a run trained on several tasks in turn (fine-tuning): offsets predictive in
    /// any of them are avoided and tokens come from the content range they share.</summary>
    public static ScoringBatch ForRun(HookedTransformer model, IReadOnlyList<ITask> trainedOn, long runSeed) =>
        Create(model.Config, trainedOn, Seeds.Derive(runSeed, Seeds.Stream.Scoring), device: model.Device);

    /// <summary>Builds the scoring batch for a model trained on <paramref name="trainedOn"/>.</summary>
    public static ScoringBatch Create(ModelConfig config, IReadOnlyList<ITask> trainedOn, ulong seed, int count = 32, Device? device = null)
    {
        var lo = trainedOn.Select(t => t.Vocabulary.ContentStart).DefaultIfEmpty(1).Max();
        lo = Math.Max(lo, 1); // id 0 is PAD in the repeated-copy layout that builds the batch
        var hi = trainedOn.Select(t => t.Vocabulary.Size - 1).Append(config.DVocab - 1).Min();
        if (hi - lo + 1 < 4)
            throw new ToolkitException($"the trained tasks share only {Math.Max(0, hi - lo + 1)} content tokens ({lo}..{hi}), too few for a scoring batch",
                "score heads on a model trained on a task with at least 4 content tokens");
        var predictive = trainedOn.SelectMany(t => t.PredictiveOffsets).Distinct().Order().ToList();
        // Block tokens are distinct and the filler avoids them, so one content token is left for filler.
        int period;
        string? unmeasurable = null;
        try { period = ChoosePeriod(config.NCtx, predictive, hi - lo); }
        catch (ToolkitException e)
        {
            // Training and reports go on; the table says why no head is named.
            period = Math.Max(3, Math.Min(config.NCtx / 2, hi - lo));
            unmeasurable = e.Message;
        }
        var task = Catalog.Create("repeated-copy", new Dictionary<string, string>
        {
            ["context"] = config.NCtx.ToString(), ["vocab"] = config.DVocab.ToString(), ["period"] = period.ToString(),
            ["start"] = "any", ["filler"] = "random", ["collisions"] = "false", ["tokens"] = $"{lo}..{hi}",
        });
        var examples = Sampling.examples(task, seed, count);
        var starts = examples.Select(e => e.Meta["start"]).ToArray();
        var tokens = Batch.From(examples, device ?? CPU);
        tokens.LossMask.Dispose();
        var layout = $"scoring layout: period {period} (induction offset {period - 1}, duplicate {period}, previous-token 1), tokens {lo}..{hi}; " +
                     (unmeasurable is not null ? $"NOT MEASURABLE, no head is named: {unmeasurable}"
                      : predictive.Count == 0 ? "training makes no offset predictive"
                      : $"avoids the offsets training makes predictive: {Summarize(predictive)}");
        return new ScoringBatch(tokens.Tokens, period, starts, examples, layout, unmeasurable is null);
    }

    private static string Summarize(IReadOnlyList<int> offsets) =>
        offsets.Count <= 12 ? string.Join(",", offsets) : $"{string.Join(",", offsets.Take(10))},… ({offsets.Count} offsets, up to {offsets[^1]})";

    public void Dispose() => Tokens.Dispose();
}
