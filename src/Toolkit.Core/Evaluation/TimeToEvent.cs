using System.Globalization;

namespace Toolkit.Evaluation;

/// <summary>When a run first reached something ("steps to 90%", "first induction head"), or that it had not by the end
/// of its budget: a censored outcome. A run that never reached it is not given the budget as its step: it is only known
/// to be later than the budget.</summary>
/// <param name="Time">The step it was reached at, or the budget when it was not.</param>
/// <param name="Reached">False: not reached by <paramref name="Time"/> (right-censored).</param>
public readonly record struct TimeToEvent(double Time, bool Reached)
{
    /// <summary>Reached at <paramref name="step"/>.</summary>
    public static TimeToEvent At(double step) => new(step, true);

    /// <summary>Not reached within <paramref name="budget"/> steps.</summary>
    public static TimeToEvent NotBy(double budget) => new(budget, false);

    /// <summary>Reached at <paramref name="step"/>, or not by <paramref name="budget"/> when it is null.</summary>
    public static TimeToEvent Of(int? step, double budget) => step is int s ? At(s) : NotBy(budget);

    /// <summary>+1 when this is known to come later than <paramref name="other"/>, −1 known earlier, 0 when the censoring
    /// leaves it open or they tie (the Gehan score of the pair).</summary>
    public int LaterThan(TimeToEvent other) =>
        other.Reached && Time > other.Time || other.Reached && !Reached && Time >= other.Time ? 1
        : Reached && other.Time > Time || Reached && !other.Reached && other.Time >= Time ? -1
        : 0;

    public override string ToString() => Reached ? Time.ToString("0", CultureInfo.InvariantCulture) : $">{Time.ToString("0", CultureInfo.InvariantCulture)}";
}
