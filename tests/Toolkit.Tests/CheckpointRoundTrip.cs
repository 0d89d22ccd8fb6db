using Toolkit.Model;
using Toolkit.Runs;
using static TorchSharp.torch;

namespace Toolkit.Tests;

/// <summary>The checkpoint round trip every model-variant property uses: save a model's weights, load them into a
/// fresh model of the same config built from another seed, and require identical logits.</summary>
internal static class CheckpointRoundTrip
{
    public static void AssertSameLogitsAfterReload(HookedTransformer model, string path, int seed)
    {
        using var scope = NewDisposeScope();
        var config = model.Config;
        Checkpoint.SaveWeights(path, model, new RunConfig { Model = config });
        manual_seed(seed + 1);
        using var reloaded = new HookedTransformer(config);
        reloaded.eval();
        Checkpoint.LoadWeights(path, reloaded);
        var tokens = randint(0, config.DVocab, new long[] { 2, config.NCtx });
        using (no_grad())
            Assert.That(reloaded.forward(tokens).eq(model.forward(tokens)).all().item<bool>(), $"{config}: reloaded logits differ");
    }
}
