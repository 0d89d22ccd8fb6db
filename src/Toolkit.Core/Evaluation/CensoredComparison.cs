namespace Toolkit.Evaluation;

/// <summary>"A reaches it later (or sooner) than B" for censored outcomes (<see cref="TimeToEvent"/>): the Gehan–Wilcoxon
/// statistic (over every pair of a run of A and a run of B, +1 when A's is known to be later, −1 known sooner, 0 when
/// censoring leaves it open) and its exact permutation p-value over every split of the pooled runs into groups of the
/// two sizes (252 splits at 5 + 5; above <see cref="ExactLimit"/> splits, that many random splits with a fixed seed).
/// Valid when both groups share the budget (the censoring does not depend on the group). Unpaired: where seeds pair,
/// the exact paired test (sign flips) cannot reach 5% at 5 seeds (its smallest two-sided p is 1/16).</summary>
public sealed record CensoredComparison(Difference Direction, int Statistic, int Pairs, double P, int Seeds,
    TimeToEventSummary A, TimeToEventSummary B) : IComparison
{
    /// <summary>Largest number of splits enumerated exactly; also the number of random splits above it.</summary>
    public const int ExactLimit = 200_000;

    /// <summary>+1 when A's outcomes come later than B's on balance, −1 sooner.</summary>
    public int Sign => Math.Sign(Statistic);

    /// <summary>The comparison of <paramref name="a"/> against <paramref name="b"/>.</summary>
    public static CensoredComparison Of(IReadOnlyList<TimeToEvent> a, IReadOnlyList<TimeToEvent> b)
    {
        var seeds = Math.Min(a.Count, b.Count);
        var pooled = a.Concat(b).ToArray();
        int n = pooled.Length, na = a.Count;
        var score = new int[n, n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++) score[i, j] = pooled[i].LaterThan(pooled[j]);
        // The statistic of a split: sum over i in A, j outside A of score[i, j]. With row sums r, it equals sum of r over A
        // (scores within A cancel: score[i, j] = −score[j, i]).
        var rows = Enumerable.Range(0, n).Select(i => Enumerable.Range(0, n).Sum(j => score[i, j])).ToArray();
        var observed = Enumerable.Range(0, na).Sum(i => rows[i]);
        double p = double.NaN;
        if (na > 0 && b.Count > 0)
        {
            long atLeast = 0, total = 0;
            void Count(int statistic) { total++; if (Math.Abs(statistic) >= Math.Abs(observed)) atLeast++; }
            if (Binomial(n, na) <= ExactLimit) Splits(rows, na, Count);
            else
            {
                var rng = new Random(12345);
                var idx = Enumerable.Range(0, n).ToArray();
                for (var r = 0; r < ExactLimit; r++)
                {
                    rng.Shuffle(idx);
                    var s = 0;
                    for (var i = 0; i < na; i++) s += rows[idx[i]];
                    Count(s);
                }
                atLeast++; total++; // the observed split itself
            }
            p = (double)atLeast / total;
        }
        return new CensoredComparison(IComparison.Decide(seeds, p, Math.Sign(observed)), observed, a.Count * b.Count, p, seeds,
            TimeToEventSummary.Of(a), TimeToEventSummary.Of(b));
    }

    /// <summary>The decision at 0.05 alone as words (<see cref="IComparison.Words"/>).</summary>
    public string Words(string later, string sooner, string reference) => IComparison.Words(Direction, Seeds, later, sooner, reference);

    /// <summary>"Gehan statistic 12 over 25 pairs, permutation p = 0.03".</summary>
    public override string ToString() => $"{Format(x => x.ToString())}, permutation {IComparison.FormatP(P)}";

    /// <summary>"Gehan statistic 12 over 25 pairs" (the statistic is a count: the formatter is not used).</summary>
    public string Format(Func<double, string> number) => $"Gehan statistic {Statistic} over {Pairs} pairs";

    /// <summary>Calls <paramref name="visit"/> with the statistic (sum of <paramref name="rows"/> over the chosen members)
    /// of every way to choose <paramref name="k"/> of the items.</summary>
    private static void Splits(int[] rows, int k, Action<int> visit)
    {
        void Choose(int start, int left, int sum)
        {
            if (left == 0) { visit(sum); return; }
            for (var i = start; i <= rows.Length - left; i++) Choose(i + 1, left - 1, sum + rows[i]);
        }
        Choose(0, k, 0);
    }

    private static double Binomial(int n, int k)
    {
        double c = 1;
        for (var i = 1; i <= k; i++) c = c * (n - k + i) / i;
        return c;
    }
}
