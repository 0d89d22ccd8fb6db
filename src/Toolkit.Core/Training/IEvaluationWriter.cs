using Toolkit.Tasks;
using Toolkit.Model;

namespace Toolkit.Training;

/// <summary>A part of a model that writes its own files into the run directory at every held-out evaluation (the
/// routed pool's router statistics); the trainer calls every module of the model that implements it.</summary>
public interface IEvaluationWriter
{
    /// <summary>Measures on the held-out <paramref name="examples"/> and writes into <paramref name="runPath"/>.</summary>
    void WriteEvaluation(HookedTransformer model, IReadOnlyList<Example> examples, string runPath, int step);
}
