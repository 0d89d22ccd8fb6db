using Toolkit.Superposition;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Tests.Superposition;

/// <summary>The toy model of superposition: shapes, data, loss, determinism, tiny runs that learn, and bad settings
/// refused with a clear message.</summary>
public class ToyModelTests
{
    private static ToyModelConfig Tiny(int n, int m, double sparsity, int steps = 1000, long seed = 0) => new()
    {
        Features = n, Hidden = m, Instances = [ToyInstance.Decaying(n, sparsity, 1.0)], Steps = steps, BatchSize = 256, LearningRate = 1e-2, Threads = 1, Seed = seed,
    };

    [Test]
    public void Shapes_of_weights_batches_and_outputs()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(1);
        using var model = new ToyModel(3, 2, 5, generator);
        Assert.That(model.W.shape, Is.EqualTo(new long[] { 3, 2, 5 }));
        Assert.That(model.B.shape, Is.EqualTo(new long[] { 3, 5 }));
        var x = SparseFeatures.Draw(generator, tensor(new float[] { 1, 0.5f, 0.1f }), 7, 5);
        Assert.That(x.shape, Is.EqualTo(new long[] { 3, 7, 5 }));
        Assert.That(model.Forward(x).shape, Is.EqualTo(new long[] { 3, 7, 5 }));
        Assert.That(model.Loss(x, ones(3, 5)).shape, Is.EqualTo(new long[] { 3 }));
        var result = ToyModelTrainer.Train(new ToyModelConfig { Features = 5, Hidden = 2, Instances = [ToyInstance.Decaying(5, 0, 0.9), ToyInstance.Decaying(5, 0.9, 0.9)], Steps = 3, BatchSize = 4, Threads = 1 });
        Assert.That(result.Weights.Select(w => (w.GetLength(0), w.GetLength(1))), Is.EqualTo(new[] { (2, 5), (2, 5) }));
        Assert.That(result.Biases.Select(b => b.Length), Is.EqualTo(new[] { 5, 5 }));
        Assert.That((result.InitialLoss.Count, result.FinalLoss.Count, result.Curve[^1].Step), Is.EqualTo((2, 2, 3)));
    }

    [Test]
    public void Features_are_zero_with_probability_S_and_otherwise_uniform_in_0_1()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(3);
        var sparsities = new[] { 0.0, 0.5, 0.9 };
        var x = SparseFeatures.Draw(generator, tensor(sparsities.Select(s => (float)(1 - s)).ToArray()), 4096, 10);
        for (var i = 0; i < sparsities.Length; i++)
        {
            var values = x[i].data<float>().ToArray();
            // 40,960 draws: the share of zeros is within 0.01 of S (more than 6 standard errors).
            Assert.That(values.Count(v => v == 0) / (double)values.Length, Is.EqualTo(sparsities[i]).Within(0.01), $"S = {sparsities[i]}");
            var present = values.Where(v => v != 0).ToArray();
            Assert.That(present.Min(), Is.GreaterThanOrEqualTo(0f));
            Assert.That(present.Max(), Is.LessThan(1f));
            Assert.That(present.Average(), Is.EqualTo(0.5).Within(0.02), "uniform in [0, 1] has mean 1/2");
        }
    }

    [Test]
    public void The_loss_is_the_importance_weighted_squared_error_of_ReLU_of_WT_W_x_plus_b_averaged_over_the_batch()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(1);
        using var model = new ToyModel(1, 1, 2, generator);
        using (no_grad())
        {
            model.W.copy_(tensor(new float[] { 1, -2 }).view(1, 1, 2));
            model.B.copy_(tensor(new float[] { 0.5f, -0.25f }).view(1, 2));
        }
        // x = (1, 0.5): h = 1 − 1 = 0, x' = ReLU(0 + b) = (0.5, 0); x = (0, 1): h = −2, x' = ReLU((−2, 4) + b) = (0, 3.75).
        var x = tensor(new float[] { 1, 0.5f, 0, 1 }).view(1, 2, 2);
        var importance = tensor(new float[] { 1, 0.5f }).view(1, 2);
        var expected = ((1 - 0.5) * (1 - 0.5) + 0.5 * 0.5 * 0.5 + 0 + 0.5 * (1 - 3.75) * (1 - 3.75)) / 2;
        Assert.That(model.Loss(x, importance).item<float>(), Is.EqualTo(expected).Within(1e-5));
    }

    [Test]
    public void The_same_seed_gives_the_same_weights_and_another_seed_others()
    {
        var a = ToyModelTrainer.Train(Tiny(5, 2, 0.9, steps: 50));
        var b = ToyModelTrainer.Train(Tiny(5, 2, 0.9, steps: 50));
        var c = ToyModelTrainer.Train(Tiny(5, 2, 0.9, steps: 50, seed: 1));
        Assert.That(b.Weights[0], Is.EqualTo(a.Weights[0]));
        Assert.That(b.Biases[0], Is.EqualTo(a.Biases[0]));
        Assert.That(b.FinalLoss, Is.EqualTo(a.FinalLoss));
        Assert.That(c.Weights[0], Is.Not.EqualTo(a.Weights[0]));
    }

    [Test]
    public void Dense_features_with_as_many_dimensions_are_each_represented_alone()
    {
        var result = ToyModelTrainer.Train(Tiny(3, 3, 0));
        Assert.That(result.FinalLoss[0], Is.LessThan(result.InitialLoss[0] / 100), "the loss falls");
        var s = SuperpositionSummary.Of(result.Weights[0]);
        Assert.That((s.Represented, s.InSuperposition), Is.EqualTo((3, 0)));
        Assert.That(FeatureMeasures.Of(result.Weights[0]).Select(f => f.Dimensionality), Has.All.EqualTo(1).Within(0.01));
    }

    [Test]
    public void Sparse_features_go_into_superposition_five_in_two_dimensions_as_a_pentagon()
    {
        var result = ToyModelTrainer.Train(Tiny(5, 2, 0.9));
        Assert.That(result.FinalLoss[0], Is.LessThan(result.InitialLoss[0] / 2), "the loss falls");
        var s = SuperpositionSummary.Of(result.Weights[0]);
        Assert.That((s.Represented, s.InSuperposition, s.GroupsText), Is.EqualTo((5, 5, "2/5×5")));
        Assert.That(s.DimensionsPerFeature, Is.LessThan(0.5));
    }

    private static ToyModelConfig Valid => Tiny(5, 2, 0.9);

    [TestCase("sparsity", "sparsity 1 is outside [0, 1)")]
    [TestCase("importance", "2 importances for 5 features")]
    [TestCase("negative importance", "not a positive finite number")]
    [TestCase("hidden", "hidden dimensions 0 is outside")]
    [TestCase("steps", "steps 0 must be at least 1")]
    [TestCase("lr", "learning rate NaN is outside (0, 1)")]
    [TestCase("no instance", "no instance to train")]
    public void Impossible_settings_are_refused_with_a_message_and_a_hint(string what, string message)
    {
        var config = what switch
        {
            "sparsity" => Valid with { Instances = [ToyInstance.Decaying(5, 1, 1)] },
            "importance" => Valid with { Instances = [new ToyInstance(0.5, [1, 1])] },
            "negative importance" => Valid with { Instances = [ToyInstance.Decaying(5, 0.5, -1)] },
            "hidden" => Valid with { Hidden = 0 },
            "steps" => Valid with { Steps = 0 },
            "lr" => Valid with { LearningRate = double.NaN },
            _ => Valid with { Instances = [] },
        };
        var e = Assert.Throws<ToolkitException>(() => ToyModelTrainer.Train(config))!;
        Assert.That(e.Message, Does.Contain(message));
        Assert.That(e.Hint, Is.Not.Empty);
    }
}
