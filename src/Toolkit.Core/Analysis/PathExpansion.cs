using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>One term of the path expansion: a [d_vocab, d_vocab] map from input token to logits.</summary>
/// <param name="Name">"direct", a head ("L0H1") or a virtual head ("L0H1→L1H2").</param>
/// <param name="Norm">Frobenius norm of the map.</param>
/// <param name="TopMappings">For the first few input tokens: (input token, the output token with the largest entry in its row).</param>
/// <param name="Matrix">The map itself, row-major [d_vocab × d_vocab].</param>
public sealed record PathTerm(string Name, double Norm, IReadOnlyList<(int Input, int Output)> TopMappings, double[] Matrix);

/// <summary>The path expansion of an attention-only transformer's logits.</summary>
/// <remarks>Source: Elhage et al. 2021, "A Mathematical Framework for Transformer Circuits" (path
/// expansion of a 2-layer attention-only transformer), in the row-vector order of docs/design.md §4:
/// direct path <c>W_E W_U</c>, per-head terms <c>W_E W_OV^h W_U</c>, virtual heads
/// (V-composition) <c>W_E W_OV^h1 W_OV^h2 W_U</c> with h1 in an earlier layer than h2. Positional
/// embeddings, biases and attention weights (which scale each term per position) are left out,
/// as in the paper's token-to-token view.</remarks>
public static class PathExpansion
{
    /// <summary>All terms: direct path, one per head, one per virtual head (earlier → later layer).</summary>
    public static IReadOnlyList<PathTerm> Compute(HookedTransformer model, int topTokens = 5)
    {
        model.RequireSequentialBlocks("path expansion");
        if (!model.Config.AttnOnly)
            throw new ToolkitException("the path expansion is defined for attention-only models",
                "train with attn_only (the default) or analyse the heads one by one");
        using var scope = NewDisposeScope();
        var wE = HeadMatrices.F64(model.W_E);
        var wU = HeadMatrices.F64(model.W_U);
        var terms = new List<PathTerm> { Term("direct", wE.matmul(wU), topTokens) };
        var heads = HeadMatrices.All(model).ToList();
        var ov = heads.ToDictionary(x => x, x => HeadMatrices.OV(model, x.Layer, x.Head));
        var embedded = heads.ToDictionary(x => x, x => wE.matmul(ov[x]));
        foreach (var x in heads)
            terms.Add(Term(HeadMatrices.Name(x.Layer, x.Head), embedded[x].matmul(wU), topTokens));
        foreach (var a in heads)
            foreach (var b in heads.Where(b => b.Layer > a.Layer))
                terms.Add(Term($"{HeadMatrices.Name(a.Layer, a.Head)}→{HeadMatrices.Name(b.Layer, b.Head)}",
                    embedded[a].matmul(ov[b]).matmul(wU), topTokens));
        return terms;
    }

    private static PathTerm Term(string name, Tensor map, int topTokens)
    {
        var rows = (int)map.shape[0];
        var argmax = map.argmax(1).data<long>().ToArray();
        var top = Enumerable.Range(0, Math.Min(topTokens, rows)).Select(i => (i, (int)argmax[i])).ToList();
        return new PathTerm(name, HeadMatrices.Frobenius(map), top, map.contiguous().data<double>().ToArray());
    }
}
