using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>Where the residual stream is read: the embeddings (entering block 0), after a block's attention
/// (resid_mid), or after its MLP (resid_post).</summary>
public enum StreamSite
{
    /// <summary>blocks.0.hook_resid_pre: token and position embeddings.</summary>
    Embed,
    /// <summary>blocks.L.hook_resid_mid: after block L's attention, before its MLP.</summary>
    AfterAttention,
    /// <summary>blocks.L.hook_resid_post: after block L's MLP.</summary>
    AfterMlp,
}

/// <summary>One read point of the stream: its site and block (−1 for the embeddings).</summary>
public sealed record StreamPoint(StreamSite Site, int Block)
{
    /// <summary>"embed", "L1 attn", "L1 mlp".</summary>
    public string Name => Site switch
    {
        StreamSite.Embed => "embed",
        StreamSite.AfterAttention => $"L{Block} attn",
        _ => $"L{Block} mlp",
    };

    /// <summary>The hook point holding the stream at this point.</summary>
    public string Hook => Site switch
    {
        StreamSite.Embed => "blocks.0.hook_resid_pre",
        StreamSite.AfterAttention => $"blocks.{Block}.hook_resid_mid",
        _ => $"blocks.{Block}.hook_resid_post",
    };
}

/// <summary>What the stream at one point says about one target token per sequence, through the logit lens.</summary>
/// <param name="Target">The target's name (e.g. "argument", "answer").</param>
/// <param name="Top1">Share of sequences whose lens top-1 is the target.</param>
/// <param name="MeanRank">Mean rank of the target (0 = strictly above every other token; ties count against it).</param>
/// <param name="Ranks">Each sequence's rank of the target.</param>
public sealed record TargetReading(string Target, double Top1, double MeanRank, IReadOnlyList<long> Ranks);

/// <summary>The logit lens at one stream point: each sequence's top-1 token and each target's reading.</summary>
public sealed record StreamLensPoint(StreamPoint Point, IReadOnlyList<long> TopTokens, IReadOnlyList<TargetReading> Targets)
{
    /// <summary>The reading of a target by name.</summary>
    public TargetReading this[string target] => Targets.FirstOrDefault(t => t.Target == target)
        ?? throw new ToolkitException($"the stream lens read no target '{target}'", $"it read: {string.Join(", ", Targets.Select(t => t.Target))}");
}

/// <summary>The logit lens at one read position per sequence (e.g. the query position of a relational prompt), at
/// every point of the stream: the embeddings, and after each block's attention and after its MLP, so an answer that
/// appears between the two was written by the MLP (docs/design.md §4, the relational mechanism).</summary>
/// <remarks>Each point's stream goes through the final LayerNorm (with its own statistics, when the model has one) and
/// the unembedding (<see cref="HookedTransformer.Unembed"/>), as <see cref="LogitLens"/> does after every block.</remarks>
public static class StreamLens
{
    /// <summary>The stream's read points of a model in order: embed, then attn and mlp of every block.</summary>
    public static IReadOnlyList<StreamPoint> Points(HookedTransformer model) =>
        new[] { new StreamPoint(StreamSite.Embed, -1) }
            .Concat(Enumerable.Range(0, model.Config.NLayers).SelectMany(l => new[] { new StreamPoint(StreamSite.AfterAttention, l), new StreamPoint(StreamSite.AfterMlp, l) }))
            .ToList();

    /// <summary>Per stream point, each sequence's lens top-1 at <paramref name="positions"/> (one per sequence of
    /// <paramref name="tokens"/> [batch, pos]) and the rank of each named target token (one per sequence).</summary>
    public static IReadOnlyList<StreamLensPoint> Run(HookedTransformer model, Tensor tokens, IReadOnlyList<long> positions,
        IReadOnlyList<(string Name, IReadOnlyList<long> Tokens)> targets)
    {
        RequireSerialBlocksWithMlp(model, "the stream lens");
        CheckRows(tokens, positions);
        foreach (var t in targets)
            if (t.Tokens.Count != positions.Count)
                throw new ToolkitException($"target '{t.Name}' has {t.Tokens.Count} tokens for {positions.Count} sequences", "give one target token per sequence");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var evalMode = model.EvalMode();
        tokens = tokens.to(model.Device);
        var points = Points(model);
        var (_, cache) = model.RunWithCache(tokens, n => points.Any(p => p.Hook == n));
        var result = new List<StreamLensPoint>();
        foreach (var point in points)
        {
            var logits = model.Unembed(PositionRows.At(cache[point.Hook], positions)).to_type(ScalarType.Float64); // [n, vocab]
            var top = logits.argmax(1).data<long>().ToArray();
            var readings = targets.Select(t =>
            {
                var ids = tensor(t.Tokens.ToArray(), device: logits.device).unsqueeze(1);
                var correct = logits.gather(1, ids);                                                 // [n, 1]
                var ranks = logits.ge(correct).sum(1).sub(Scalars.One).to_type(ScalarType.Int64).data<long>().ToArray(); // others at least as high
                var top1 = top.Zip(t.Tokens, (a, b) => a == b ? 1.0 : 0.0).DefaultIfEmpty(double.NaN).Average();
                return new TargetReading(t.Name, top1, ranks.Select(r => (double)r).DefaultIfEmpty(double.NaN).Average(), ranks);
            }).ToList();
            result.Add(new StreamLensPoint(point, top, readings));
        }
        return result;
    }

    /// <summary>The first point at or after which a target is the lens top-1 for at least <paramref name="share"/> of
    /// the sequences, or null when none reaches it.</summary>
    public static StreamPoint? FirstTop(IReadOnlyList<StreamLensPoint> lens, string target, double share = 0.5) =>
        lens.FirstOrDefault(p => p[target].Top1 >= share)?.Point;

    /// <summary>Refuses what the relational analyses cannot read as "attention, then the MLP, per block": routed pools
    /// and encoder-decoders (<see cref="HookedTransformer.RequireSequentialBlocks"/>), masked LMs, attention-only models
    /// (no MLP) and parallel attention and MLP (no stream between them).</summary>
    internal static void RequireSerialBlocksWithMlp(HookedTransformer model, string analysis)
    {
        model.RequireNextToken(analysis);
        model.RequireSequentialBlocks(analysis);
        if (model.Config.AttnOnly)
            throw new ToolkitException($"{analysis} reads each block's MLP, but this model is attention-only", "train a model with MLPs (--attn-only false)");
        if (model.Config.ParallelAttnMlp)
            throw new ToolkitException($"{analysis} reads the stream between a block's attention and its MLP, but this model runs them in parallel", "use a model with serial blocks (no --parallel-attn-mlp)");
    }

    /// <summary>Checks one read position per sequence, inside the sequence.</summary>
    internal static void CheckRows(Tensor tokens, IReadOnlyList<long> positions)
    {
        if (tokens.dim() != 2 || tokens.shape[0] != positions.Count)
            throw new ToolkitException($"{positions.Count} read positions for tokens of shape [{string.Join(", ", tokens.shape)}]", "give [batch, pos] tokens and one read position per sequence");
        if (positions.Any(p => p < 0 || p >= tokens.shape[1]))
            throw new ToolkitException($"a read position lies outside 0..{tokens.shape[1] - 1}", "read at a position inside the sequence");
    }
}
