using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Cli.Bench;

/// <summary>The baseline of <c>toolkit bench train</c>: the same 2-layer attention-only model and
/// optimizer written as a bare TorchSharp loop, sharing no code with the toolkit's model or trainer,
/// so the ratio shows what the toolkit's hooks, masking and bookkeeping cost. Two attention variants
/// (explicit softmax attention with fused QKV, or <c>scaled_dot_product_attention</c>) are timed and the
/// bench keeps the faster, so the baseline is the fastest honest version of itself.</summary>
public static class BareTorchLoop
{
    /// <summary>Trains for <paramref name="steps"/> steps after <paramref name="warmup"/> untimed ones; returns tokens/s.</summary>
    public static double TokensPerSecond(int layers, int heads, int dModel, int vocab, int context, int batch, int steps, int warmup, long seed,
        bool sdpa = false)
    {
        manual_seed(seed);
        var dHead = dModel / heads;
        var std = 0.8 / Math.Sqrt(dModel);
        // A Parameter takes over the tensor's native handle, so keep only the Parameters.
        TorchSharp.Modules.Parameter P(params long[] shape) => new(randn(shape).mul_(std));
        var wE = P(vocab, dModel);
        var wPos = P(context, dModel);
        var wQkv = Enumerable.Range(0, layers).Select(_ => P(dModel, 3 * dModel)).ToArray();
        var wO = Enumerable.Range(0, layers).Select(_ => P(dModel, dModel)).ToArray();
        var wU = P(dModel, vocab);
        var parameters = new[] { wE, wPos, wU }.Concat(wQkv).Concat(wO).ToList();
        using var optimizer = optim.AdamW(parameters, 3e-3, 0.9, 0.99, 1e-8, 0.01);
        using var future = ones(context, context, ScalarType.Bool).triu(1);
        var scale = (Scalar)(1.0 / Math.Sqrt(dHead));
        var negInf = (Scalar)double.NegativeInfinity;
        var half = context / 2;

        var clock = new Stopwatch();
        for (var step = 0; step < warmup + steps; step++)
        {
            if (step == warmup) clock.Start();
            using var scope = NewDisposeScope();
            // Data: a random block repeated twice (the fixed-period task), loss on the second copy.
            var block = randint(1, vocab, new long[] { batch, half });
            var tokens = cat(new[] { block, block }, 1);
            var x = wE.index_select(0, tokens.reshape(-1)).view(batch, context, dModel) + wPos.unsqueeze(0);
            for (var l = 0; l < layers; l++)
            {
                var qkv = x.matmul(wQkv[l]).view(batch, context, 3, heads, dHead).permute(2, 0, 3, 1, 4);
                var attended = sdpa
                    ? nn.functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], is_casual: true)
                    : qkv[0].matmul(qkv[1].transpose(-1, -2)).mul_(scale).masked_fill(future, negInf).softmax(-1).matmul(qkv[2]);
                var z = attended.transpose(1, 2).reshape(batch, context, dModel);
                x = x + z.matmul(wO[l]);
            }
            var logits = x.matmul(wU);
            var predict = logits.narrow(1, half, half - 1).reshape(-1, vocab);
            var targets = tokens.narrow(1, half + 1, half - 1).reshape(-1);
            var loss = nn.functional.cross_entropy(predict, targets);
            optimizer.zero_grad();
            loss.backward();
            nn.utils.clip_grad_norm_(parameters, 1.0);
            optimizer.step();
            loss.item<float>();
        }
        return (double)steps * batch * context / clock.Elapsed.TotalSeconds;
    }
}
