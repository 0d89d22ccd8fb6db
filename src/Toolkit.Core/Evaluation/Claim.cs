namespace Toolkit.Evaluation;

/// <summary>One claim of a <see cref="ClaimFamily"/>: its comparison and its decision after Holm's correction.</summary>
public sealed class Claim
{
    private readonly ClaimFamily _family;
    private readonly int _index;

    internal Claim(ClaimFamily family, int index, string what, IComparison comparison)
    {
        _family = family;
        _index = index;
        What = what;
        Comparison = comparison;
    }

    /// <summary>What the claim compares.</summary>
    public string What { get; }

    /// <summary>The test behind it (its own p-value, its decision taken alone).</summary>
    public IComparison Comparison { get; }

    /// <summary>The Holm-adjusted p-value (NaN with too few seeds).</summary>
    public double AdjustedP => _family.AdjustedP(_index);

    /// <summary>The decision after correction for the whole family. Reading it closes the family even when this claim has
    /// too few seeds, so a script that reads a decision before adding its last claim fails in a quick run with few seeds,
    /// not only after a full run's training.</summary>
    public Difference Direction
    {
        get
        {
            var adjusted = AdjustedP;
            return Comparison.Seeds < IComparison.MinSeeds ? Difference.TooFewSeeds
                : adjusted <= IComparison.Alpha && Comparison.Sign != 0 ? (Comparison.Sign > 0 ? Difference.Higher : Difference.Lower) : Difference.NotShown;
        }
    }

    /// <summary>True when the corrected decision shows a difference either way.</summary>
    public bool Shown => Direction is Difference.Higher or Difference.Lower;

    /// <summary>The corrected decision in words (<see cref="IComparison.Words"/>).</summary>
    public string Words(string higher, string lower, string reference) => IComparison.Words(Direction, Comparison.Seeds, higher, lower, reference);

    /// <summary>"p = 0.004, Holm-adjusted p = 0.03 over 12 claims" (empty with too few seeds: no test was made).</summary>
    public string Evidence => Direction == Difference.TooFewSeeds ? ""
        : $"{IComparison.FormatP(Comparison.P)}, Holm-adjusted {IComparison.FormatP(AdjustedP)} over {_family.Size} claims";

    /// <summary>The estimate and the evidence: "3.1% [0.4%, 5.8%]; p = 0.004, Holm-adjusted p = 0.03 over 12 claims".</summary>
    public string Detail(Func<double, string> number) => Comparison.Format(number) + (Evidence == "" ? "" : "; " + Evidence);

    /// <summary>The corrected decision with its evidence: "better than standard (p = 0.004, Holm-adjusted p = 0.03 over 12 claims)".</summary>
    public string Sentence(string higher, string lower, string reference) =>
        Words(higher, lower, reference) + (Evidence == "" ? "" : $" ({Evidence})");
}
