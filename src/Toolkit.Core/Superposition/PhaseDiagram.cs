namespace Toolkit.Superposition;

/// <summary>The paper's smallest phase diagram: n = 2 features, m = 1 hidden dimension, feature 0 of importance 1 and an
/// extra feature 1 of relative importance r, both at density 1 − S. Over a grid of densities × importances, the extra
/// feature is not represented, represented alone (a dedicated dimension) or in superposition.
/// docs/design.md §4 "Toy models of superposition".</summary>
public static class PhaseDiagram
{
    /// <summary>Where a feature lands in a trained model.</summary>
    public enum Region { NotRepresented, Dedicated, Superposition }

    /// <summary>The index of the extra feature.</summary>
    public const int Extra = 1;

    /// <summary>Not represented when ‖W_i‖ &lt; 0.5; else in superposition when Σ_{j≠i} (Ŵ_i·W_j)² ≥ 0.1; else
    /// dedicated (<see cref="FeatureMeasures"/>).</summary>
    public static Region Classify(double[,] w, int feature)
    {
        var f = FeatureMeasures.Of(w)[feature];
        return !f.Represented ? Region.NotRepresented : f.InSuperposition ? Region.Superposition : Region.Dedicated;
    }

    /// <summary>The grid as one batch of instances, density-major: instance d · importances + r has density
    /// <paramref name="densities"/>[d] and importances [1, <paramref name="importances"/>[r]].</summary>
    public static ToyModelConfig Config(IReadOnlyList<double> densities, IReadOnlyList<double> importances, ToyModelConfig training) => training with
    {
        Features = 2,
        Hidden = 1,
        Instances = (from d in densities from r in importances select new ToyInstance(1 - d, [1.0, r])).ToList(),
    };

    /// <summary>One cell of the grid over several trainings (seeds): each one's region and final loss. Gradient descent
    /// from one start can stop in a worse configuration (a local minimum), so the cell's region is that of its
    /// lowest-loss training, the best of the restarts, as the paper's diagram shows the best configuration.</summary>
    public sealed record Cell(IReadOnlyList<(Region Region, double Loss)> Trainings)
    {
        /// <summary>The region of the lowest-loss training.</summary>
        public Region Best => Trainings.MinBy(t => t.Loss).Region;

        /// <summary>How many trainings ended in <see cref="Best"/>.</summary>
        public int Agreeing => Trainings.Count(t => t.Region == Best);
    }

    /// <summary>The grid's cells over several models trained from <see cref="Config"/> (one per seed).</summary>
    public static Cell[,] Cells(IReadOnlyList<ToyModelResult> results, int densities, int importances)
    {
        var regions = results.Select(r => Regions(r, densities, importances)).ToList();
        var cells = new Cell[densities, importances];
        for (var d = 0; d < densities; d++)
            for (var r = 0; r < importances; r++)
                cells[d, r] = new Cell(results.Select((result, k) => (regions[k][d, r], result.FinalLoss[d * importances + r])).ToList());
        return cells;
    }

    /// <summary>The extra feature's region per (density, importance) of a model trained from <see cref="Config"/>.</summary>
    public static Region[,] Regions(ToyModelResult result, int densities, int importances)
    {
        if (result.Weights.Count != densities * importances)
            throw new ArgumentException($"{result.Weights.Count} instances are not a {densities} × {importances} grid");
        var regions = new Region[densities, importances];
        for (var d = 0; d < densities; d++)
            for (var r = 0; r < importances; r++) regions[d, r] = Classify(result.Weights[d * importances + r], Extra);
        return regions;
    }
}
