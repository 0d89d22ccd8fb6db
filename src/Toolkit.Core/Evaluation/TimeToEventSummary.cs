using System.Globalization;

namespace Toolkit.Evaluation;

/// <summary>Censored outcomes over seeds as "reached in k of n", the median step among the seeds that reached it and the
/// Kaplan–Meier median (the first step by which the estimated share reached is at least one half; "not reached" when
/// fewer than half of the seeds can be said to have reached it). The budget is never counted as a step.</summary>
public sealed record TimeToEventSummary(int Reached, int Seeds, double MedianAmongReached, double KaplanMeierMedian)
{
    /// <summary>Summarizes per-seed outcomes.</summary>
    public static TimeToEventSummary Of(IReadOnlyList<TimeToEvent> outcomes)
    {
        var reached = outcomes.Where(o => o.Reached).Select(o => o.Time).Order().ToList();
        var median = reached.Count == 0 ? double.NaN
            : reached.Count % 2 == 1 ? reached[reached.Count / 2] : (reached[reached.Count / 2 - 1] + reached[reached.Count / 2]) / 2;
        return new TimeToEventSummary(reached.Count, outcomes.Count, median, KaplanMeier(outcomes));
    }

    /// <summary>The smallest event time at which the Kaplan–Meier survival estimate falls to 0.5 or below (NaN if never).
    /// A run censored at the same time as an event is still at risk at that event.</summary>
    public static double KaplanMeier(IReadOnlyList<TimeToEvent> outcomes)
    {
        var survival = 1.0;
        foreach (var t in outcomes.Where(o => o.Reached).Select(o => o.Time).Distinct().Order())
        {
            var atRisk = outcomes.Count(o => o.Time >= t);
            var events = outcomes.Count(o => o.Reached && o.Time == t);
            survival *= 1 - (double)events / atRisk;
            if (survival <= 0.5 + 1e-12) return t;
        }
        return double.NaN;
    }

    /// <summary>"reached in 3 of 5 seeds (median step 400 among those; Kaplan–Meier median 700)".</summary>
    public override string ToString()
    {
        static string S(double x) => x.ToString("0", CultureInfo.InvariantCulture);
        if (Reached == 0) return $"reached in 0 of {Seeds} seeds";
        var km = double.IsNaN(KaplanMeierMedian) ? "Kaplan–Meier median not reached (fewer than half reached it)" : $"Kaplan–Meier median {S(KaplanMeierMedian)}";
        return $"reached in {Reached} of {Seeds} seeds (median step {S(MedianAmongReached)} among those; {km})";
    }
}
