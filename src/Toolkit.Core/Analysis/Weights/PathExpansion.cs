using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>One term of the path expansion: a [d_vocab, d_vocab] map from input token to logits, described without
/// forming it.</summary>
/// <param name="Name">"direct", a head ("L0H1") or a virtual head ("L0H1→L1H2").</param>
/// <param name="Norm">Frobenius norm of the map.</param>
/// <param name="TopMappings">For the first few input tokens: the input token and the output token with the largest entry in its row.</param>
public sealed record PathTerm(string Name, double Norm, IReadOnlyList<TokenMapping> TopMappings);

/// <summary>An input token and the output token a path maps it to most strongly.</summary>
public readonly record struct TokenMapping(int Input, int Output);

/// <summary>The path expansion of an attention-only transformer's logits.</summary>
/// <remarks>Source: Elhage et al. 2021, "A Mathematical Framework for Transformer Circuits" (path
/// expansion of a 2-layer attention-only transformer), in the row-vector order of docs/design.md §4:
/// direct path <c>W_E W_U</c>, per-head terms <c>W_E W_OV^h W_U</c>, virtual heads
/// (V-composition) <c>W_E W_OV^h1 W_OV^h2 W_U</c> with h1 in an earlier layer than h2. Positional
/// embeddings, biases and attention weights (which scale each term per position) are left out,
/// as in the paper's token-to-token view.
/// Every term is <c>W_E M W_U</c> with M [d_model, d_model], and nothing [d_vocab, d_vocab] is formed, so text
/// vocabularies (50k) cost what d_model does: ‖W_E M W_U‖²_F = tr(G_E M G_U Mᵀ) with the Gram matrices
/// G_E = W_Eᵀ W_E and G_U = W_U W_Uᵀ, and a row of the map is one token's embedding through M and W_U.</remarks>
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
        using var _ = no_grad();
        var wE = HeadMatrices.F64(model.W_E);
        var wU = HeadMatrices.F64(model.W_U);
        var gramE = wE.t().matmul(wE);
        var gramU = wU.matmul(wU.t());
        var firstTokens = wE.narrow(0, 0, Math.Min(topTokens, wE.shape[0]));
        PathTerm Term(string name, Tensor m)
        {
            using var inner = NewDisposeScope();
            var norm = Math.Sqrt(Math.Max(0, gramE.matmul(m).mul(m.matmul(gramU)).sum().item<double>()));
            var argmax = firstTokens.matmul(m).matmul(wU).argmax(1).data<long>().ToArray();
            return new PathTerm(name, norm, argmax.Select((o, i) => new TokenMapping(i, (int)o)).ToList());
        }
        var identity = eye(wE.shape[1], dtype: ScalarType.Float64, device: wE.device);
        var terms = new List<PathTerm> { Term("direct", identity) };
        var heads = HeadMatrices.All(model).ToList();
        var ov = heads.ToDictionary(x => x, x => HeadMatrices.OV(model, x.Layer, x.Head));
        foreach (var x in heads)
            terms.Add(Term(HeadMatrices.Name(x.Layer, x.Head), ov[x]));
        foreach (var a in heads)
            foreach (var b in heads.Where(b => b.Layer > a.Layer))
                terms.Add(Term($"{HeadMatrices.Name(a.Layer, a.Head)}→{HeadMatrices.Name(b.Layer, b.Head)}", ov[a].matmul(ov[b])));
        return terms;
    }
}
