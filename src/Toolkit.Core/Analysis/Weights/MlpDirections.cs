using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>How many directions an MLP layer's neurons read and write against its width, the toy models' question asked
/// of a trained transformer (docs/design.md §4 "Toy models of superposition"): the neurons' input directions (columns of
/// W_in) and output directions (rows of W_out) in the d_model-dimensional residual stream.</summary>
/// <param name="Layer">The block.</param>
/// <param name="Neurons">d_mlp, the layer's width.</param>
/// <param name="DModel">The residual stream's dimensions.</param>
/// <param name="Reads">The spread of the neurons' input directions.</param>
/// <param name="Writes">The spread of the neurons' output directions.</param>
public sealed record MlpDirections(int Layer, int Neurons, int DModel, MlpDirections.Spread Reads, MlpDirections.Spread Writes)
{
    /// <summary>A set of n directions w_i in d dimensions (the columns of a d × n matrix W), measured without a scale.</summary>
    /// <param name="EffectiveNeurons">The participation ratio of the squared norms, (Σ‖w_i‖²)² / Σ‖w_i‖⁴: how many neurons
    /// carry the weight (n when all norms are equal, 1 when one neuron has it all).</param>
    /// <param name="EffectiveDimensions">The participation ratio of W's squared singular values, (Σσ²)² / Σσ⁴: how many
    /// dimensions the directions fill (d for directions spread evenly over all d, 1 for directions on one line).</param>
    public sealed record Spread(double EffectiveNeurons, double EffectiveDimensions)
    {
        /// <summary>Neurons per dimension, EffectiveNeurons / EffectiveDimensions: the toy models' features per dimension
        /// (1 / dimensions per feature) when the neurons are unit features. Above 1, more directions than dimensions.</summary>
        public double NeuronsPerDimension => EffectiveNeurons / EffectiveDimensions;

        /// <summary>The spread of the columns of W (d × n).</summary>
        public static Spread Of(Tensor w)
        {
            using var scope = NewDisposeScope();
            var x = w.to(float64);
            var norms = x.square().sum(new long[] { 0 });
            var sigma2 = linalg.svdvals(x).square();
            return new Spread(Participation(norms), Participation(sigma2));
        }

        /// <summary>The spread of n Gaussian directions in d dimensions (untrained weights), as ratios of expectations:
        /// effective neurons n·d / (d + 2) (a squared norm is d times a χ²_d / d, whose second moment is d(d + 2)) and
        /// effective dimensions d·n / (d + n) (the Marchenko–Pastur spectrum's first two moments). The baseline a trained
        /// layer is read against, as composition scores are read against random matrices.</summary>
        public static Spread Random(int d, int n) => new(n * (double)d / (d + 2), d * (double)n / (d + n));

        /// <summary>(Σ v)² / Σ v² of non-negative values; 0 when all are 0.</summary>
        public static double Participation(Tensor values)
        {
            var sum = values.sum().item<double>();
            var squares = values.square().sum().item<double>();
            return squares == 0 ? 0 : sum * sum / squares;
        }
    }

    /// <summary>"layer 0: 256 neurons in d_model 64; write 237.6 neurons over 31.2 dimensions (7.6 per dimension), read …;
    /// random weights 248.2 over 51.2 (4.8)".</summary>
    public override string ToString()
    {
        var random = Spread.Random(DModel, Neurons);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"layer {Layer}: {Neurons} neurons in d_model {DModel}; write {Writes.EffectiveNeurons:0.0} neurons over {Writes.EffectiveDimensions:0.0} dimensions ({Writes.NeuronsPerDimension:0.0} per dimension), read {Reads.EffectiveNeurons:0.0} over {Reads.EffectiveDimensions:0.0} ({Reads.NeuronsPerDimension:0.0}); random weights {random.EffectiveNeurons:0.0} over {random.EffectiveDimensions:0.0} ({random.NeuronsPerDimension:0.0})");
    }

    /// <summary>Every MLP layer of a model, in layer order (none for attention-only models).</summary>
    public static IReadOnlyList<MlpDirections> Of(HookedTransformer model)
    {
        using var _ = no_grad();
        var layers = new List<MlpDirections>();
        for (var l = 0; l < model.blocks.Count; l++)
            if (model.blocks[l].mlp is { } mlp)
                layers.Add(new MlpDirections(l, (int)mlp.W_in.shape[1], (int)mlp.W_in.shape[0], Spread.Of(mlp.W_in), Spread.Of(mlp.W_out.t())));
        return layers;
    }
}
