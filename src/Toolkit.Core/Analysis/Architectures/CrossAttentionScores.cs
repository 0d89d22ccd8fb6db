using Toolkit.Data;
using Toolkit.Model;
using Toolkit.Tasks;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>How much an encoder-decoder's cross-attention head reads the source copy of the token about to be emitted.</summary>
/// <param name="SourceCopy">Mean attention mass, from the decoder row that predicts a token, on the source positions
/// that hold that token (over the task's predictable positions).</param>
/// <param name="UniformBaseline">The same mass for attention spread evenly over the source: what the score means by chance.</param>
public sealed record CrossAttentionScore(int Layer, int Head, double SourceCopy, double UniformBaseline)
{
    /// <summary>e.g. L1X0 (cross-attention head 0 of decoder layer 1).</summary>
    public string Name => $"L{Layer}X{Head}";
}

/// <summary>The cross-attention analogue of the induction score (docs/design.md §4): set extraction and copying are solved by
/// reading, from the position that emits the next output, the source position holding it.</summary>
public static class CrossAttentionScores
{
    /// <summary>Scores every cross-attention head on task examples (eval mode, no gradient).</summary>
    public static IReadOnlyList<CrossAttentionScore> Compute(HookedTransformer model, IReadOnlyList<Example> examples)
    {
        if (!model.Config.EncoderDecoder)
            throw new ToolkitException("only an encoder-decoder has cross-attention heads", "train with --n-encoder-layers 2, for example");
        using var scope = NewDisposeScope();
        using var evalMode = model.EvalMode();
        using var noGrad = no_grad();
        using var batch = Batch.From(examples, model.Device);
        var (_, cache) = model.RunStreamWithCache(batch.Tokens, n => n.EndsWith("cross_attn.hook_pattern", StringComparison.Ordinal));
        var source = model.SourceMask(batch.Tokens).cpu().data<bool>().ToArray();
        int n = (int)batch.Tokens.shape[1], heads = model.Config.NHeads;
        var result = new List<CrossAttentionScore>();
        for (var layer = 0; layer < model.Config.NLayers; layer++)
        {
            var pattern = cache[$"blocks.{layer}.cross_attn.hook_pattern"].to_type(ScalarType.Float64).cpu().data<double>().ToArray(); // [b, head, q, k]
            var score = new double[heads];
            double baseline = 0;
            long count = 0;
            for (var b = 0; b < examples.Count; b++)
            {
                var tokens = examples[b].Tokens;
                var sourceLength = Enumerable.Range(0, n).Count(j => source[b * n + j]);
                for (var i = 1; i < n; i++)
                {
                    if (!examples[b].LossMask[i]) continue;
                    var matches = Enumerable.Range(0, n).Where(j => source[b * n + j] && tokens[j] == tokens[i]).ToList();
                    count++;
                    baseline += (double)matches.Count / sourceLength;
                    for (var h = 0; h < heads; h++)
                        score[h] += matches.Sum(j => pattern[((b * heads + h) * n + (i - 1)) * n + j]);
                }
            }
            for (var h = 0; h < heads; h++)
                result.Add(new CrossAttentionScore(layer, h, count == 0 ? double.NaN : score[h] / count, count == 0 ? double.NaN : baseline / count));
        }
        return result;
    }
}
