using Toolkit.Analysis;
using Toolkit.Runs;

namespace Toolkit.Verdicts;

/// <summary>A run's training dynamics from its checked metrics.csv: the rows come from <see cref="RunDirectory.ReadMetrics"/>
/// (persistence), the phase change and best induction score from <see cref="TrainingDynamics.From"/> (analysis).</summary>
public static class RunDynamics
{
    /// <summary>What metrics.csv says about training (unknown when the run has none); a damaged file is an error naming the
    /// file and the line, whose hint repairs the run.</summary>
    public static TrainingDynamics ReadDynamics(this RunDirectory run, RunConfig config) =>
        run.ReadMetrics(config) is { } file ? TrainingDynamics.From(file.LossCurve(), file.InductionScores()) : TrainingDynamics.Unknown;
}
