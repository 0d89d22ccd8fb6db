using System.Diagnostics;
using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>Result of path patching one sender → receiver input.</summary>
/// <param name="SenderLayer">Layer of the sender head.</param>
/// <param name="SenderHead">Index of the sender head.</param>
/// <param name="ReceiverLayer">Layer of the receiver head (later than the sender's).</param>
/// <param name="ReceiverHead">Index of the receiver head.</param>
/// <param name="Input">The receiver input patched (Q, K or V).</param>
/// <param name="LogitDiff">Mean logit difference of the patched run.</param>
/// <param name="Effect">(clean − patched) / (clean − corrupted): the share of the corruption's effect
/// carried by this path alone (0: none, 1: all of it).</param>
/// <param name="CleanLogitDiff">Mean logit difference of the clean run.</param>
/// <param name="CorruptedLogitDiff">Mean logit difference of the corrupted run.</param>
/// <param name="Elapsed">Wall time of the three runs.</param>
public sealed record PathPatchingResult(int SenderLayer, int SenderHead, int ReceiverLayer, int ReceiverHead, CompositionKind Input,
    double LogitDiff, double CleanLogitDiff, double CorruptedLogitDiff, double Effect, TimeSpan Elapsed)
{
    /// <summary>e.g. "L0H2 → L1H1.K".</summary>
    public string Path => $"{HeadMatrices.Name(SenderLayer, SenderHead)} → {HeadMatrices.Name(ReceiverLayer, ReceiverHead)}.{Input}";
}

/// <summary>Path patching from a sender head into one input (Q, K or V) of a receiver head.</summary>
/// <remarks>Source: Wang et al. 2022 ("Interpretability in the Wild", path patching) and Goldowsky-Dill
/// et al. 2023, restricted to the direct path: the receiver's input is the clean residual stream
/// before its layer plus the difference (corrupted − clean) of the sender's output (hook_result),
/// and that modified input is used only for the receiver's chosen projection; everything else in
/// the run is clean. Implemented by replacing the receiver's slice of hook_q/hook_k/hook_v with
/// its projection (through the block's ln1 when present, plus bias) of the modified cached residual.</remarks>
public static class PathPatching
{
    /// <summary>Patches the sender's corrupted output into the receiver's Q, K or V input.</summary>
    public static PathPatchingResult Run(HookedTransformer model, PatchingProblem problem,
        int senderLayer, int senderHead, int receiverLayer, int receiverHead, CompositionKind input)
    {
        model.RequireNextToken("path patching");
        if (senderLayer >= receiverLayer)
            throw new ToolkitException($"sender L{senderLayer}H{senderHead} is not in an earlier layer than receiver L{receiverLayer}H{receiverHead}",
                "a head can only send to heads of later layers");
        var watch = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var evalMode = model.EvalMode();
        var clean = problem.Clean.to(model.Device);
        var corrupted = problem.Corrupted.to(model.Device);
        var resultName = $"blocks.{senderLayer}.attn.hook_result";
        var residName = $"blocks.{receiverLayer}.hook_resid_pre";
        var (cleanLogits, cleanCache) = model.RunWithCache(clean, n => n == resultName || n == residName);
        var (corruptedLogits, corruptedCache) = model.RunWithCache(corrupted, n => n == resultName);
        double cleanDiff = problem.LogitDifference(cleanLogits), corruptedDiff = problem.LogitDifference(corruptedLogits);

        var delta = corruptedCache[resultName].select(2, senderHead).sub(cleanCache[resultName].select(2, senderHead));
        var block = model.blocks[receiverLayer];
        var residual = cleanCache[residName].add(delta, Scalars.One);
        if (block.ln1 is not null) residual = block.ln1.forward(residual);
        var attn = block.attn;
        var (w, b, hook) = input switch
        {
            CompositionKind.Q => (attn.W_Q, attn.b_Q, "hook_q"),
            CompositionKind.K => (attn.W_K, attn.b_K, "hook_k"),
            _ => (attn.W_V, attn.b_V, "hook_v"),
        };
        var projected = residual.matmul(w[receiverHead]).add(b[receiverHead], Scalars.One); // [batch, pos, d_head]
        var logits = model.RunWithHooks(clean, ($"blocks.{receiverLayer}.attn.{hook}", (x, _) =>
        {
            var patched = x.clone();
            patched.select(2, receiverHead).copy_(projected);
            return patched;
        }));
        var diff = problem.LogitDifference(logits);
        var effect = cleanDiff == corruptedDiff ? double.NaN : (cleanDiff - diff) / (cleanDiff - corruptedDiff);
        return new PathPatchingResult(senderLayer, senderHead, receiverLayer, receiverHead, input, diff, cleanDiff, corruptedDiff, effect, watch.Elapsed);
    }
}
