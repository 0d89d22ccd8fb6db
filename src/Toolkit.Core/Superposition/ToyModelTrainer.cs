using TorchSharp;
using Toolkit.Data;
using Toolkit.Training;
using static TorchSharp.torch;

namespace Toolkit.Superposition;

/// <summary>Trains every instance of a <see cref="ToyModelConfig"/> at once: one tensor holds all their weights, the loss
/// is the sum of the instances' losses (so each instance's gradient is its own), and the toolkit's AdamW (torch's
/// defaults: betas 0.9 and 0.999, eps 1e-8) updates them. The seed fixes the initialization and every batch.</summary>
public static class ToyModelTrainer
{
    /// <summary>Trains; <paramref name="progress"/> gets (step, steps, mean loss over instances) at every logged row
    /// (about 100 per run).</summary>
    public static ToyModelResult Train(ToyModelConfig config, Action<int, int, double>? progress = null)
    {
        config.Validate();
        set_num_threads(config.Threads);
        var (count, n, m) = (config.Instances.Count, config.Features, config.Hidden);
        var logEvery = Math.Max(1, config.Steps / 100);
        using var generator = new Generator(Seeds.Derive(config.Seed, Seeds.Stream.Train));
        using var model = new ToyModel(count, m, n, generator);
        using var optimizer = new AdamW(model.Parameters, config.LearningRate, 0.9, 0.999, 1e-8, config.WeightDecay);
        using var importance = tensor(config.Instances.SelectMany(i => i.Importance.Select(v => (float)v)).ToArray(), new long[] { count, n });
        using var density = tensor(config.Instances.Select(i => (float)i.Density).ToArray());
        using var interval = zeros(count);
        double[]? initial = null;
        var curve = new List<ToyModelResult.LossRow>();
        var intervalSteps = 0;
        for (var step = 0; step < config.Steps; step++)
        {
            using (var scope = NewDisposeScope())
            {
                var x = SparseFeatures.Draw(generator, density, config.BatchSize, n);
                var loss = model.Loss(x, importance);
                initial ??= Doubles(loss);
                optimizer.ZeroGrad();
                loss.sum().backward();
                optimizer.StepOnce();
                using var _ = no_grad();
                interval.add_(loss.detach(), Scalars.One);
            }
            intervalSteps++;
            var done = step + 1;
            if (done % logEvery != 0 && done != config.Steps) continue;
            var row = Doubles(interval).Select(v => v / intervalSteps).ToArray();
            if (row.Any(v => !double.IsFinite(v)))
                throw new ToolkitException($"the toy models' loss stopped being finite by step {done}", "lower --lr (the paper's 0.001 trains stably)");
            curve.Add(new ToyModelResult.LossRow(done, row));
            progress?.Invoke(done, config.Steps, row.Average());
            interval.zero_();
            intervalSteps = 0;
        }
        var weights = Enumerable.Range(0, count).Select(i => Matrix(model.W, i)).ToList();
        var biases = Enumerable.Range(0, count).Select(i => Row(model.B, i)).ToList();
        return new ToyModelResult(config, weights, biases, initial!, curve);
    }

    private static double[] Doubles(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.detach().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
    }

    /// <summary>Instance <paramref name="index"/> of a [instances, n] tensor.</summary>
    private static double[] Row(Tensor t, int index)
    {
        using var scope = NewDisposeScope();
        return Doubles(t[index]);
    }

    /// <summary>Instance <paramref name="index"/> of a [instances, rows, columns] tensor as an array.</summary>
    private static double[,] Matrix(Tensor t, int index)
    {
        using var scope = NewDisposeScope();
        var (rows, columns) = ((int)t.shape[1], (int)t.shape[2]);
        var flat = Doubles(t[index]);
        var result = new double[rows, columns];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < columns; c++) result[r, c] = flat[r * columns + c];
        return result;
    }
}
