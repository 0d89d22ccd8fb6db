namespace Toolkit.Verdicts;

/// <summary>The thresholds a generalization verdict uses (docs/design.md §4); printed with every verdict.</summary>
public sealed record VerdictSettings
{
    /// <summary>An inside probe passes when its accuracy is within this of in-distribution accuracy.</summary>
    public double Tolerance { get; init; } = 0.1;
    /// <summary>In-distribution accuracy needed before "memorizes positions" can be said.</summary>
    public double GoodAccuracy { get; init; } = 0.8;
    /// <summary>A failing probe is "near" the position-only baseline or chance within this margin.</summary>
    public double NearMargin { get; init; } = 0.1;
    /// <summary>Sequences evaluated per probe.</summary>
    public int Sequences { get; init; } = 256;
    /// <summary>Training examples the position-only baseline is fitted on.</summary>
    public int BaselineExamples { get; init; } = 2000;

    public override string ToString() =>
        $"inside probes pass within {Tolerance:0.##} of in-distribution accuracy; memorization needs in-distribution ≥ {GoodAccuracy:0.##} " +
        $"and failing inside probes within {NearMargin:0.##} of the position-only baseline or chance; {Sequences} sequences per probe";
}
