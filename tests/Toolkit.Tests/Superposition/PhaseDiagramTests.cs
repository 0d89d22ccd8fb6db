using Toolkit.Superposition;

namespace Toolkit.Tests.Superposition;

/// <summary>The phase diagram's classification of the extra feature (n = 2, m = 1) on hand-made weights, and its grid.</summary>
public class PhaseDiagramTests
{
    [TestCase(1.0, 0.0, PhaseDiagram.Region.NotRepresented, TestName = "extra feature at 0: not represented")]
    [TestCase(1.0, 0.45, PhaseDiagram.Region.NotRepresented, TestName = "extra feature below norm 0.5: not represented")]
    [TestCase(0.0, 1.0, PhaseDiagram.Region.Dedicated, TestName = "extra feature alone: dedicated")]
    [TestCase(0.3, 1.0, PhaseDiagram.Region.Dedicated, TestName = "the other at 0.3 puts 0.09 on it: dedicated")]
    [TestCase(0.4, 1.0, PhaseDiagram.Region.Superposition, TestName = "the other at 0.4 puts 0.16 on it: superposition")]
    [TestCase(1.0, -1.0, PhaseDiagram.Region.Superposition, TestName = "antipodal pair: superposition")]
    public void The_extra_feature_is_classified_by_its_norm_and_superposition(double first, double extra, PhaseDiagram.Region expected) =>
        Assert.That(PhaseDiagram.Classify(new[,] { { first, extra } }, PhaseDiagram.Extra), Is.EqualTo(expected));

    [Test]
    public void The_grid_is_density_major_with_importances_1_and_r()
    {
        var config = PhaseDiagram.Config([1, 0.1], [0.5, 1, 2], new ToyModelConfig { Steps = 3 });
        Assert.That((config.Features, config.Hidden, config.Steps, config.Instances.Count), Is.EqualTo((2, 1, 3, 6)));
        Assert.That(config.Instances[4].Density, Is.EqualTo(0.1).Within(1e-12));
        Assert.That(config.Instances[4].Importance, Is.EqualTo(new[] { 1.0, 1.0 }));
        Assert.That(config.Instances[2].Importance, Is.EqualTo(new[] { 1.0, 2.0 }));
        var weights = Enumerable.Range(0, 6).Select(i => i == 4 ? new double[,] { { 1, -1 } } : new double[,] { { 1, 0 } }).ToList();
        var result = new ToyModelResult(config, weights, weights.Select(_ => new double[2]).ToList(), new double[6], []);
        var regions = PhaseDiagram.Regions(result, 2, 3);
        Assert.That(regions[1, 1], Is.EqualTo(PhaseDiagram.Region.Superposition));
        Assert.That(regions.Cast<PhaseDiagram.Region>().Count(r => r == PhaseDiagram.Region.NotRepresented), Is.EqualTo(5));
    }

    [Test]
    public void A_cell_over_seeds_takes_the_region_of_its_lowest_loss_training()
    {
        // Two seeds of a 1 × 2 grid: cell (0, 0) is dedicated in seed 0 at loss 0.2 and in superposition in seed 1 at 0.1;
        // cell (0, 1) is not represented in both.
        var config = PhaseDiagram.Config([0.1], [0.5, 2], new ToyModelConfig());
        ToyModelResult Seed(double[,] first, double loss) => new(config, [first, new double[,] { { 1, 0 } }], [new double[2], new double[2]], [1.0, 1.0],
            [new ToyModelResult.LossRow(1, [loss, 0.3])]);
        var cells = PhaseDiagram.Cells([Seed(new double[,] { { 0, 1 } }, 0.2), Seed(new double[,] { { 1, -1 } }, 0.1)], 1, 2);
        Assert.That(cells[0, 0].Trainings.Select(t => t.Region), Is.EqualTo(new[] { PhaseDiagram.Region.Dedicated, PhaseDiagram.Region.Superposition }));
        Assert.That((cells[0, 0].Best, cells[0, 0].Agreeing), Is.EqualTo((PhaseDiagram.Region.Superposition, 1)));
        Assert.That((cells[0, 1].Best, cells[0, 1].Agreeing), Is.EqualTo((PhaseDiagram.Region.NotRepresented, 2)));
    }
}
