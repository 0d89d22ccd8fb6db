using Toolkit.Analysis;
using Toolkit.Runs;
using Toolkit.Tasks;
using static TorchSharp.torch;

namespace Toolkit.Verdicts;

/// <summary>A modular-addition run's grokking timeline (<see cref="GrokkingTimeline"/>, docs/design.md §4) read from its
/// checkpoints on disk.</summary>
public static class GrokkingRun
{
    /// <summary>Measures a modular-addition run at each of its checkpoints; the key frequencies are those of the last one.</summary>
    public static GrokkingTimeline Measure(string runPath)
    {
        var dir = RunDirectory.Open(runPath);
        var config = dir.ReadConfig();
        ModularAddition task;
        try
        {
            task = config.Task.Create() as ModularAddition
                ?? throw new ToolkitException($"{runPath} was trained on {config.Task.Name}, not modular-addition", "measure grokking on a run of --task modular-addition");
        }
        catch (TaskParameterException e) { throw new ToolkitException(e.Message, e.Hint); }
        var p = task.Settings.P;
        var isTrain = new bool[p * p];
        for (var i = 0; i < p * p; i++) isTrain[i] = task.IsTrainPair(i / p, i % p);
        var checkpoints = dir.Checkpoints();
        if (checkpoints.Count == 0) throw new ToolkitException($"{runPath} has no checkpoint", "train it first (toolkit train --task modular-addition)");

        EmbeddingFrequencies frequencies;
        using (var last = dir.LoadModel(CPU, checkpoints[^1].Path)) frequencies = EmbeddingFrequencies.Of(p, last);
        var points = new List<GrokkingPoint>();
        foreach (var (step, path) in checkpoints)
        {
            using var model = dir.LoadModel(CPU, path);
            points.Add(GrokkingTimeline.Point(model, step, task, isTrain, frequencies.Key));
        }
        return GrokkingTimeline.From(p, points, frequencies);
    }
}
