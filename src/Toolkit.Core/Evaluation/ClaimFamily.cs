namespace Toolkit.Evaluation;

/// <summary>The claims one script makes, decided together: each claim is shown only when its Holm-adjusted p-value
/// (<see cref="Holm"/>) is at most <see cref="IComparison.Alpha"/>, so the chance that any claim of the family is false
/// stays at 5%. Add every claim first, then read decisions: the first decision read closes the family.
/// Claims with too few seeds are no test and do not count in its size.</summary>
public sealed class ClaimFamily
{
    private readonly List<Claim> _claims = new();
    private double[]? _adjusted;

    /// <summary>The family's name in printed decisions ("of 12 claims in …").</summary>
    public string Name { get; }

    public ClaimFamily(string name) { Name = name; }

    /// <summary>Adds a claim (<paramref name="what"/> names it); its decision is read from the returned claim.</summary>
    public Claim Add(string what, IComparison comparison)
    {
        if (_adjusted is not null)
            throw new InvalidOperationException($"the claim family '{Name}' was already decided; add '{what}' before reading any decision");
        var claim = new Claim(this, _claims.Count, what, comparison);
        _claims.Add(claim);
        return claim;
    }

    /// <summary>Every claim in the order added.</summary>
    public IReadOnlyList<Claim> Claims => _claims;

    /// <summary>Claims that are tests (enough seeds): the k of Holm's correction.</summary>
    public int Size => _claims.Count(c => c.Comparison.Seeds >= IComparison.MinSeeds && !double.IsNaN(c.Comparison.P));

    /// <summary>The Holm-adjusted p of claim <paramref name="index"/> (closes the family).</summary>
    internal double AdjustedP(int index)
    {
        _adjusted ??= Holm.Adjust(_claims.Select(c => c.Comparison.Seeds >= IComparison.MinSeeds ? c.Comparison.P : double.NaN).ToList());
        return _adjusted[index];
    }

    /// <summary>One line: "k claims, h shown after Holm's correction (family-wise error ≤ 5%)".</summary>
    public string Summary()
    {
        var shown = _claims.Count(c => c.Direction is Difference.Higher or Difference.Lower);
        var untested = _claims.Count - Size;
        var alpha = (100 * IComparison.Alpha).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);
        return $"{Name}: {Size} claims tested as one family, {shown} shown after Holm's correction (family-wise error ≤ {alpha}%)" +
               (untested > 0 ? $"; {untested} not tested (too few seeds, need {IComparison.MinSeeds})" : "");
    }
}
