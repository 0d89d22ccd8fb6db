using Toolkit.Tasks;
using Toolkit.Model;

namespace Toolkit.Training;

/// <summary>An evaluation callback: something the trainer measures on the held-out examples at every evaluation and writes
/// into the run directory (<see cref="RouterStatisticsWriter"/> for routed pools; <see cref="For"/> lists a model's).</summary>
public interface IEvaluationWriter
{
    /// <summary>Measures on the held-out <paramref name="examples"/> and writes into <paramref name="runPath"/>.</summary>
    void WriteEvaluation(HookedTransformer model, IReadOnlyList<Example> examples, string runPath, int step);

    /// <summary>The callbacks a model's architecture asks for: router statistics for a routed pool.</summary>
    static IReadOnlyList<IEvaluationWriter> For(HookedTransformer model) => model.router is null ? [] : [new RouterStatisticsWriter()];
}
