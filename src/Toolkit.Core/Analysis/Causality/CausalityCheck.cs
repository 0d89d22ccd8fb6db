using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>The result of a causality check: whether any logit at a position ≤ t moved when only tokens after t
/// changed, and if so where the leak first appears.</summary>
/// <param name="Cut">The position t of the first leaking trial (tokens after it were changed).</param>
/// <param name="MaxChange">The largest change of a logit at positions ≤ t over all trials.</param>
/// <param name="FirstLeakingHook">The first hook point, in forward order, whose activation at positions ≤ t moved.</param>
public sealed record CausalityReport(bool Causal, double MaxChange, int? Cut, string? FirstLeakingHook, int Trials, double Tolerance)
{
    public override string ToString() => Causal
        ? $"causal: over {Trials} trials, changing tokens after a position t never moved a logit at a position ≤ t by more than {Tolerance:G1} (largest change {MaxChange:G2})"
        : $"NOT causal: changing tokens after position {Cut} moved logits at positions ≤ {Cut} by up to {MaxChange:G3}; " +
          $"the first activation that moved is {FirstLeakingHook ?? "(none of the hook points: the leak is in the unembedding)"}";
}

/// <summary>A leak detector for the "the model sees the future" bug (docs/design.md §4): a next-token model whose
/// position t can read token t+1 reaches near-perfect accuracy by copying the answer (the suspiciously good
/// Conv-Attn result of the research notes is one). The check perturbs every token after a cut t and requires the
/// logits at positions ≤ t not to move; on a leak, the activations at every hook point are compared in forward
/// order to name where the future first gets in.</summary>
public static class CausalityCheck
{
    /// <summary>Largest allowed change of a logit at positions ≤ t (float32 noise is far below; a causal model's
    /// past positions compute from the same numbers in the same order, so the change is normally exactly 0).</summary>
    public const double Tolerance = 1e-6;

    /// <summary>Checks the model on <paramref name="sequences"/> random sequences of n_ctx tokens, cutting at the
    /// first position, a quarter, half and three quarters of the context and the last-but-one position. An
    /// encoder-decoder reads its whole source by design (nothing there is predicted): its sequences end the source at a
    /// quarter of the context (source_end_token there, and nowhere before), and only cuts at or after it are tried.</summary>
    public static CausalityReport Run(HookedTransformer model, ulong seed = 0, int sequences = 4)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var evalMode = model.EvalMode();
        var n = model.Config.NCtx;
        var vocab = model.Config.DVocab;
        var random = new Random((int)(seed % int.MaxValue));
        var sourceEnd = model.Config.SourceEndToken is int sep ? Math.Min(Math.Max(1, n / 4), n - 2) : -1;
        var cuts = new[] { 0, n / 4, n / 2, 3 * n / 4, n - 2 }.Where(c => c >= 0 && c < n - 1 && c >= sourceEnd).Distinct().ToList();
        double maxChange = 0;
        var trials = 0;
        foreach (var cut in cuts)
        {
            using var trial = NewDisposeScope();
            var clean = new long[sequences * n];
            for (var i = 0; i < clean.Length; i++) clean[i] = random.NextInt64(vocab);
            if (model.Config.SourceEndToken is int end)
                for (var b = 0; b < sequences; b++)
                {
                    for (var p = 0; p < sourceEnd; p++)
                        if (clean[b * n + p] == end) clean[b * n + p] = (end + 1) % vocab;
                    clean[b * n + sourceEnd] = end;
                }
            var changed = (long[])clean.Clone();
            for (var b = 0; b < sequences; b++)
                for (var p = cut + 1; p < n; p++)
                    changed[b * n + p] = vocab < 2 ? clean[b * n + p] : (clean[b * n + p] + 1 + random.NextInt64(vocab - 1)) % vocab;
            var cleanTokens = tensor(clean, new long[] { sequences, n }, device: model.Device);
            var changedTokens = tensor(changed, new long[] { sequences, n }, device: model.Device);
            var (cleanLogits, cleanActivations) = Record(model, cleanTokens);
            var (changedLogits, changedActivations) = Record(model, changedTokens);
            var change = MaxChange(cleanLogits, changedLogits, cut, positionDim: 1);
            maxChange = Math.Max(maxChange, change);
            trials++;
            if (change > Tolerance)
            {
                var first = cleanActivations.Zip(changedActivations)
                    .FirstOrDefault(a => MaxChange(a.First.Value, a.Second.Value, cut, PositionDim(a.First.Name)) > Tolerance).First.Name;
                return new CausalityReport(false, change, cut, first, trials, Tolerance);
            }
        }
        return new CausalityReport(true, maxChange, null, null, trials, Tolerance);
    }

    /// <summary>Logits and every hook point's activation, in the order the forward pass reached them.</summary>
    private static (Tensor Logits, List<(string Name, Tensor Value)> Activations) Record(HookedTransformer model, Tensor tokens)
    {
        var activations = new List<(string, Tensor)>();
        var attached = model.HookPoints.Values.Select(h => h.Add((x, hook) => { activations.Add((hook.Name, x.detach().clone())); return null; })).ToList();
        try { return (model.forward(tokens), activations); }
        finally { foreach (var a in attached) a.Dispose(); }
    }

    /// <summary>Attention scores and patterns are [batch, head, query, key]: positions are the query axis.</summary>
    private static int PositionDim(string hook) => hook.EndsWith("hook_attn_scores", StringComparison.Ordinal) || hook.EndsWith("hook_pattern", StringComparison.Ordinal) ? 2 : 1;

    /// <summary>Largest |a − b| over positions ≤ cut along <paramref name="positionDim"/>; equal values (−∞ in
    /// masked scores included) count as no change.</summary>
    private static double MaxChange(Tensor a, Tensor b, int cut, int positionDim)
    {
        using var scope = NewDisposeScope();
        if (a.dim() <= positionDim) return 0;
        var pastA = a.narrow(positionDim, 0, cut + 1).to_type(ScalarType.Float64);
        var pastB = b.narrow(positionDim, 0, cut + 1).to_type(ScalarType.Float64);
        var difference = pastA.sub(pastB).abs().masked_fill(pastA.eq(pastB), Scalars.Zero).nan_to_num(0, double.MaxValue, double.MaxValue);
        return difference.max().item<double>();
    }
}
