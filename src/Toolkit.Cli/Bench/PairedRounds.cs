using Toolkit.Evaluation;

namespace Toolkit.Cli.Bench;

/// <summary>Benchmarks that compare modes in paired rounds (<c>bench contention</c>, <c>bench allocator</c>): every mode
/// runs once per round, back to back, so a round's modes share the machine's conditions (rounds vary by ±20% or more
/// here; modes within a round much less). A mode's speed is the geometric mean of its per-round ratios to the baseline,
/// with a 95% t interval on the logs.</summary>
public static class PairedRounds
{
    /// <summary>The modes in the order of one round: rotated by the round, so that no mode always runs first (after the
    /// machine's idle time) or always after the same neighbour.</summary>
    public static IReadOnlyList<T> Order<T>(IReadOnlyList<T> modes, int round) =>
        modes.Skip(round % modes.Count).Concat(modes.Take(round % modes.Count)).ToList();

    /// <summary>The speed from per-round ratios (mode's speed / the baseline's in the same round).</summary>
    public static MeanInterval Speed(IEnumerable<double> ratios) => MeanInterval.Of(ratios.Select(r => Math.Log(r)).ToList());

    /// <summary>"1.02 [0.94, 1.11]".</summary>
    public static string Format(MeanInterval speed) => $"{Math.Exp(speed.Mean):F2} [{Math.Exp(speed.Low):F2}, {Math.Exp(speed.High):F2}]";

    /// <summary>Whether the speed is at least <paramref name="target"/>: "met", "not met", or "not settled" when the
    /// interval spans it.</summary>
    public static string AtLeast(MeanInterval speed, double target) =>
        Math.Exp(speed.Low) >= target ? "met" : Math.Exp(speed.High) < target ? "not met" : $"not settled: the interval spans {target}";
}
