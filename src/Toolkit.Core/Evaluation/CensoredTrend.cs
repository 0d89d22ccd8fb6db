namespace Toolkit.Evaluation;

/// <summary>"The outcome comes later (or sooner) as the setting grows" for censored outcomes (<see cref="TimeToEvent"/>)
/// over ordered groups (1, 2, 3, 4 layers; d_model 64, 128, 256): one claim per setting, where pairwise
/// <see cref="CensoredComparison"/>s would make one per pair of levels and, at 5 seeds a level, stop surviving Holm's
/// correction (the smallest exact two-sided p at 5 + 5 is 2/252).
/// <para>The statistic is Jonckheere–Terpstra's with Gehan's scores: over every pair of runs at two different levels,
/// +1 when the run at the larger level is known to come later, −1 known sooner, 0 when censoring leaves it open. Its
/// two-sided p-value is a permutation test over every assignment of the pooled runs to groups of the observed sizes
/// (exact up to <see cref="CensoredComparison.ExactLimit"/> assignments; above, that many random ones with a fixed seed,
/// counting the observed one). Valid when every level shares the budget (censoring does not depend on the level); it
/// tests for a monotone trend, so it can miss a rise then fall.</para></summary>
/// <param name="Statistic">Jonckheere–Terpstra statistic: positive when larger levels come later.</param>
/// <param name="Pairs">Pairs of runs at different levels.</param>
/// <param name="Levels">Per level (in order), its summary.</param>
public sealed record CensoredTrend(Difference Direction, int Statistic, int Pairs, double P, int Seeds,
    IReadOnlyList<TimeToEventSummary> Levels) : IComparison
{
    /// <summary>+1 when larger levels come later on balance, −1 sooner.</summary>
    public int Sign => Math.Sign(Statistic);

    /// <summary>The statistic over its pairs, in [−1, 1]: the share of decided pairs that come later at the larger level
    /// minus the share that come sooner.</summary>
    public double Concordance => Pairs == 0 ? double.NaN : (double)Statistic / Pairs;

    /// <summary>The trend over <paramref name="levels"/>, given smallest setting first.</summary>
    /// <param name="assignments">Random assignments when exact enumeration is too long (tests use fewer).</param>
    public static CensoredTrend Of(IReadOnlyList<IReadOnlyList<TimeToEvent>> levels, int assignments = CensoredComparison.ExactLimit)
    {
        var pooled = levels.SelectMany(l => l).ToArray();
        var sizes = levels.Select(l => l.Count).ToArray();
        var group = levels.SelectMany((l, g) => l.Select(_ => g)).ToArray();
        int n = pooled.Length;
        var score = new int[n, n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++) score[i, j] = pooled[i].LaterThan(pooled[j]);
        var observed = Statistic(group);
        var pairs = 0;
        for (var g = 0; g < sizes.Length; g++)
            for (var h = g + 1; h < sizes.Length; h++) pairs += sizes[g] * sizes[h];
        var seeds = sizes.Length == 0 ? 0 : sizes.Min();
        double p = double.NaN;
        if (sizes.Count(s => s > 0) >= 2)
        {
            long atLeast = 0, total = 0;
            void Count(int statistic) { total++; if (Math.Abs(statistic) >= Math.Abs(observed)) atLeast++; }
            if (Multinomial(sizes) <= CensoredComparison.ExactLimit) Assign(0, 0, new int[n], (int[])sizes.Clone());
            else
            {
                var rng = new Random(12345);
                var shuffled = (int[])group.Clone();
                for (var r = 0; r < assignments; r++)
                {
                    rng.Shuffle(shuffled);
                    Count(Statistic(shuffled));
                }
                Count(observed);
            }
            p = (double)atLeast / total;

            // Every assignment of runs i.. to groups with room left, the statistic built up pair by pair.
            void Assign(int i, int sum, int[] assigned, int[] room)
            {
                if (i == n) { Count(sum); return; }
                for (var g = 0; g < room.Length; g++)
                {
                    if (room[g] == 0) continue;
                    var add = 0;
                    for (var j = 0; j < i; j++) add += Math.Sign(g - assigned[j]) * score[i, j];
                    assigned[i] = g; room[g]--;
                    Assign(i + 1, sum + add, assigned, room);
                    room[g]++;
                }
            }
        }
        return new CensoredTrend(IComparison.Decide(seeds, p, Math.Sign(observed)), observed, pairs, p, seeds,
            levels.Select(TimeToEventSummary.Of).ToList());

        int Statistic(int[] groups)
        {
            var s = 0;
            for (var i = 0; i < n; i++)
                for (var j = 0; j < n; j++)
                    if (groups[i] > groups[j]) s += score[i, j];
            return s;
        }
    }

    /// <summary>"Jonckheere–Terpstra (Gehan) statistic 30 over 75 pairs (concordance 0.40)".</summary>
    public string Format(Func<double, string> number) =>
        $"Jonckheere–Terpstra (Gehan) statistic {Statistic} over {Pairs} pairs (concordance {number(Concordance)})";

    /// <summary>The statistic and its permutation p-value.</summary>
    public override string ToString() => $"{Format(x => x.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture))}, permutation {IComparison.FormatP(P)}";

    private static double Multinomial(int[] sizes)
    {
        double c = 1;
        var placed = 0;
        foreach (var s in sizes)
            for (var i = 1; i <= s; i++) c = c * ++placed / i;
        return c;
    }
}
