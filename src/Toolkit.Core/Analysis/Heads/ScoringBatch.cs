using Toolkit.Data;
using Toolkit.Model;
using Toolkit.Tasks;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>The batch head scores are measured on (docs/design.md §4): random tokens from those the trained task's
/// examples use (<see cref="TaskTokens.used"/>: its content range, or the distinct tokens of a text corpus) with a
/// block of length <see cref="Period"/> repeated twice from a random start. The period Q
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
    /// <summary>The token ids the sequences are drawn from, ascending: those every trained task uses.</summary>
    public IReadOnlyList<int> TokenIds { get; }
    /// <summary>The layout chosen and why, in one line (printed by <c>toolkit heads</c> and <c>analyze</c>).</summary>
    public string Layout { get; }
    /// <summary>False when no period that fits avoids the predictive offsets: the scores are still computed
    /// (on the longest period that fits) but name no head, since they would credit the shortcut.</summary>
    public bool Measurable { get; }

    private ScoringBatch(Tensor tokens, int period, int[] starts, IReadOnlyList<Example> examples, IReadOnlyList<int> tokenIds, string layout, bool measurable)
    {
        Tokens = tokens; Period = period; Starts = starts; Examples = examples; TokenIds = tokenIds; Layout = layout; Measurable = measurable;
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
        if (longest < 3)
            throw new ToolkitException($"n_ctx {nCtx} with {maxDistinctTokens + 1} tokens leaves no room for a scoring block of 3 or more tokens repeated twice: head scores are not measurable",
                "score heads on a model with n_ctx 6 or more (a model may be longer than its task)");
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
    /// any of them are avoided and tokens come from those they all use.</summary>
    public static ScoringBatch ForRun(HookedTransformer model, IReadOnlyList<ITask> trainedOn, long runSeed) =>
        Create(model.Config, trainedOn, Seeds.Derive(runSeed, Seeds.Stream.Scoring), device: model.Device);

    /// <summary>Builds the scoring batch for a model trained on <paramref name="trainedOn"/>. <paramref name="period"/>
    /// fixes the block length instead of choosing it (to see how scores depend on it); a period whose scored offsets
    /// training makes predictive names no head.</summary>
    public static ScoringBatch Create(ModelConfig config, IReadOnlyList<ITask> trainedOn, ulong seed, int count = 32, Device? device = null, int? period = null)
    {
        // Id 0 is PAD in the repeated-copy layout that builds the batch; ids past d_vocab do not fit the model.
        var ids = (trainedOn.Count == 0 ? Enumerable.Range(1, Math.Max(0, config.DVocab - 1))
                : trainedOn.Select(t => (IEnumerable<int>)TaskTokens.used(t)).Aggregate((a, b) => a.Intersect(b)))
            .Where(t => t >= 1 && t < config.DVocab).Distinct().Order().ToArray();
        if (ids.Length < 4)
            throw new ToolkitException($"the trained tasks share only {ids.Length} content tokens ({Ranges(ids)}), too few for a scoring batch",
                "score heads on a model trained on a task with at least 4 content tokens");
        var predictive = trainedOn.SelectMany(t => t.PredictiveOffsets).Distinct().Order().ToList();
        // Block tokens are distinct and the filler avoids them, so one content token is left for filler.
        string? unmeasurable = null;
        int q;
        if (period is int fixedPeriod)
        {
            if (fixedPeriod < 3 || fixedPeriod > Math.Min(config.NCtx / 2, ids.Length - 1))
                throw new ToolkitException($"scoring period {fixedPeriod} does not fit n_ctx {config.NCtx} with {ids.Length} tokens",
                    $"choose a period from 3 to {Math.Min(config.NCtx / 2, ids.Length - 1)}");
            q = fixedPeriod;
            var hit = ScoredOffsets(q).Where(predictive.Contains).ToList();
            if (hit.Count > 0) unmeasurable = $"the chosen period {q} scores offsets training makes predictive ({string.Join(",", hit)})";
        }
        else
        {
            try { q = ChoosePeriod(config.NCtx, predictive, ids.Length - 1); }
            catch (ToolkitException e)
            {
                // Training and reports go on; the table says why no head is named.
                // The longest period that fits, down to 2 for a context of 4 or 5 (modular-addition's 4 tokens).
                q = Math.Max(Math.Min(3, config.NCtx / 2), Math.Min(config.NCtx / 2, ids.Length - 1));
                if (q < 2)
                    throw new ToolkitException($"n_ctx {config.NCtx} is too short for any scoring layout (a block repeated twice)", "use n_ctx 4 or more");
                unmeasurable = e.Message;
            }
        }
        // The layout is drawn over ids 1..n and mapped onto the used ids (the draws depend only on positions in the
        // list, so a contiguous range lo..hi gives the same sequences as drawing from lo..hi directly).
        var task = Catalog.Create("repeated-copy", new Dictionary<string, string>
        {
            ["context"] = config.NCtx.ToString(), ["vocab"] = (ids.Length + 1).ToString(), ["period"] = q.ToString(),
            ["start"] = "any", ["filler"] = "random", ["collisions"] = "false", ["tokens"] = $"1..{ids.Length}",
        });
        var examples = Sampling.examples(task, seed, count)
            .Select(e => new Example(e.Tokens.Select(t => t == 0 ? 0 : ids[t - 1]).ToArray(), e.LossMask, e.Meta)).ToArray();
        var starts = examples.Select(e => e.Meta["start"]).ToArray();
        var tokens = Batch.From(examples, device ?? CPU);
        tokens.LossMask.Dispose();
        var tokenText = ids[^1] - ids[0] + 1 == ids.Length ? $"tokens {ids[0]}..{ids[^1]}"
            : $"tokens {Ranges(ids, trainedOn.FirstOrDefault() as ITokenNames)} ({ids.Length} ids training uses)";
        var layout = $"scoring layout: period {q} (induction offset {q - 1}, duplicate {q}, previous-token 1), {tokenText}; " +
                     (unmeasurable is not null ? $"NOT MEASURABLE, no head is named: {unmeasurable}"
                      : predictive.Count == 0 ? "training makes no offset predictive"
                      : $"avoids the offsets training makes predictive: {Summarize(predictive)}");
        return new ScoringBatch(tokens.Tokens, q, starts, examples, ids, layout, unmeasurable is null);
    }

    /// <summary>Ascending ids as runs, "11,33..127" (at most 12 runs shown), each run followed by its tokens' text
    /// when the task names them (a text model's bytes).</summary>
    private static string Ranges(IReadOnlyList<int> ids, ITokenNames? names = null)
    {
        var runs = new List<(int Lo, int Hi)>();
        foreach (var id in ids)
            if (runs.Count > 0 && runs[^1].Hi == id - 1) runs[^1] = (runs[^1].Lo, id);
            else runs.Add((id, id));
        string Name(int id) => names is null ? "" : $"'{names.TokenName(id)}'";
        string Run((int Lo, int Hi) r) => (r.Lo == r.Hi ? $"{r.Lo}" : $"{r.Lo}..{r.Hi}") +
            (names is null ? "" : r.Lo == r.Hi ? $" {Name(r.Lo)}" : $" {Name(r.Lo)}..{Name(r.Hi)}");
        var shown = string.Join(", ", runs.Take(12).Select(Run));
        return runs.Count <= 12 ? shown : $"{shown}, … ({runs.Count} runs)";
    }

    private static string Summarize(IReadOnlyList<int> offsets) =>
        offsets.Count <= 12 ? string.Join(",", offsets) : $"{string.Join(",", offsets.Take(10))},… ({offsets.Count} offsets, up to {offsets[^1]})";

    public void Dispose() => Tokens.Dispose();
}
