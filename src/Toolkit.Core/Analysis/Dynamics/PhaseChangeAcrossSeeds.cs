namespace Toolkit.Analysis;

/// <summary>The phase-change step over several seeds of one run: how many seeds showed one, the median
/// step and, as its interval, the range (min–max) over those seeds. With few seeds (typically 3–8) a
/// bootstrap interval would be no better than the range, so the range is what is reported.</summary>
public sealed record PhaseChangeAcrossSeeds(int Detected, int Seeds, double MedianStep, int MinStep, int MaxStep)
{
    /// <summary>Summarizes per-seed detections (null = no phase change in that seed); null when no seed had one.</summary>
    public static PhaseChangeAcrossSeeds? Of(IEnumerable<PhaseChange?> perSeed)
    {
        var all = perSeed.ToList();
        var steps = all.Where(p => p is not null).Select(p => p!.Step).Order().ToArray();
        if (steps.Length == 0) return null;
        var mid = steps.Length / 2;
        var median = steps.Length % 2 == 1 ? steps[mid] : (steps[mid - 1] + steps[mid]) / 2.0;
        return new PhaseChangeAcrossSeeds(steps.Length, all.Count, median, steps[0], steps[^1]);
    }

    public override string ToString() =>
        $"phase change in {Detected}/{Seeds} seeds, median step {MedianStep:0.#} (range {MinStep}–{MaxStep})";
}
