using Toolkit.Model;
using Toolkit.Tasks;

namespace Toolkit.Training;

/// <summary>Writes router-selection.csv, router-coselection.csv and router-identity.csv for the held-out examples.</summary>
public sealed class RouterStatisticsWriter : IEvaluationWriter
{
    public void WriteEvaluation(HookedTransformer model, IReadOnlyList<Example> examples, string runPath, int step) =>
        Analysis.RouterStatistics.Measure(model, examples).Write(runPath, step);
}
