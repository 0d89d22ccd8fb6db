using Toolkit.Analysis;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Training;
using Toolkit.Verdicts;
using static TorchSharp.torch;

namespace Toolkit.Tests;

/// <summary>The model's precision (<c>dtype</c>): a float64 model starts from exactly the float32 model's initial weights
/// and differs from it only in round-off; a float64 run trains, checkpoints, loads and is measured in float64.</summary>
[TestFixture, NonParallelizable]
public class PrecisionTests
{
    private static readonly ModelConfig Small = new()
    {
        NLayers = 1, NHeads = 2, DModel = 16, DMlp = 32, AttnOnly = false, ActFn = ActivationFunction.Relu, NormalizationType = Normalization.LN,
        DVocab = 8, NCtx = 8,
    };

    [Test]
    public void A_float64_model_starts_from_the_float32_models_weights_and_computes_the_same_logits_to_round_off()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var narrow = new HookedTransformer(Small);
        manual_seed(5);
        using var wide = new HookedTransformer(Small with { Dtype = FloatType.Float64 });
        var widened = wide.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in narrow.named_parameters())
        {
            Assert.That(widened[name].dtype, Is.EqualTo(ScalarType.Float64), name);
            Assert.That(widened[name].eq(p.to_type(ScalarType.Float64)).all().item<bool>(), name + ": the same initial weights, widened");
        }
        var tokens = tensor(new long[] { 1, 2, 3, 4, 5, 6, 7, 0 }, new long[] { 1, 8 });
        var (a, b) = (narrow.forward(tokens), wide.forward(tokens));
        Assert.That(b.dtype, Is.EqualTo(ScalarType.Float64));
        var gap = b.sub(a.to_type(ScalarType.Float64)).abs().max().item<double>();
        Assert.That(gap, Is.LessThan(1e-4).And.GreaterThan(0), "only round-off differs");
    }

    [Test]
    public void A_float64_run_trains_checkpoints_loads_and_is_measured_in_float64()
    {
        var dir = Directory.CreateTempSubdirectory("toolkit-precision-").FullName;
        try
        {
            RunConfig Config(FloatType dtype) => new()
            {
                Model = Small with { NormalizationType = null, DVocab = 8, Dtype = dtype },
                Training = new TrainingConfig
                {
                    Steps = 40, FullBatch = true, LearningRate = 1e-2, WeightDecay = 0.1, Beta2 = 0.98, WarmupSteps = 5, GradClip = 0,
                    Seed = 1, Threads = 1, LogEvery = 10, EvalEvery = 40, EvalSequences = 16, CheckpointEvery = 20,
                },
                Task = new TaskSpec { Name = "modular-addition", Parameters = new() { ["p"] = "7", ["fraction"] = "0.6", ["split"] = "2" } },
            };
            var wide = Trainer.Train(Config(FloatType.Float64), Path.Combine(dir, "float64"));
            var narrow = Trainer.Train(Config(FloatType.Float32), Path.Combine(dir, "float32"));
            var (tensors, _) = SafeTensors.Read(Path.Combine(wide.Run.Path, "checkpoints", "step-40", "model.safetensors"));
            Assert.That(tensors.Values.Select(t => t.dtype).Distinct(), Is.EqualTo(new[] { ScalarType.Float64 }), "checkpoints keep float64");
            foreach (var t in tensors.Values) t.Dispose();
            using (var model = wide.Run.LoadModel())
                Assert.That(model.parameters().Select(p => p.dtype).Distinct(), Is.EqualTo(new[] { ScalarType.Float64 }), "loaded in float64");
            Assert.That(wide.Run.ReadConfig().Model.Dtype, Is.EqualTo(FloatType.Float64), "config.json records the precision");
            // The same initial weights and data: the curves agree to round-off early on, and are not identical.
            Assert.That(wide.LossCurve[0].Loss, Is.EqualTo(narrow.LossCurve[0].Loss).Within(1e-4));
            Assert.That(wide.LossCurve.Select(p => p.Loss), Is.Not.EqualTo(narrow.LossCurve.Select(p => p.Loss)));
            var timeline = GrokkingRun.Measure(wide.Run.Path);
            Assert.That(timeline.Points.Select(x => x.Step), Is.EqualTo(new[] { 20, 40 }));
            Assert.That(timeline.Points.All(x => double.IsFinite(x.TestLoss) && double.IsFinite(x.ExcludedLoss)));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
